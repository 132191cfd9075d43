import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng } from '../../src/util/random.js';
import { createMemoryLinkPair, type MemoryLink } from '../../src/link/memory.js';

function setup(seed: number, opts: Partial<Parameters<typeof createMemoryLinkPair>[0]> = {}) {
  console.log(`memory link test seed ${seed}`);
  const clock = new VirtualClock();
  const rng = new SeededRng(seed);
  const [a, b] = createMemoryLinkPair({ clock, rng, ...opts });
  const got: Array<{ at: number; p: Buffer }> = [];
  let batches = 0;
  b.onReceive((ps) => {
    batches++;
    for (const p of ps) got.push({ at: clock.now(), p });
  });
  return { clock, a, b, got, batches: () => batches };
}

function pkt(i: number, len = 100): Buffer {
  const p = Buffer.alloc(len);
  p.writeUInt32BE(i, 0);
  return p;
}

function sendN(a: MemoryLink, n: number, len = 100): void {
  for (let i = 0; i < n; i++) a.send(pkt(i, len));
}

describe('memory link pair (virtual time)', () => {
  it('never delivers inside send; delivers at exactly now + delay', () => {
    const t = setup(1, { faults: { delayMs: 5 } });
    t.a.send(pkt(1));
    expect(t.got.length).toBe(0);
    t.clock.advance(4.999);
    expect(t.got.length).toBe(0);
    t.clock.advance(0.001);
    expect(t.got.map((g) => g.at)).toEqual([5]);
    expect(t.a.counters.delivered).toBe(1);
  });

  it('zero delay still waits for the clock, and one instant is one batch', () => {
    const t = setup(2);
    sendN(t.a, 3);
    expect(t.got.length).toBe(0);
    t.clock.runDue();
    expect(t.got.length).toBe(3);
    expect(t.batches()).toBe(1);
    expect(t.got.map((g) => g.p.readUInt32BE(0))).toEqual([0, 1, 2]);
  });

  it('passes the sent Buffer itself (ownership moves with send)', () => {
    const t = setup(3);
    const p = pkt(9);
    t.a.send(p);
    t.clock.runDue();
    expect(t.got[0].p).toBe(p);
  });

  it('loses about p of N packets', () => {
    const N = 10_000;
    const t = setup(4, { faults: { loss: 0.2 } });
    sendN(t.a, N);
    t.clock.runUntilIdle();
    expect(t.a.counters.lost + t.got.length).toBe(N);
    expect(Math.abs(t.a.counters.lost / N - 0.2)).toBeLessThan(0.02);
  });

  it('duplicates about p of N packets, each duplicate a separate copy', () => {
    const N = 10_000;
    const t = setup(5, { faults: { duplicate: 0.1 } });
    sendN(t.a, N);
    t.clock.runUntilIdle();
    expect(t.got.length).toBe(N + t.a.counters.duplicated);
    expect(Math.abs(t.a.counters.duplicated / N - 0.1)).toBeLessThan(0.015);
    const byId = new Map<number, Buffer[]>();
    for (const g of t.got) byId.set(g.p.readUInt32BE(0), [...(byId.get(g.p.readUInt32BE(0)) ?? []), g.p]);
    const dup = [...byId.values()].find((l) => l.length === 2)!;
    expect(dup[0]).not.toBe(dup[1]);
    expect(dup[0].equals(dup[1])).toBe(true);
  });

  it('reorders held-back packets so later ones overtake them, losing none', () => {
    const N = 1000;
    const t = setup(6, { faults: { reorder: 0.1, reorderHoldMs: 3 } });
    for (let i = 0; i < N; i++) {
      t.a.send(pkt(i));
      t.clock.advance(1);
    }
    t.clock.runUntilIdle();
    const ids = t.got.map((g) => g.p.readUInt32BE(0));
    expect(ids.length).toBe(N);
    expect(new Set(ids).size).toBe(N);
    let inversions = 0;
    for (let i = 1; i < N; i++) if (ids[i] < ids[i - 1]) inversions++;
    expect(t.a.counters.reordered).toBeGreaterThan(50);
    expect(inversions).toBeGreaterThan(50);
    expect(inversions).toBeLessThanOrEqual(t.a.counters.reordered);
  });

  it('adds jitter in [delay, delay + jitter)', () => {
    const N = 2000;
    const t = setup(7, { faults: { delayMs: 10, jitterMs: 4 } });
    sendN(t.a, N);
    t.clock.runUntilIdle();
    const ats = t.got.map((g) => g.at);
    expect(Math.min(...ats)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...ats)).toBeLessThan(14);
    expect(Math.max(...ats) - Math.min(...ats)).toBeGreaterThan(3.5);
  });

  it('rate-limits by serialization time and tail-drops past the queue limit', () => {
    const t = setup(8, { faults: { rateBytesPerSec: 100_000, delayMs: 1, queueLimitBytes: 500 } });
    sendN(t.a, 8, 100); // 1 ms of serialization each; 5 fit in the 500-byte queue
    t.clock.runUntilIdle();
    expect(t.got.map((g) => g.at)).toEqual([2, 3, 4, 5, 6]);
    expect(t.a.counters.queueDropped).toBe(3);
  });

  it('corrupts exactly one bit of a copy, leaving the sender buffer intact', () => {
    const t = setup(9, { faults: { corrupt: 1 } });
    const p = pkt(0x11223344, 64);
    const orig = Buffer.from(p);
    t.a.send(p);
    t.clock.runDue();
    expect(p.equals(orig)).toBe(true);
    let bits = 0;
    for (let i = 0; i < 64; i++) {
      let x = t.got[0].p[i] ^ orig[i];
      for (; x; x &= x - 1) bits++;
    }
    expect(bits).toBe(1);
    expect(t.a.counters.corrupted).toBe(1);
  });

  it('drops packets over the MTU with a counted reason', () => {
    const t = setup(10, { mtu: 576 });
    t.a.send(Buffer.alloc(577));
    t.a.send(Buffer.alloc(576));
    t.clock.runDue();
    expect(t.a.counters.oversize).toBe(1);
    expect(t.got.length).toBe(1);
  });

  it('applies faults per direction and lets tests change them mid-run', () => {
    const t = setup(11);
    const back: Buffer[] = [];
    t.a.onReceive((ps) => back.push(...ps));
    t.a.faults.loss = 1;
    t.a.send(pkt(1));
    t.b.send(pkt(2));
    t.clock.runDue();
    expect(t.got.length).toBe(0);
    expect(back.length).toBe(1);
    t.a.faults.loss = 0;
    t.a.send(pkt(3));
    t.clock.runDue();
    expect(t.got.length).toBe(1);
  });

  it('delivers nothing to a closed endpoint', async () => {
    const t = setup(12, { faults: { delayMs: 1 } });
    t.a.send(pkt(1));
    await t.b.close();
    t.clock.runUntilIdle();
    expect(t.got.length).toBe(0);
    expect(t.a.counters.delivered).toBe(0);
  });
});
