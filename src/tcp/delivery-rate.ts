/**
 * Delivery rate estimation (draft-cheng-iccrg-delivery-rate-estimation-02,
 * Linux net/ipv4/tcp_rate.c). Each transmission keeps a snapshot of the
 * connection's delivery state when it left (§3.2 "Transmitting a data
 * packet": delivered, delivered_time, first_sent_time, is_app_limited);
 * when an ACK (cumulative or SACK) delivers it, the most recently sent
 * delivered transmission gives the interval over which `delivered - its
 * snapshot` bytes arrived (§3.3): the larger of the send and the ACK
 * interval, so ACK compression cannot inflate the rate. BBR's bandwidth
 * model is built from these samples.
 *
 * Counts are in bytes (Linux counts packets); times in ms of the injected clock.
 */
import { seqGe, seqGt, seqLe, seqLt } from './seq.js';

/** One transmission (a segment or GSO super-packet) and its send-time snapshot (Linux TCP_SKB_CB(skb)->tx). */
interface Sent {
  start: number;
  end: number;
  sentAt: number;
  delivered: number;
  deliveredAt: number;
  firstSentAt: number;
  appLimited: boolean;
  retrans: boolean;
  /** Fully SACKed: its sample was taken, a later cumulative ACK must not take it again. */
  sacked: boolean;
}

/** Linux struct rate_sample, in bytes and ms. */
export interface RateSample {
  /** Bytes delivered over `interval`; -1 if this ACK gave no sample. */
  delivered: number;
  /** Sample interval, ms; -1 (or ≤ 0) if invalid (§3.3: shorter than min RTT, or no snapshot). */
  interval: number;
  /** The snapshot's `delivered` (Linux prior_delivered): where the sampled flight began. */
  priorDelivered: number;
  /** The sampled transmission left while the application limited the sender (§3.4). */
  isAppLimited: boolean;
  isRetrans: boolean;
  /** Bytes newly delivered by this ACK, cumulatively or by SACK (Linux acked_sacked). */
  ackedSacked: number;
  /** Bytes newly deemed lost on this ACK (Linux rs->losses; filled by the caller from the SACK/RACK boundary). */
  losses: number;
  /** The ACK may have been delayed by the receiver (Linux rs->is_ack_delayed, FLAG_ACK_MAYBE_DELAYED; filled by the caller). */
  isAckDelayed: boolean;
}

/** The SACK view the estimator needs: where the SACKed range holding `seq` ends. */
export interface SackedLookup {
  sackedEnd(seq: number): number | undefined;
}

const NO_SENT: Sent[] = Object.freeze([]) as unknown as Sent[];

export class DeliveryRate {
  /** Bytes delivered so far (Linux tp->delivered) and when the last delivery was seen (delivered_mstamp). */
  delivered = 0;
  deliveredAt = 0;
  /** Send time of the most recent transmission whose delivery was sampled (first_tx_mstamp). */
  firstSentAt = 0;
  /** Linux tp->app_limited: `delivered` mark at which the app-limited period ends, 0 if none. */
  appLimitedUntil = 0;
  /** Highest sequence number below which unSACKed data was deemed lost (to count rs.losses once per byte); -1 before the first. */
  lossMark = -1;
  /** NO_SENT until the first transmission and again once all is acknowledged: an idle connection holds no array. */
  private sent: Sent[] = NO_SENT;
  private head = 0;
  private rs: RateSample | undefined;
  /** The latest rate sample (created at first use: an idle connection does without). */
  get sample(): RateSample {
    return (this.rs ??= { delivered: -1, interval: -1, priorDelivered: 0, isAppLimited: false, isRetrans: false, ackedSacked: 0, losses: 0, isAckDelayed: false });
  }
  /** Scratch for the sample being built (Linux rs->prior_mstamp; 0 = none). */
  private priorAt = -1;
  private sendInterval = -1;
  private lastEnd = 0;

  /**
   * Linux tcp_rate_skb_sent: [start, end) left at `now`; `idle` when nothing
   * was outstanding (packets_out == 0), which restarts both clocks (§3.2).
   */
  onSent(start: number, end: number, now: number, idle: boolean, retrans: boolean): void {
    if (idle) {
      this.firstSentAt = now;
      this.deliveredAt = now;
    }
    if (retrans) {
      // A retransmission carries a fresh snapshot (the draft keeps it per packet, Linux per skb).
      for (let i = this.find(start); i >= 0 && i < this.sent.length && seqLt(this.sent[i].start, end); i++) this.stamp(this.sent[i], now, true);
    }
    const n = this.sent.length;
    const lastEnd = n > this.head ? this.sent[n - 1].end : start;
    if (n > this.head && !seqGt(end, lastEnd)) return;
    const s: Sent = { start: n > this.head && seqGt(lastEnd, start) ? lastEnd : start, end, sentAt: now, delivered: 0, deliveredAt: 0, firstSentAt: 0, appLimited: false, retrans, sacked: false };
    this.stamp(s, now, retrans);
    if (this.sent === NO_SENT) this.sent = [];
    this.sent.push(s);
  }

  private stamp(s: Sent, now: number, retrans: boolean): void {
    s.sentAt = now;
    s.delivered = this.delivered;
    s.deliveredAt = this.deliveredAt;
    s.firstSentAt = this.firstSentAt;
    s.appLimited = this.appLimitedUntil !== 0;
    s.retrans = s.retrans || retrans;
  }

  /** Index of the first record whose end lies beyond `seq` (binary search), or -1 if none. */
  private find(seq: number): number {
    let lo = this.head;
    let hi = this.sent.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seqLe(this.sent[mid].end, seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.sent.length ? lo : -1;
  }

  /**
   * Linux tcp_rate_skb_delivered: keep the snapshot of the most recently
   * sent transmission delivered (tcp_skb_sent_after: later send time, or the
   * same time and a higher end sequence).
   */
  private take(s: Sent): void {
    if (this.priorAt >= 0 && !(s.sentAt > this.firstSentAt || (s.sentAt === this.firstSentAt && seqGt(s.end, this.lastEnd)))) return;
    this.lastEnd = s.end;
    this.sample.priorDelivered = s.delivered;
    this.priorAt = s.deliveredAt;
    this.sample.isAppLimited = s.appLimited;
    this.sample.isRetrans = s.retrans;
    this.firstSentAt = s.sentAt;
    this.sendInterval = s.sentAt - s.firstSentAt;
  }

  /**
   * Draft §3.3 on an ACK: `una` is the new SND.UNA, `blocks` the ACK's SACK
   * blocks, `newlyDelivered` the bytes it delivered (RFC 6937
   * DeliveredData). Returns the rate sample (Linux tcp_rate_gen), reused
   * between calls.
   */
  onAck(una: number, blocks: ReadonlyArray<readonly [number, number]> | undefined, sack: SackedLookup, newlyDelivered: number, now: number, minRtt: number): RateSample {
    const rs = this.sample;
    this.priorAt = -1;
    this.sendInterval = -1;
    rs.isAppLimited = false;
    rs.isRetrans = false;
    for (const [l, r] of blocks ?? []) {
      for (let i = this.find(l); i >= 0 && i < this.sent.length && seqLt(this.sent[i].start, r); i++) {
        const s = this.sent[i];
        if (s.sacked || seqLe(s.end, una)) continue;
        this.take(s);
        const e = sack.sackedEnd(s.start);
        if (e !== undefined && seqGe(e, s.end)) s.sacked = true;
      }
    }
    while (this.head < this.sent.length && seqLt(this.sent[this.head].start, una)) {
      const s = this.sent[this.head];
      if (!s.sacked) this.take(s);
      if (seqGt(s.end, una)) {
        s.start = una; // partly acknowledged (Linux tcp_tso_acked)
        break;
      }
      this.head++;
    }
    this.compact();
    const delivered = Math.max(0, newlyDelivered);
    this.delivered += delivered;
    if (this.appLimitedUntil !== 0 && this.delivered > this.appLimitedUntil) this.appLimitedUntil = 0;
    if (delivered > 0) this.deliveredAt = now;
    rs.ackedSacked = delivered;
    if (this.priorAt < 0 || delivered === 0) {
      rs.delivered = -1;
      rs.interval = -1;
      return rs;
    }
    rs.delivered = this.delivered - rs.priorDelivered;
    // §3.3: the longer of the send and ACK phases, so neither compression inflates the rate.
    rs.interval = Math.max(this.sendInterval, now - this.priorAt);
    // Linux tcp_rate_gen: an interval shorter than min RTT comes from a bad snapshot (e.g. ambiguous retransmissions).
    if (!(rs.interval >= minRtt)) rs.interval = -1;
    return rs;
  }

  /**
   * Draft §3.4 / Linux tcp_rate_check_app_limited, called when the sender
   * stops for want of data (less than an MSS queued, window not full, no
   * lost data awaiting retransmission): samples taken until what is in
   * flight now is delivered are app-limited.
   */
  markAppLimited(inFlight: number): void {
    this.appLimitedUntil = this.delivered + inFlight || 1;
  }

  /** Drop acknowledged records from the front once they are the larger part (amortised O(1)). */
  private compact(): void {
    if (this.head > 0 && this.head === this.sent.length) {
      this.sent = NO_SENT; // everything acknowledged: release the array (bench/scale.ts)
      this.head = 0;
    } else if (this.head > 256 && this.head * 2 > this.sent.length) {
      this.sent = this.sent.slice(this.head);
      this.head = 0;
    }
  }

  /** Transmissions outstanding (for tests and invariants). */
  get outstanding(): number {
    return this.sent.length - this.head;
  }
}
