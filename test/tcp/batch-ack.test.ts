/**
 * One ACK per connection per received batch (TcpEnv.deferAck, Stack wiring
 * ip.onBatchEnd → tcp.batchEnd): the ACK owed for in-order data under RFC
 * 5681 §4.2's every-second-segment rule waits until the batch is processed,
 * as GRO makes Linux send stretch ACKs; ACKs for out-of-order data still go
 * at once (immediate duplicate ACKs drive the sender's fast retransmit).
 * Two Stacks over the in-memory link, whose arrivals at one instant form one
 * batch, in virtual time.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryLinkPair } from '../../src/link/memory.js';
import { Stack } from '../../src/stack.js';
import type { ConnectionHandler, TcpConnection } from '../../src/tcp/api.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng } from '../../src/util/random.js';
import { ipv4 } from '../../src/wire/ip-address.js';
import { IPV4_HEADER_LEN } from '../../src/wire/ipv4.js';

const quiet = (): ConnectionHandler & { conn?: TcpConnection; got: number } => {
  const h = {
    conn: undefined as TcpConnection | undefined,
    got: 0,
    onConnect() {},
    onReadable() {
      for (let b = h.conn?.read(); b; b = h.conn?.read()) h.got += b.length;
    },
    onWritable() {},
    onError() {},
    onClose() {},
  };
  return h;
};

function setup(seed: number) {
  const clock = new VirtualClock(0);
  const [la, lb] = createMemoryLinkPair({ clock, rng: new SeededRng(seed), faults: { delayMs: 5 } });
  const a = new Stack({ link: la, addr: '10.0.0.1', clock, rng: new SeededRng(seed + 1) });
  const b = new Stack({ link: lb, addr: '10.0.0.2', clock, rng: new SeededRng(seed + 2) });
  const server = quiet();
  const l = b.tcp.listen(9, 4, () => {
    const c = l.accept();
    if (!c) return;
    server.conn = c;
    c.handler = server;
  });
  const client = quiet();
  const conn = a.tcp.connect(ipv4('10.0.0.2'), 9, client);
  client.conn = conn;
  clock.runUntil(100);
  expect(conn.state).toBe('ESTABLISHED');
  // Record what b sends from now on.
  const fromB: Buffer[] = [];
  const send = lb.send.bind(lb);
  lb.send = (p: Buffer) => {
    fromB.push(Buffer.from(p));
    send(p);
  };
  return { clock, conn, server, fromB, la };
}

describe('ACKs per received batch (Stack: ip.onBatchEnd → tcp.batchEnd)', () => {
  it('a batch of 10 in-order segments is acknowledged by one cumulative ACK, not five', () => {
    const { clock, conn, server, fromB } = setup(3);
    const mss = conn.info().mss;
    expect(conn.send(Buffer.alloc(10 * mss, 7))).toBe(10 * mss); // initial window 10 (RFC 6928): one burst
    clock.runUntil(clock.now() + 5); // the burst arrives as one batch
    expect(server.got).toBe(10 * mss);
    expect(fromB).toHaveLength(1);
    const tcp = fromB[0].subarray(IPV4_HEADER_LEN);
    expect(tcp.readUInt32BE(8)).toBe((conn.info().sndUna + 10 * mss) >>> 0); // acks everything
    clock.runUntil(clock.now() + 1000);
    expect(conn.info().sndUna).toBe(conn.info().sndNxt);
  });

  it('out-of-order data in a batch is still acknowledged at once (duplicate ACK, RFC 5681 §4.2)', () => {
    const { clock, conn, server, fromB, la } = setup(4);
    const mss = conn.info().mss;
    // Drop the first segment of the burst so the rest arrive out of order.
    let n = 0;
    const send = la.send.bind(la);
    la.send = (p: Buffer) => {
      if (n++ === 0) return;
      send(p);
    };
    conn.send(Buffer.alloc(4 * mss, 1));
    clock.runUntil(clock.now() + 5);
    expect(server.got).toBe(0);
    expect(fromB.length).toBe(3); // one duplicate ACK per out-of-order segment
  });

  it('after three duplicate ACKs, out-of-order segments of a batch fold into its last ACK (Linux SACK compression, tcp_comp_sack_nr)', () => {
    for (const [nr, acks] of [
      [44, 4], // three immediate duplicate ACKs, then one at the batch end
      [0, 9], // off: one per out-of-order segment
    ] as const) {
      const { clock, conn, server, fromB, la } = setup(5);
      server.conn!.env.options.compSackNr = nr;
      const mss = conn.info().mss;
      let n = 0;
      const send = la.send.bind(la);
      la.send = (p: Buffer) => {
        if (n++ === 0) return; // the first of ten is lost: nine arrive out of order in one batch
        send(p);
      };
      conn.send(Buffer.alloc(10 * mss, 1));
      clock.runUntil(clock.now() + 5);
      expect(server.got).toBe(0);
      expect(fromB.length, `tcp_comp_sack_nr=${nr}`).toBe(acks);
      // The last ACK SACKs all nine (the sender's scoreboard misses nothing).
      const tcp = fromB[fromB.length - 1].subarray(IPV4_HEADER_LEN);
      const sack = sackBlocks(tcp);
      expect(sack[0]).toEqual([(conn.info().sndUna + mss) >>> 0, (conn.info().sndUna + 10 * mss) >>> 0]);
      if (nr > 0) expect(server.conn!.env.stats.TCPAckCompressed).toBe(5);
    }
  });
});

/** The SACK blocks of a TCP header (option kind 5). */
function sackBlocks(tcp: Buffer): [number, number][] {
  const end = (tcp[12] >> 4) * 4;
  for (let i = 20; i < end; ) {
    const kind = tcp[i];
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const len = tcp[i + 1];
    if (kind === 5) {
      const out: [number, number][] = [];
      for (let j = i + 2; j + 8 <= i + len; j += 8) out.push([tcp.readUInt32BE(j), tcp.readUInt32BE(j + 4)]);
      return out;
    }
    i += len;
  }
  return [];
}
