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

const rotl = (x: number, b: number): number => ((x << b) | (x >>> (32 - b))) >>> 0;

/**
 * A 64-bit HalfSipHash key plus the working state, so hashing allocates
 * nothing. One instance per owner (never shared at module level).
 */
export class HalfSipHash {
  private v0 = 0;
  private v1 = 0;
  private v2 = 0;
  private v3 = 0;

  constructor(
    private readonly k0: number,
    private readonly k1: number,
  ) {}

  static fromRng(rng: Rng): HalfSipHash {
    return new HalfSipHash(rng.u32(), rng.u32());
  }

  private round(): void {
    this.v0 = (this.v0 + this.v1) >>> 0;
    this.v1 = rotl(this.v1, 5) ^ this.v0;
    this.v0 = rotl(this.v0, 16);
    this.v2 = (this.v2 + this.v3) >>> 0;
    this.v3 = rotl(this.v3, 8) ^ this.v2;
    this.v0 = (this.v0 + this.v3) >>> 0;
    this.v3 = rotl(this.v3, 7) ^ this.v0;
    this.v2 = (this.v2 + this.v1) >>> 0;
    this.v1 = rotl(this.v1, 13) ^ this.v2;
    this.v2 = rotl(this.v2, 16);
  }

  private compress(m: number): void {
    this.v3 = (this.v3 ^ m) >>> 0;
    this.round();
    this.round();
    this.v0 = (this.v0 ^ m) >>> 0;
  }

  /**
   * HalfSipHash-2-4 with 32-bit output over `n` (0..4) 32-bit words taken as
   * little-endian 4-byte blocks, i.e. the message bytes are w0 LE, w1 LE, ...
   * Fixed arity keeps the hot path free of arrays.
   */
  hash(n: number, w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0): number {
    this.v0 = this.k0 >>> 0;
    this.v1 = this.k1 >>> 0;
    this.v2 = (0x6c796765 ^ this.k0) >>> 0;
    this.v3 = (0x74656462 ^ this.k1) >>> 0;
    if (n > 0) this.compress(w0 >>> 0);
    if (n > 1) this.compress(w1 >>> 0);
    if (n > 2) this.compress(w2 >>> 0);
    if (n > 3) this.compress(w3 >>> 0);
    if (n > 4) this.compress(w4 >>> 0);
    // Final block: message length in bytes in the top byte, no tail bytes.
    this.compress(((4 * n) << 24) >>> 0);
    this.v2 = (this.v2 ^ 0xff) >>> 0;
    this.round();
    this.round();
    this.round();
    this.round();
    return (this.v1 ^ this.v3) >>> 0;
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
