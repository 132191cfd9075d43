/**
 * A bulk transfer between two Stacks in virtual time across a bottleneck:
 * the memory link's rate limit with a tail-drop queue, half the RTT of
 * propagation each way (as bench/sweep.ts builds it). The test steps time
 * timer by timer and may look at the sender after each step; every packet
 * the sender puts on the link is logged with its departure time.
 */
import { Stack } from '../../../src/stack.js';
import { createMemoryLinkPair } from '../../../src/link/memory.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { SeededRng } from '../../../src/util/random.js';
import type { ConnectionHandler, TcpConnection } from '../../../src/tcp/api.js';
import type { Connection } from '../../../src/tcp/connection.js';
import { ipv4 } from '../../../src/wire/ip-address.js';

/** 10 MB/s of IP bytes: 80 Mbit/s. With 1448-byte payloads in 1500-byte datagrams, 9.65 MB/s of payload. */
export const RATE = 10_000_000;
export const PAYLOAD_RATE = (RATE * 1448) / 1500 / 1000; // bytes/ms

export interface PathOptions {
  cc: string;
  /** Called with the sending stack before it connects (sysctl, options). */
  beforeConnect?: (sender: Stack) => void;
  rttMs: number;
  queueBdp: number;
  loss?: number;
  seed?: number;
  /**
   * ACK aggregation: the receiver's packets are held and released together
   * on every multiple of this many ms (a Wi-Fi/DOCSIS uplink granting
   * transmit slots), so the sender sees ACKs in bursts with silences between.
   */
  ackBatchMs?: number;
  /** The first `count` data packets the sender sends at or after `at` ms are lost before the link. */
  dropBurst?: { at: number; count: number };
}

export interface Departure {
  at: number;
  len: number;
  /** TCP sequence number of the datagram's first byte. */
  seq: number;
  dropped: boolean;
}

export interface Path {
  clock: VirtualClock;
  sender: Connection;
  received: () => number;
  departures: Departure[];
  /** Step time to the next timer (or `until`, whichever is first); false once `until` is reached. */
  step(until: number): boolean;
}

export function bottleneckPath(o: PathOptions): Path {
  const clock = new VirtualClock(0);
  const bdp = (RATE * o.rttMs) / 1000;
  const faults = { delayMs: o.rttMs / 2, rateBytesPerSec: RATE, queueLimitBytes: Math.max(3000, Math.round(o.queueBdp * bdp)), loss: o.loss ?? 0 };
  const [la, lb] = createMemoryLinkPair({ clock, rng: new SeededRng(o.seed ?? 7), faults });
  const departures: Departure[] = [];
  const burst = o.dropBurst ? { ...o.dropBurst } : undefined;
  const send = la.send.bind(la);
  la.send = (p: Buffer, gsoSize?: number, csumPartial?: boolean): void => {
    let dropped = false;
    if (p.length > 100) {
      dropped = burst !== undefined && clock.now() >= burst.at && burst.count-- > 0;
      departures.push({ at: clock.now(), len: p.length, seq: p.readUInt32BE((p[0] & 0xf) * 4 + 4), dropped });
    }
    if (!dropped) send(p, gsoSize, csumPartial);
  };
  if (o.ackBatchMs) batchSends(lb, clock, o.ackBatchMs);
  const tcp = { rcvBuf: 16 << 20, sndBuf: 16 << 20, congestionControl: o.cc };
  const a = new Stack({ link: la, addr: '10.0.0.1', clock, rng: new SeededRng(1), tcp });
  const b = new Stack({ link: lb, addr: '10.0.0.2', clock, rng: new SeededRng(2), tcp });
  let received = 0;
  const listener = b.tcp.listen(9, 8, () => {
    const c = listener.accept();
    if (!c) return;
    const drain = (): void => {
      for (let d = c.read(); d; d = c.read()) received += d.length;
    };
    c.handler = { onConnect() {}, onReadable: drain, onWritable() {}, onError() {}, onClose() {} };
    drain();
  });
  // An endless sender: the window, never the application, is the limit.
  o.beforeConnect?.(a);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let conn: TcpConnection | undefined = undefined;
  const pump = (): void => {
    while (conn && conn.send(chunk) > 0);
  };
  const writer: ConnectionHandler = { onConnect: pump, onReadable() {}, onWritable: pump, onError() {}, onClose() {} };
  conn = a.tcp.connect(ipv4('10.0.0.2'), 9, writer);
  return {
    clock,
    sender: conn as Connection,
    received: () => received,
    departures,
    step(until: number): boolean {
      const next = clock.nextAt();
      if (next === undefined) throw new Error('transfer stalled: no timer pending');
      clock.runUntil(Math.min(next, until));
      return clock.now() < until;
    },
  };
}

/** Hold what `link` sends and release it all on the next multiple of `everyMs`. */
function batchSends(link: { send(p: Buffer, gsoSize?: number, csumPartial?: boolean): void }, clock: VirtualClock, everyMs: number): void {
  const send = link.send.bind(link);
  let held: Array<[Buffer, number | undefined, boolean | undefined]> = [];
  link.send = (p: Buffer, gsoSize?: number, csumPartial?: boolean): void => {
    if (held.length === 0) {
      clock.setTimer((Math.floor(clock.now() / everyMs) + 1) * everyMs, () => {
        const out = held;
        held = [];
        for (const [q, g, c] of out) send(q, g, c);
      });
    }
    held.push([Buffer.from(p), gsoSize, csumPartial]);
  };
}
