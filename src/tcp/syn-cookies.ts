/**
 * SYN cookies (RFC 4987 §3.6, after D. J. Bernstein's design and Linux's
 * net/ipv4/syncookies.c): when the SYN queue is full, the listener answers a
 * SYN statelessly and encodes what it must remember in its own ISN.
 *
 * Cookie layout (the classic one RFC 4987 describes):
 *   bits 31..27  t mod 32, t = now / 64 s
 *   bits 26..24  index into MSS_TABLE of the peer's MSS (rounded down)
 *   bits 23..0   F(4-tuple, peer ISN, t, index) keyed with a secret
 * On the handshake-completing ACK, cookie = SEG.ACK - 1 and the peer ISN is
 * SEG.SEQ - 1; t may be the current counter or the one before (Linux accepts
 * MAX_SYNCOOKIE_AGE counter values), so a cookie lives 64 to 128 s.
 *
 * Window scale and SACK-permitted cannot fit in the ISN: as Linux does
 * (cookie_init_timestamp), they ride in the low 6 bits of our TSval when the
 * peer offered timestamps and come back in its TSecr. Without timestamps the
 * connection goes on with neither.
 */
import type { Rng } from '../util/random.js';
import type { FourTuple } from './env.js';
import { HalfSipHash } from './isn.js';

/** Linux's msstab (net/ipv4/syncookies.c): common MSS values, sorted. */
export const MSS_TABLE: readonly number[] = [536, 1300, 1440, 1460];

/** Length of one time-counter step, ms. */
export const COOKIE_PERIOD_MS = 64_000;
/** Counter values accepted: the current one and the one before. */
const MAX_AGE = 2;
const HASH_MASK = 0xffffff;

/** Low TSval bits carrying options (Linux TSBITS = 6; wscale 0xf = none). */
export const TS_OPT_BITS = 6;
const TS_OPT_MASK = (1 << TS_OPT_BITS) - 1;
const TS_WSCALE_NONE = 0xf;
const TS_SACK_BIT = 0x10;
/** Linux TS_OPT_ECN: the SYN asked for ECN and we agreed (cookie_ecn_ok). */
const TS_ECN_BIT = 0x20;

export interface CookieTsOptions {
  /** The peer's window scale shift, undefined if it did not send the option. */
  wscale: number | undefined;
  sackOk: boolean;
  /** ECN agreed in the SYN/SYN-ACK (RFC 3168 §6.1.1); absent means no. */
  ecnOk?: boolean;
}

/** Index of the largest MSS_TABLE entry not above `mss` (0 when mss < 1300). */
export function mssIndex(mss: number): number {
  for (let i = MSS_TABLE.length - 1; i > 0; i--) if (mss >= MSS_TABLE[i]) return i;
  return 0;
}

export class SynCookies {
  private readonly f: HalfSipHash;

  /** The secret comes from the injected rng (RFC 4987 §3.6: a secret known only to the server). */
  constructor(rng: Rng) {
    this.f = HalfSipHash.fromRng(rng);
  }

  private counter(now: number): number {
    return Math.floor(now / COOKIE_PERIOD_MS);
  }

  private mac(t: FourTuple, irs: number, count: number, idx: number): number {
    return this.f.tuple(t, irs, ((count << 3) | idx) >>> 0) & HASH_MASK;
  }

  /** Our ISN for a SYN answered statelessly. */
  make(t: FourTuple, irs: number, peerMss: number, now: number): number {
    const count = this.counter(now);
    const idx = mssIndex(peerMss);
    return (((count & 31) << 27) | (idx << 24) | this.mac(t, irs, count, idx)) >>> 0;
  }

  /**
   * Validate the cookie an ACK returns (`cookie` = SEG.ACK - 1, `irs` =
   * SEG.SEQ - 1). Returns the peer MSS it encodes, or undefined if it is
   * forged, for another tuple, or stale.
   */
  check(t: FourTuple, irs: number, cookie: number, now: number): number | undefined {
    const count = this.counter(now);
    const age = (count - (cookie >>> 27)) & 31;
    if (age >= MAX_AGE || count - age < 0) return undefined;
    const idx = (cookie >>> 24) & 7;
    if (idx >= MSS_TABLE.length) return undefined;
    if (this.mac(t, irs, count - age, idx) !== (cookie & HASH_MASK)) return undefined;
    return MSS_TABLE[idx];
  }
}

/** Our TSval for a cookie SYN-ACK: `tsNow` with its low bits replaced by the options (Linux cookie_init_timestamp). */
export function encodeCookieTs(tsNow: number, opts: CookieTsOptions): number {
  let bits = opts.wscale === undefined ? TS_WSCALE_NONE : Math.min(opts.wscale, 14);
  if (opts.sackOk) bits |= TS_SACK_BIT;
  if (opts.ecnOk) bits |= TS_ECN_BIT;
  return ((tsNow & ~TS_OPT_MASK) | bits) >>> 0;
}

/** Recover the options from the TSecr of the cookie ACK (Linux cookie_timestamp_decode). */
export function decodeCookieTs(tsEcr: number): CookieTsOptions {
  const w = tsEcr & 0xf;
  return { wscale: w === TS_WSCALE_NONE ? undefined : w, sackOk: (tsEcr & TS_SACK_BIT) !== 0, ecnOk: (tsEcr & TS_ECN_BIT) !== 0 };
}
