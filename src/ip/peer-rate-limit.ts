/**
 * Per-destination ICMP rate limit, as Linux's icmpv4_xrlim_allow →
 * inet_peer_xrlim_allow (net.ipv4.icmp_ratelimit = 1000 ms): each peer
 * earns one token per elapsed ms, capped at XRLIM_BURST_FACTOR (6) × the
 * limit, and a message to it spends `limitMs` tokens. A new peer starts full
 * (Linux sets rate_last = jiffies - 60 s in inet_getpeer), so the first six
 * messages go out at once, then one per `limitMs`.
 *
 * RFC 1812 §4.3.2.8 and RFC 1122 §3.2.2 ask for a limit on ICMP errors; the
 * per-destination one keeps a flood from one source from using up the
 * global budget (rate-limit.ts) that every other host shares.
 *
 * The peer table is bounded (`maxPeers`): a full table forgets the least
 * recently used peer, which then starts full again — a bound on memory, not
 * a way around the global bucket, which still applies.
 */
import type { Clock } from '../time/clock.js';

/** Linux include/net/inetpeer.h XRLIM_BURST_FACTOR. */
export const XRLIM_BURST_FACTOR = 6;

interface PeerTokens {
  tokens: number;
  last: number;
}

export class PeerRateLimiter {
  private readonly peers = new Map<number, PeerTokens>();

  constructor(
    private readonly clock: Clock,
    /** Linux icmp_ratelimit, in ms; 0 disables the per-peer limit. */
    readonly limitMs: number,
    readonly maxPeers: number,
  ) {}

  get size(): number {
    return this.peers.size;
  }

  /** May one more message go to `addr` now? Spends its tokens if so (inet_peer_xrlim_allow). */
  allow(addr: number): boolean {
    if (this.limitMs <= 0) return true;
    const now = this.clock.now();
    let p = this.peers.get(addr);
    if (p === undefined) {
      if (this.peers.size >= this.maxPeers) {
        const oldest = this.peers.keys().next().value;
        if (oldest !== undefined) this.peers.delete(oldest);
      }
      p = { tokens: XRLIM_BURST_FACTOR * this.limitMs, last: now };
    } else {
      // Re-insert so iteration order is least recently used first.
      this.peers.delete(addr);
    }
    this.peers.set(addr, p);
    let token = p.tokens + Math.max(0, now - p.last);
    p.last = now;
    token = Math.min(token, XRLIM_BURST_FACTOR * this.limitMs);
    const ok = token >= this.limitMs;
    if (ok) token -= this.limitMs;
    p.tokens = token;
    return ok;
  }
}
