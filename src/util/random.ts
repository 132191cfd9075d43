/**
 * Injected randomness (gVisor `stack.Options.RandSource`): ISNs, ephemeral
 * ports, cookie secrets and link faults all draw from an Rng, so a seeded run
 * is reproducible from its printed seed.
 */
import { randomBytes } from 'node:crypto';

export interface Rng {
  /** Uniform unsigned 32-bit integer. */
  u32(): number;
}

/** Uniform float in [0, 1). */
export function randFloat(rng: Rng): number {
  return rng.u32() / 0x1_0000_0000;
}

/** Uniform integer in [0, n). */
export function randInt(rng: Rng, n: number): number {
  return Math.floor(randFloat(rng) * n);
}

/** Fill a buffer with random bytes from rng (secrets, cookie keys). */
export function randBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i += 4) {
    const v = rng.u32();
    for (let j = 0; j < 4 && i + j < n; j++) b[i + j] = (v >>> (8 * j)) & 255;
  }
  return b;
}

/** sfc32: small, fast, good-quality PRNG; deterministic from a 32-bit seed. */
export class SeededRng implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
}

/** Cryptographically strong randomness for real runs, drawn in pooled blocks. */
export class CryptoRng implements Rng {
  private pool = randomBytes(1024);
  private pos = 0;

  u32(): number {
    if (this.pos + 4 > this.pool.length) {
      this.pool = randomBytes(1024);
      this.pos = 0;
    }
    const v = this.pool.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
}
