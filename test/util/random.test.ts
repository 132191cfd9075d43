import { describe, expect, it } from 'vitest';
import { SeededRng, randFloat, randInt } from '../../src/util/random.js';

describe('SeededRng', () => {
  it('is reproducible from its seed and differs across seeds', () => {
    const a = new SeededRng(42);
    const b = new SeededRng(42);
    const c = new SeededRng(43);
    const sa = Array.from({ length: 8 }, () => a.u32());
    expect(Array.from({ length: 8 }, () => b.u32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.u32())).not.toEqual(sa);
  });

  it('is roughly uniform', () => {
    const r = new SeededRng(7);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[randInt(r, 10)]++;
    for (const n of buckets) expect(Math.abs(n - 10_000)).toBeLessThan(600);
    const f = randFloat(r);
    expect(f).toBeGreaterThanOrEqual(0);
    expect(f).toBeLessThan(1);
  });
});
