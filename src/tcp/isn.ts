/**
 * Initial sequence numbers (RFC 6528 §3) and the keyed hash behind them and
 * behind SYN cookies.
 *
 * ISN = M + F(localip, localport, remoteip, remoteport, secretkey), where M is
 * a timer ticking every 4 µs (RFC 6528 §3, after RFC 793's clock) read from
 * the injected Clock, and F is HalfSipHash-2-4 keyed with a secret drawn from
 * the injected Rng. Linux uses SipHash for secure_tcp_seq; HalfSipHash is the
 * 32-bit-word member of the family, which JS computes without BigInt or
 * allocation (every value stays a uint32 in a double).
 */
import type { Clock } from '../time/clock.js';
import type { Rng } from '../util/random.js';
import type { FourTuple } from './env.js';

/**
 * A 64-bit HalfSipHash key plus the working state, so hashing allocates
 * nothing. One instance per owner (never shared at module level).
 */
export class HalfSipHash {
  constructor(
    private readonly k0: number,
    private readonly k1: number,
  ) {}

  static fromRng(rng: Rng): HalfSipHash {
    return new HalfSipHash(rng.u32(), rng.u32());
  }

  /**
   * HalfSipHash-2-4 with 32-bit output over `n` (0..5) 32-bit words taken as
   * little-endian 4-byte blocks, i.e. the message bytes are w0 LE, w1 LE, ...
   * Fixed arity keeps the hot path free of arrays; the state lives in local
   * int32 variables (not object fields, which would box every uint32 above
   * 2^30), since this runs for every SYN of a flood (cookies and ISNs).
   */
  hash(n: number, w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0): number {
    let v0 = this.k0 | 0;
    let v1 = this.k1 | 0;
    let v2 = (0x6c796765 ^ this.k0) | 0;
    let v3 = (0x74656462 ^ this.k1) | 0;
    // n message words, then the final block (length in bytes in the top byte).
    for (let i = 0; i <= n; i++) {
      const m = i === n ? (4 * n) << 24 : i === 0 ? w0 | 0 : i === 1 ? w1 | 0 : i === 2 ? w2 | 0 : i === 3 ? w3 | 0 : w4 | 0;
      v3 ^= m;
      for (let r = 0; r < 2; r++) {
        v0 = (v0 + v1) | 0;
        v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0;
        v0 = (v0 << 16) | (v0 >>> 16);
        v2 = (v2 + v3) | 0;
        v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
        v0 = (v0 + v3) | 0;
        v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
        v2 = (v2 + v1) | 0;
        v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2;
        v2 = (v2 << 16) | (v2 >>> 16);
      }
      v0 ^= m;
    }
    v2 ^= 0xff;
    for (let r = 0; r < 4; r++) {
      v0 = (v0 + v1) | 0;
      v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0;
      v0 = (v0 << 16) | (v0 >>> 16);
      v2 = (v2 + v3) | 0;
      v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
      v0 = (v0 + v3) | 0;
      v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
      v2 = (v2 + v1) | 0;
      v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2;
      v2 = (v2 << 16) | (v2 >>> 16);
    }
    return (v1 ^ v3) >>> 0;
  }

  /** F over a connection's identity: both addresses and both ports. */
  tuple(t: FourTuple, extra1?: number, extra2?: number): number {
    const ports = ((t.localPort << 16) | t.remotePort) >>> 0;
    if (extra1 === undefined) return this.hash(3, t.localAddr, t.remoteAddr, ports);
    if (extra2 === undefined) return this.hash(4, t.localAddr, t.remoteAddr, ports, extra1);
    return this.hash(5, t.localAddr, t.remoteAddr, ports, extra1, extra2);
  }
}

/** 4 µs ticks per millisecond of the injected clock (RFC 6528 §3 "M"). */
const TICKS_PER_MS = 250;

export class IsnGenerator {
  private readonly f: HalfSipHash;

  /** The secret key is drawn once from `rng` (RFC 6528 §3: "secretkey ... random"). */
  constructor(
    private readonly clock: Clock,
    rng: Rng,
  ) {
    this.f = HalfSipHash.fromRng(rng);
  }

  /** RFC 6528 §3: ISN = M + F(4-tuple, secret). */
  iss(t: FourTuple): number {
    const m = Math.floor(this.clock.now() * TICKS_PER_MS);
    return (m + this.f.tuple(t)) >>> 0;
  }
}
