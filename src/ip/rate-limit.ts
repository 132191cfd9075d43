/**
 * Token bucket for ICMP error messages on the injected clock.
 *
 * RFC 1122 §3.2.2 and RFC 1812 §4.3.2.8 ask that the rate of ICMP error
 * messages be limited. We follow Linux's global limiter (net.ipv4.icmp_msgs_per_sec
 * = 1000, icmp_msgs_burst = 50): credit refills continuously at `perSec` up to
 * `burst`, and each message spends one token.
 */
import type { Clock } from '../time/clock.js';

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: Clock,
    readonly perSec: number,
    readonly burst: number,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Take one token if available; false means "rate limited, do not send". */
  take(): boolean {
    if (!this.hasToken()) return false;
    this.tokens -= 1;
    return true;
  }

  /** Is a token available now? (Refills, spends nothing: Linux icmp_global_allow, then icmp_global_consume.) */
  hasToken(): boolean {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSec) / 1000);
      this.last = now;
    }
    return this.tokens >= 1;
  }

  /** Spend the token hasToken() found. */
  spend(): void {
    this.tokens -= 1;
  }
}
