/**
 * DNS Response Rate Limiting for UDP (Vixie and Schryver's RRL, as in BIND's
 * `rate-limit { responses-per-second; slip; ipv4-prefix-length; }` and
 * Knot's `rrl`): UDP source addresses can be forged, so an open
 * authoritative server would otherwise reflect and amplify a flood of
 * queries at whoever the forged source names (RFC 5358 §4, RFC 8906 §3.2).
 *
 * One token bucket per client /24 (BIND's default ipv4-prefix-length):
 * `perSec` responses per second, up to `burst` at once. Past it, a response
 * is dropped, except every `slip`-th one, which goes out truncated (TC=1, no
 * records — no larger than the query, so nothing is amplified) so that a
 * real client behind a forged flood can still retry over TCP, whose
 * handshake proves its address and which is not limited.
 *
 * Time comes from the stack's injected clock; the table of sources is bounded
 * (`maxSources`, least recently used forgotten).
 */
import type { Clock } from '../time/clock.js';

export interface RrlOptions {
  /** Responses per second per client /24 (BIND responses-per-second). Default 20. */
  perSec: number;
  /** Responses allowed at once before the rate applies. Default 40. */
  burst: number;
  /** Every slip-th limited response is sent truncated instead of dropped (BIND slip, default 2); 0 = drop all. */
  slip: number;
  /** Client prefixes remembered. Default 4096. */
  maxSources: number;
}

export const RRL_DEFAULTS: RrlOptions = { perSec: 20, burst: 40, slip: 2, maxSources: 4096 };

export type RrlVerdict = 'send' | 'slip' | 'drop';

interface Bucket {
  tokens: number;
  last: number;
  limited: number;
}

export class ResponseRateLimiter {
  readonly o: RrlOptions;
  private readonly sources = new Map<number, Bucket>();

  constructor(
    private readonly clock: Clock,
    o: Partial<RrlOptions> = {},
  ) {
    this.o = { ...RRL_DEFAULTS, ...o };
  }

  get size(): number {
    return this.sources.size;
  }

  /** What to do with a UDP response to `addr` (dotted quad). */
  verdict(addr: string): RrlVerdict {
    const key = prefix24(addr);
    const now = this.clock.now();
    let b = this.sources.get(key);
    if (b === undefined) {
      if (this.sources.size >= this.o.maxSources) {
        const oldest = this.sources.keys().next().value;
        if (oldest !== undefined) this.sources.delete(oldest);
      }
      b = { tokens: this.o.burst, last: now, limited: 0 };
    } else {
      this.sources.delete(key); // re-inserted below: least recently used first
    }
    this.sources.set(key, b);
    if (now > b.last) {
      b.tokens = Math.min(this.o.burst, b.tokens + ((now - b.last) * this.o.perSec) / 1000);
      b.last = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 'send';
    }
    b.limited++;
    return this.o.slip > 0 && b.limited % this.o.slip === 0 ? 'slip' : 'drop';
  }
}

/** The /24 of a dotted quad as a number (an unparsable address gets its own key, -1). */
function prefix24(addr: string): number {
  const p = addr.split('.');
  if (p.length !== 4) return -1;
  return ((Number(p[0]) << 16) | (Number(p[1]) << 8) | Number(p[2])) >>> 0;
}
