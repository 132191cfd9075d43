import { describe, expect, it } from 'vitest';
import { HalfSipHash, IsnGenerator } from '../../src/tcp/isn.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng } from '../../src/util/random.js';
import type { FourTuple } from '../../src/tcp/env.js';

const T: FourTuple = { localAddr: 0x0a000001, localPort: 80, remoteAddr: 0x0a000002, remotePort: 40000 };

describe('HalfSipHash-2-4 (keyed F of RFC 6528 §3)', () => {
  // Official HalfSipHash-2-4 32-bit vectors (veorq/SipHash vectors.h,
  // vectors_hsip32), key 00 01 .. 07, message 00 01 .. (len-1); the vector
  // bytes read as a little-endian uint32.
  const key = new HalfSipHash(0x03020100, 0x07060504);
  it('matches the reference vector for the empty message', () => {
    expect(key.hash(0)).toBe(0x5b9f35a9);
  });
  it('matches the reference vectors for 4 and 8 byte messages', () => {
    expect(key.hash(1, 0x03020100)).toBe(0x89466e2a);
    expect(key.hash(2, 0x03020100, 0x07060504)).toBe(0x8f84b8d0);
  });
  it('depends on the key', () => {
    expect(new HalfSipHash(1, 2).hash(1, 5)).not.toBe(new HalfSipHash(1, 3).hash(1, 5));
  });
});

describe('IsnGenerator (RFC 6528 §3)', () => {
  it('M advances by one per 4 µs of the injected clock', () => {
    const clock = new VirtualClock(1000);
    const isn = new IsnGenerator(clock, new SeededRng(1));
    const a = isn.iss(T);
    clock.advance(1);
    expect((isn.iss(T) - a) >>> 0).toBe(250);
    clock.advance(0.004);
    expect((isn.iss(T) - a) >>> 0).toBe(251);
  });

  it('F differs per 4-tuple', () => {
    const clock = new VirtualClock(0);
    const isn = new IsnGenerator(clock, new SeededRng(2));
    const seen = new Set<number>();
    seen.add(isn.iss(T));
    seen.add(isn.iss({ ...T, remotePort: 40001 }));
    seen.add(isn.iss({ ...T, localPort: 81 }));
    seen.add(isn.iss({ ...T, remoteAddr: 0x0a000003 }));
    seen.add(isn.iss({ ...T, localAddr: 0x0a000004 }));
    expect(seen.size).toBe(5);
  });

  it('is keyed by a secret from the rng: same seed reproduces, another seed differs', () => {
    const clock = new VirtualClock(5);
    const seed = 0xc0ffee;
    console.log(`isn seed ${seed}`);
    const a = new IsnGenerator(clock, new SeededRng(seed)).iss(T);
    const b = new IsnGenerator(clock, new SeededRng(seed)).iss(T);
    const c = new IsnGenerator(clock, new SeededRng(seed + 1)).iss(T);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('wraps modulo 2^32', () => {
    const clock = new VirtualClock(20_000_000); // 5e9 ticks > 2^32
    const v = new IsnGenerator(clock, new SeededRng(3)).iss(T);
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThan(2 ** 32);
    expect(Number.isInteger(v)).toBe(true);
  });
});
