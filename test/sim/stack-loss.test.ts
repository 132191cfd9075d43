/**
 * The reliability target in virtual time, on whole Stacks (IPv4, link
 * batching with one ACK per batch, TCP): 20% loss in both directions plus
 * duplication, reordering and corruption, data both ways at once, delivered
 * byte-exact, both sides closed. Seeds are printed; any failure reproduces
 * with `npx vitest run test/sim/stack-loss.test.ts -t "seed N"`.
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
      this.conn.close(); // our half was shut already; this releases the connection
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
      const n = c.send(this.out.subarray(this.off, this.off + 16384));
      if (n === 0) return;
      this.off += n;
    }
    c.shutdownWrite(); // half-close: keep reading the other direction (close() would RST late data)
  }
}

describe('whole Stacks under 20% loss both ways, with duplication, reordering and corruption (virtual time)', () => {
  for (const seed of [11, 22, 33, 44, 55, 66]) {
    it(`256 KiB each way, byte-exact, both closed (seed ${seed})`, () => {
      console.log(`stack-loss seed=${seed}`);
      const clock = new VirtualClock(0);
      const faults = { delayMs: 5, jitterMs: 2, loss: 0.2, duplicate: 0.05, reorder: 0.1, reorderHoldMs: 10, corrupt: 0.02 };
      const [la, lb] = createMemoryLinkPair({ clock, rng: new SeededRng(seed), faults });
      const tcp = { msl: 1000 };
      const a = new Stack({ link: la, addr: '10.0.0.1', clock, rng: new SeededRng(seed + 1), tcp });
      const b = new Stack({ link: lb, addr: '10.0.0.2', clock, rng: new SeededRng(seed + 2), tcp });
      const rng = new SeededRng(seed + 3);
      const up = randBytes(rng, 256 * 1024);
      const down = randBytes(rng, 256 * 1024);
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
      expect(client.events, `seed ${seed}`).toEqual(['eof', 'close']);
      expect(server.events, `seed ${seed}`).toEqual(['eof', 'close']);
      // No segment outgrew the MTU (options included): nothing dropped for DF.
      expect(a.ip.stats.ip.fragFails + b.ip.stats.ip.fragFails).toBe(0);
      // The faults really happened (the link counts what it did to each direction).
      expect(la.counters.lost + lb.counters.lost).toBeGreaterThan(50);
      expect(la.counters.corrupted + lb.counters.corrupted).toBeGreaterThan(0);
      expect(a.tcp.connections().concat(b.tcp.connections()).filter((c) => c.state !== 'LISTEN')).toEqual([]);
    });
  }
});
