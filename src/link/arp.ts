/**
 * The ARP neighbour table for one Ethernet interface (RFC 826, RFC 1122
 * §2.3.2): resolved entries with an expiry, and per-address resolutions in
 * progress with a bounded queue of packets waiting for them.
 *
 * Time comes from the injected Clock; expiry is checked lazily on lookup, so
 * resolved entries cost no timer. Only a pending resolution holds a timer
 * (its retransmission).
 */
import type { Clock, Timer } from '../time/clock.js';
import type { MacAddress } from '../wire/ethernet.js';
import { makeCounters } from '../util/counters.js';

export interface ArpOptions {
  /** How long a learned entry is used before it is resolved again (default 60 s). */
  reachableMs?: number;
  /** Time between requests for one address (default 1 s, RFC 1122 §2.3.2.1 limits it to 1/s). */
  retryMs?: number;
  /** Requests sent after the first before giving up (default 3). */
  maxRetries?: number;
  /** Packets queued per unresolved address (default 16; oldest dropped first). */
  queueLimit?: number;
  /** Resolved entries kept (default 1024; the oldest is evicted). */
  maxEntries?: number;
}

export const ARP_COUNTERS = [
  'rxRequests',
  'rxReplies',
  'rxMalformed',
  'rxBadSender',
  'rxNotForUs',
  'addressConflict',
  'txRequests',
  'txReplies',
  'learned',
  'updated',
  'expired',
  'evicted',
  'queued',
  'queueOverflow',
  'resolved',
  'resolutionFailed',
  'droppedOnFailure',
] as const;
export type ArpCounter = (typeof ARP_COUNTERS)[number];

interface Entry {
  mac: MacAddress;
  expiresAt: number;
}

interface Pending {
  queue: Buffer[];
  retries: number;
  timer: Timer;
}

/** What the table needs from the interface it serves. */
export interface ArpHooks {
  /** Broadcast a who-has request for `addr`. */
  sendRequest(addr: number): void;
  /** Send a packet that was waiting for `addr`, now known to be at `mac`. */
  sendQueued(packet: Buffer, mac: MacAddress): void;
}

export interface ArpEntrySnapshot {
  addr: number;
  mac?: MacAddress;
  state: 'reachable' | 'incomplete';
  /** ms until expiry (reachable) or retries sent (incomplete). */
  expiresInMs?: number;
  queued?: number;
}

export class ArpTable {
  readonly counters = makeCounters(ARP_COUNTERS);
  private readonly entries = new Map<number, Entry>();
  private readonly pending = new Map<number, Pending>();
  private readonly reachableMs: number;
  private readonly retryMs: number;
  private readonly maxRetries: number;
  private readonly queueLimit: number;
  private readonly maxEntries: number;

  constructor(
    private readonly clock: Clock,
    private readonly hooks: ArpHooks,
    opts: ArpOptions = {},
  ) {
    this.reachableMs = opts.reachableMs ?? 60_000;
    this.retryMs = opts.retryMs ?? 1000;
    this.maxRetries = opts.maxRetries ?? 3;
    this.queueLimit = Math.max(1, opts.queueLimit ?? 16);
    this.maxEntries = Math.max(1, opts.maxEntries ?? 1024);
  }

  /** The MAC for `addr` if resolved and not expired. */
  lookup(addr: number): MacAddress | undefined {
    const e = this.entries.get(addr);
    if (!e) return undefined;
    if (e.expiresAt <= this.clock.now()) {
      this.entries.delete(addr);
      this.counters.expired++;
      return undefined;
    }
    return e.mac;
  }

  /** Whether an entry (resolved, possibly expired) exists: the RFC 826 merge test. */
  has(addr: number): boolean {
    return this.entries.has(addr);
  }

  /**
   * Queue `packet` until `addr` resolves, starting a resolution if none is
   * running. When the queue is full the oldest packet is dropped (newer data
   * is more useful to TCP than older, and Linux's unres queue does the same).
   */
  enqueue(addr: number, packet: Buffer): void {
    let p = this.pending.get(addr);
    if (!p) {
      p = { queue: [], retries: 0, timer: this.clock.setTimer(this.clock.now() + this.retryMs, () => this.retry(addr)) };
      this.pending.set(addr, p);
      this.hooks.sendRequest(addr);
      this.counters.txRequests++;
    }
    if (p.queue.length >= this.queueLimit) {
      p.queue.shift();
      this.counters.queueOverflow++;
    }
    p.queue.push(packet);
    this.counters.queued++;
  }

  private retry(addr: number): void {
    const p = this.pending.get(addr);
    if (!p) return;
    if (p.retries >= this.maxRetries) {
      // RFC 1122 §2.3.2.2: give up and discard what was waiting.
      this.pending.delete(addr);
      this.counters.resolutionFailed++;
      this.counters.droppedOnFailure += p.queue.length;
      return;
    }
    p.retries++;
    p.timer = this.clock.setTimer(this.clock.now() + this.retryMs, () => this.retry(addr));
    this.hooks.sendRequest(addr);
    this.counters.txRequests++;
  }

  /**
   * Record `addr` at `mac` (RFC 826: update if present, or add when we are the
   * target) and release packets waiting for it, in the order they were sent.
   */
  learn(addr: number, mac: MacAddress): void {
    const existed = this.entries.delete(addr); // re-insert: Map order = age for eviction
    if (!existed && this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
      this.counters.evicted++;
    }
    this.entries.set(addr, { mac, expiresAt: this.clock.now() + this.reachableMs });
    if (existed) this.counters.updated++;
    else this.counters.learned++;
    const p = this.pending.get(addr);
    if (p) {
      this.pending.delete(addr);
      p.timer.cancel();
      this.counters.resolved++;
      for (const pkt of p.queue) this.hooks.sendQueued(pkt, mac);
    }
  }

  /** Cancel every resolution in progress (interface closing). */
  clear(): void {
    for (const p of this.pending.values()) p.timer.cancel();
    this.pending.clear();
    this.entries.clear();
  }

  /** The table as `ip neigh` would show it. */
  snapshot(): ArpEntrySnapshot[] {
    const now = this.clock.now();
    const out: ArpEntrySnapshot[] = [];
    for (const [addr, e] of this.entries) {
      if (e.expiresAt > now) out.push({ addr, mac: e.mac, state: 'reachable', expiresInMs: e.expiresAt - now });
    }
    for (const [addr, p] of this.pending) out.push({ addr, state: 'incomplete', queued: p.queue.length });
    return out;
  }
}
