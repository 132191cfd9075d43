/**
 * Offloaded paths in virtual time: whole Stacks over the in-memory link in
 * GSO mode. TCP sends super-packets with partial checksums; the link either
 * cuts them into the MSS segments they stand for ('segments', the kernel
 * behind a TUN with TSO) or delivers them whole with the checksum vouched
 * for ('super', what a TUN reader gets from the kernel). Data both ways,
 * with loss, duplication and reordering, byte-exact; retransmissions still
 * go out at one MSS. Seeds are printed.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryLinkPair } from '../../src/link/memory.js';
import { Stack } from '../../src/stack.js';
import type { ConnectionHandler, TcpConnection } from '../../src/tcp/api.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng, randBytes } from '../../src/util/random.js';

class Side implements ConnectionHandler {
  conn?: TcpConnection;
  got: Buffer[] = [];
  events: string[] = [];
  private off = 0;
  constructor(private readonly out: Buffer) {}
  onConnect(): void {
    this.pump();
  }
  onReadable(): void {
    for (let b = this.conn?.read(); b; b = this.conn?.read()) this.got.push(Buffer.from(b));
    if (this.conn?.readEnded && !this.events.includes('eof')) {
      this.events.push('eof');
      // Close only once all our data is queued: close() ends writing too.
      if (this.off >= this.out.length) this.conn.close();
    }
  }
  onWritable(): void {
    this.pump();
  }
  onError(code: string): void {
    this.events.push(`error:${code}`);
  }
  onClose(): void {
    this.events.push('close');
  }
  pump(): void {
    const c = this.conn;
    if (!c) return;
    while (this.off < this.out.length) {
      const n = c.send(this.out.subarray(this.off, this.off + 65536));
      if (n === 0) return;
      this.off += n;
    }
    c.shutdownWrite();
    if (this.events.includes('eof')) c.close();
  }
}

function run(seed: number, deliver: 'segments' | 'super', loss: number) {
  console.log(`stack-gso seed=${seed} deliver=${deliver} loss=${loss}`);
  const clock = new VirtualClock(0);
  const faults = loss > 0 ? { delayMs: 2, jitterMs: 1, loss, duplicate: 0.02, reorder: 0.05, reorderHoldMs: 4 } : { delayMs: 1 };
  const [la, lb] = createMemoryLinkPair({ clock, rng: new SeededRng(seed), faults, gso: { deliver } });
  const tcp = { msl: 1000, rcvBuf: 1 << 20, sndBuf: 1 << 20 };
  const a = new Stack({ link: la, addr: '10.0.0.1', clock, rng: new SeededRng(seed + 1), tcp });
  const b = new Stack({ link: lb, addr: '10.0.0.2', clock, rng: new SeededRng(seed + 2), tcp });
  const rng = new SeededRng(seed + 3);
  const up = randBytes(rng, 2 * 1024 * 1024);
  const down = randBytes(rng, 1024 * 1024);
  const server = new Side(down);
  const l = b.tcp.listen(9, 4, () => {
    const c = l.accept();
    if (!c) return;
    server.conn = c;
    c.handler = server;
    server.onReadable();
    server.pump();
  });
  const client = new Side(up);
  client.conn = a.tcp.connect(b.addr, 9, client);
  clock.runUntil(30 * 60_000);
  expect(Buffer.concat(server.got).equals(up), `seed ${seed}: client→server bytes`).toBe(true);
  expect(Buffer.concat(client.got).equals(down), `seed ${seed}: server→client bytes`).toBe(true);
  expect(client.events).toEqual(['eof', 'close']);
  expect(server.events).toEqual(['eof', 'close']);
  expect(a.ip.stats.ip.fragFails + b.ip.stats.ip.fragFails).toBe(0);
  expect(la.counters.oversize + lb.counters.oversize).toBe(0);
  // Super-packets really went out (many MSS each).
  expect(la.counters.gsoPackets, 'client super-packets').toBeGreaterThan(10);
  expect(lb.counters.gsoPackets, 'server super-packets').toBeGreaterThan(5);
  return { a, b, la, lb };
}

describe('TCP over a GSO link (virtual time)', () => {
  it("'segments': super-packets cut into MSS segments with complete checksums, no loss", () => {
    const { a, b, la } = run(1, 'segments', 0);
    // Every segment the receiver saw had a valid checksum and fit the MTU.
    expect(b.tcp.stats.InCsumErrors ?? 0).toBe(0);
    expect(a.tcp.stats.InCsumErrors ?? 0).toBe(0);
    expect(la.counters.gsoSegments / la.counters.gsoPackets).toBeGreaterThan(2);
  });
  it("'super': super-packets delivered whole, checksum vouched for, no loss", () => {
    const { b } = run(2, 'super', 0);
    expect(b.tcp.stats.InCsumErrors ?? 0).toBe(0);
  });
  for (const seed of [11, 22, 33]) {
    it(`'segments' under 5% loss with duplication and reordering (seed ${seed})`, () => {
      const { a } = run(seed, 'segments', 0.05);
      expect(a.tcp.stats.RetransSegs).toBeGreaterThan(0);
    });
    it(`'super' under 5% loss with duplication and reordering (seed ${seed})`, () => {
      run(seed + 100, 'super', 0.05);
    });
  }
});
