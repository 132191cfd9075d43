/**
 * Round-trip time estimation and the retransmission timeout: RFC 6298 §2
 * as Linux implements it (tcp_rtt_estimator, tcp_set_rto/__tcp_set_rto).
 * Stands alone: fed samples by the connection, which applies Karn's rule
 * (RFC 6298 §3) through RttTiming below unless timestamps supply samples
 * (RFC 7323 §4).
 *
 * We follow Linux over the RFC here. RFC 6298 §2.3 sets RTO = SRTT +
 * max(G, 4·RTTVAR), rounded up to RTO.min (§2.4). Linux instead adds to SRTT
 * a variation that never drops below tcp_rto_min (200 ms): RTO = SRTT +
 * max(4·mdev, 200 ms), at least SRTT + 200 ms. On a steady 100 ms path the RFC
 * settles at 4·RTTVAR → 0, RTO = max(200, 100 + 1) = 200 ms and the timer fires
 * spuriously on any delay spike; Linux keeps 300 ms. Linux also lets the
 * variation term fall only once per window of data (rtt_seq), by a quarter
 * of its excess over that window's largest mdev, so a quiet round cannot
 * collapse it at once.
 *
 * Arithmetic is Linux's: integer microseconds, SRTT scaled by 8 and mdev by
 * 4 (mdev_us holds 4·mdev, as does rttvar_us), truncating shifts; the RTO is
 * rounded up to whole ms as usecs_to_jiffies does with HZ=1000.
 */
import { seqGt } from './seq.js';

export class RttEstimator {
  /** Linux srtt_us (8·SRTT, µs), mdev_us and mdev_max_us (4·mdev, µs), rttvar_us (µs, added to SRTT for the RTO). */
  private srtt8 = 0;
  private mdev4 = 0;
  private mdevMax = 0;
  private rttvarUs = 0;
  /** Linux rtt_seq: SND.NXT when the current variation window began. */
  private rttSeq = 0;
  hasSample = false;
  /** The latest sample, the lowest seen (Linux tcp_min_rtt, unwindowed) and how many were taken: for congestion control. */
  latest = 0;
  minRtt = Infinity;
  samples = 0;
  /** Number of consecutive timeouts: the RTO is doubled this many times (RFC 6298 §5.5). */
  backoff = 0;
  private base: number;

  constructor(
    private readonly rtoMin: number,
    private readonly rtoMax: number,
    rtoInitial: number,
  ) {
    // RFC 6298 §2.1: until a sample is made, RTO is the initial value.
    this.base = rtoInitial;
  }

  /** Smoothed RTT, ms (0 until the first sample, then > 0); tcpi_rtt rounds it to µs as Linux srtt_us >> 3 does. */
  get srtt(): number {
    return this.srtt8 / 8000;
  }

  /** Mean deviation, ms (RFC 6298 RTTVAR); Linux tcpi_rttvar = mdev_us >> 2. */
  get rttvar(): number {
    return Math.floor(this.mdev4 / 4) / 1000;
  }

  /** Current RTO including backoff, ms, at most rtoMax. */
  get rto(): number {
    const v = this.base * 2 ** Math.min(this.backoff, 30);
    return Math.min(this.rtoMax, v);
  }

  /**
   * Feed one RTT measurement (ms), taken on an ACK that moved SND.UNA to
   * `una` while SND.NXT was `nxt` (Linux tcp_rtt_estimator reads both; with
   * neither given every sample opens a new window). RFC 6298 §2.2–2.3 with
   * α = 1/8, β = 1/4, in Linux's form.
   */
  sample(r: number, una?: number, nxt?: number): void {
    // Samples from send times have µs resolution; echoes are whole ms. A zero
    // sample stays zero in the estimator (Linux only keeps srtt_us, the scaled
    // value, at least 1); congestion control sees it as 1 µs.
    const m = Math.max(0, Math.round(r * 1000));
    const rtt = Math.max(m, 1) / 1000;
    this.latest = rtt;
    this.samples++;
    if (rtt < this.minRtt) this.minRtt = rtt;
    const rtoMinUs = this.rtoMin * 1000;
    if (!this.hasSample) {
      // RFC 6298 §2.2 SRTT = R, RTTVAR = R/2; Linux floors the RTO term at
      // tcp_rto_min, so RTO = R + max(2R, 200 ms) ("make sure rto = 3*rtt").
      this.srtt8 = Math.max(1, m * 8);
      this.mdev4 = m * 2;
      this.rttvarUs = Math.max(this.mdev4, rtoMinUs);
      this.mdevMax = this.rttvarUs;
      this.rttSeq = nxt ?? 0;
      this.hasSample = true;
    } else {
      this.update(m, rtoMinUs, una, nxt);
    }
    // Linux __tcp_set_rto: SRTT + rttvar_us, to jiffies (rounded up); tcp_bound_rto caps it at TCP_RTO_MAX.
    const raw = Math.ceil((Math.floor(this.srtt8 / 8) + this.rttvarUs) / 1000);
    this.base = Math.min(this.rtoMax, Math.max(this.rtoMin, raw));
  }

  /** RFC 6298 §2.3 for a later sample, as Linux tcp_rtt_estimator computes it. */
  private update(mUs: number, rtoMinUs: number, una?: number, nxt?: number): void {
    let m = mUs - Math.floor(this.srtt8 / 8); // error in the estimate
    this.srtt8 = Math.max(1, this.srtt8 + m); // SRTT = 7/8 SRTT + 1/8 R
    if (m < 0) {
      // Linux: an RTT below SRTT moves mdev with gain 1/32 rather than 1/4
      // (in the spirit of Eifel), so a falling RTT cannot inflate the RTO.
      m = -m - Math.floor(this.mdev4 / 4);
      if (m > 0) m = Math.floor(m / 8);
    } else {
      m -= Math.floor(this.mdev4 / 4);
    }
    this.mdev4 += m; // mdev = 3/4 mdev + 1/4 |error|
    if (this.mdev4 > this.mdevMax) {
      this.mdevMax = this.mdev4;
      if (this.mdevMax > this.rttvarUs) this.rttvarUs = this.mdevMax;
    }
    // Once per window of data (SND.UNA past rtt_seq): decay rttvar a quarter
    // of the way towards the window's largest mdev, never below tcp_rto_min.
    const windowDone = una === undefined || nxt === undefined || seqGt(una, this.rttSeq);
    if (windowDone) {
      if (this.mdevMax < this.rttvarUs) this.rttvarUs -= Math.floor((this.rttvarUs - this.mdevMax) / 4);
      this.rttSeq = nxt ?? 0;
      this.mdevMax = rtoMinUs;
    }
  }

  /** The retransmission timer expired: back off (RFC 6298 §5.5). */
  onTimeout(): void {
    this.backoff++;
  }

  /** New data was acknowledged: drop the backoff, as Linux does on forward progress. */
  resetBackoff(): void {
    this.backoff = 0;
  }
}

/**
 * Karn's algorithm (RFC 6298 §3): time one segment at a time, and discard the
 * measurement if any retransmission happened while it was in flight.
 */
export class RttTiming {
  private seq = 0;
  private at = -1;

  /** Start timing the segment ending at `endSeq` if nothing is being timed. */
  start(endSeq: number, now: number): void {
    if (this.at >= 0) return;
    this.seq = endSeq;
    this.at = now;
  }

  /** A retransmission happened: the running measurement is ambiguous. */
  invalidate(): void {
    this.at = -1;
  }

  /**
   * An ACK arrived; if it covers the timed segment return the RTT sample.
   * `covers(ack, seq)` is passed in so this file needs no sequence arithmetic.
   */
  onAck(covered: (seq: number) => boolean, now: number): number | undefined {
    if (this.at < 0 || !covered(this.seq)) return undefined;
    const r = now - this.at;
    this.at = -1;
    return r;
  }
}
