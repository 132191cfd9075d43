/**
 * Round-trip time estimation and the retransmission timeout, RFC 6298.
 * Stands alone: fed samples by the connection, which applies Karn's rule
 * (RFC 6298 §3) through RttTiming below unless timestamps supply samples
 * (RFC 7323 §4).
 */

export class RttEstimator {
  /** Smoothed RTT and variation, ms (0 until the first sample). */
  srtt = 0;
  rttvar = 0;
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

  /** Current RTO including backoff, ms, clamped to [rtoMin, rtoMax]. */
  get rto(): number {
    const v = this.base * 2 ** Math.min(this.backoff, 30);
    return Math.min(this.rtoMax, v);
  }

  /** Feed one RTT measurement (ms). RFC 6298 §2.2–2.3 with α = 1/8, β = 1/4. */
  sample(r: number): void {
    // Samples from send times have the clock's resolution (Linux: µs, and a
    // zero sample counts as 1 µs in tcp_rtt_estimator); echoes are whole ms.
    const rtt = Math.max(r, 0.001);
    this.latest = rtt;
    this.samples++;
    if (rtt < this.minRtt) this.minRtt = rtt;
    if (!this.hasSample) {
      this.srtt = rtt;
      this.rttvar = rtt / 2;
      this.hasSample = true;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rtt);
      this.srtt = 0.875 * this.srtt + 0.125 * rtt;
    }
    // Clock granularity G is 1 ms here (RFC 6298 §2.2: max(G, K·RTTVAR)).
    const raw = this.srtt + Math.max(1, 4 * this.rttvar);
    // RFC 6298 §2.4 (rounded up to rtoMin; Linux's 200 ms rather than 1 s) and §2.5.
    this.base = Math.min(this.rtoMax, Math.max(this.rtoMin, raw));
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
