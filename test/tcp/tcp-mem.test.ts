/**
 * tcp_mem (src/tcp/memory.ts; Linux net.ipv4.tcp_mem low/pressure/high in
 * pages) on whole Stacks in virtual time: four senders fill receive buffers
 * whose readers pause, so the receiving stack's buffered bytes climb past
 * `pressure` (TCPMemoryPressures, windows capped at 4 MSS) and reach `high`
 * (segments refused: TCPRcvQDrop/TCPOFODrop, sends held at the tcp_wmem[0]
 * floor). Memory stays under the hard limit, nothing crashes, and once the
 * readers resume every byte arrives exactly; the account returns to zero.
 */
import { describe, expect, it } from 'vitest';
import { randBytes, SeededRng } from '../../src/util/random.js';
import { Connection } from '../../src/tcp/connection.js';
import { SND_BUF_FLOOR, TCP_MEM_PAGE } from '../../src/tcp/memory.js';
import { bothClosed, checkInvariants, expectClean, makePair, runUntil, start, type Started } from '../sim/stress-harness.js';

const TCP_MEM: [number, number, number] = [8, 16, 24]; // 32, 64, 96 KiB
const MSS = 1460;

describe('tcp_mem: global TCP memory pressure (virtual time)', () => {
  it('four paused readers: pressure, then the hard limit holds; all data arrives once they read (seed 41)', () => {
    const seed = 41;
    console.log(`tcp-mem seed=${seed}`);
    const p = makePair({ seed, tcpB: { rcvBuf: 64 * 1024, tcpMem: TCP_MEM } });
    const mem = p.b.tcp.memory;
    const rng = new SeededRng(seed);
    const ups = [0, 1, 2, 3].map(() => randBytes(rng, 160 * 1024));
    const runs: Started[] = ups.map((up, i) => start(p, 6000 + i, { out: up, chunk: 8192 }, { out: Buffer.alloc(0), pause: { from: 0, to: 5000 } }));
    let sawPressure = false;
    let floorChecked = false;
    runUntil(p.clock, 5000, () => {
      if (mem.underPressure) sawPressure = true;
      // With no page left under the hard limit a connection may queue only up to the tcp_wmem[0] floor to send.
      if (!floorChecked && mem.overHigh(TCP_MEM_PAGE)) {
        const c = runs[0].server.conn as Connection;
        expect(c.sendSpace).toBeLessThanOrEqual(SND_BUF_FLOOR);
        floorChecked = true;
      }
      return false;
    });
    const tcp = p.b.counters().Tcp;
    expect(sawPressure).toBe(true);
    expect(floorChecked).toBe(true);
    expect(tcp.TCPMemoryPressures).toBeGreaterThanOrEqual(1);
    expect(tcp.TCPRcvQDrop + tcp.TCPOFODrop).toBeGreaterThan(0);
    // Never past the hard limit, but for one forced in-order segment per connection
    // with an empty read queue (sk_forced_mem_schedule).
    expect(mem.peak).toBeLessThanOrEqual(TCP_MEM[2] * TCP_MEM_PAGE + ups.length * MSS);
    expect(mem.peak).toBeGreaterThan(TCP_MEM[1] * TCP_MEM_PAGE);
    // The readers resume at 5 s: everything arrives byte-exact and closes cleanly.
    runUntil(p.clock, 600_000, () => runs.every(bothClosed));
    for (const [i, r] of runs.entries()) {
      r.close();
      expectClean({ client: r.client, server: r.server }, ups[i], Buffer.alloc(0), `conn ${i}`);
    }
    checkInvariants(p, `seed ${seed}`);
    expect(mem.allocated).toBe(0);
    expect(mem.underPressure).toBe(false);
  });

  it('under pressure a new connection\'s window stops growing past 4 MSS beyond its first 64 KiB', () => {
    const p = makePair({ seed: 42, tcpB: { rcvBuf: 256 * 1024, tcpMem: [1, 2, 1000] } });
    const rng = new SeededRng(42);
    const mem = p.b.tcp.memory;
    // A first connection whose reader pauses holds 16 KiB: past `pressure` (8 KiB).
    const fill = randBytes(rng, 16 * 1024);
    const first = start(p, 6100, { out: fill }, { out: Buffer.alloc(0), pause: { from: 0, to: 4000 } });
    runUntil(p.clock, 500, () => false);
    expect(mem.underPressure).toBe(true);
    // The second one's reader pauses too: without pressure its window would open to the
    // free ~256 KiB; under pressure, once past the SYN-ACK's 64 KiB edge, the right edge
    // moves at most 4 MSS beyond RCV.NXT (the sender gets 4 MSS per round trip).
    const up = randBytes(rng, 200 * 1024);
    const second = start(p, 6101, { out: up }, { out: Buffer.alloc(0), pause: { from: 0, to: 4000 } });
    runUntil(p.clock, 3000, () => false);
    const c = second.server.conn as Connection;
    expect(c.rcv.queued).toBeGreaterThan(65535);
    expect((c.tcb.rcvAdv - c.tcb.rcvNxt) >>> 0).toBeLessThanOrEqual(4 * p.b.tcp.localMss);
    runUntil(p.clock, 600_000, () => bothClosed(first) && bothClosed(second));
    first.close();
    second.close();
    expectClean({ client: first.client, server: first.server }, fill, Buffer.alloc(0), 'filler');
    expectClean({ client: second.client, server: second.server }, up, Buffer.alloc(0), 'pressure window');
    expect(mem.allocated).toBe(0);
    expect(mem.underPressure).toBe(false);
  });
});
