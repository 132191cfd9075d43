/**
 * BBR's ACK-aggregation cwnd allowance (Linux tcp_bbr.c
 * bbr_update_ack_aggregation, bbr_ack_aggregation_cwnd; "tcp_bbr: adapt
 * cwnd based on ack aggregation estimation", 2019). Wi-Fi, cable
 * uplinks, GRO and stretch ACKs deliver ACKs in bursts with silences
 * between; a cwnd of 2 BDP then runs dry during a silence and the sender
 * idles. The "extra acked" — data acknowledged in an ACK epoch beyond what
 * the bandwidth estimate predicts for that epoch's length — measures the
 * burst; its max over 5–10 round trips (two 5-round halves) is added to the
 * cwnd target, capped at cwnd and at 100 ms worth of bandwidth.
 *
 * Units: bytes, bytes/ms and ms (Linux counts packets and µs).
 */

/** bbr_extra_acked_win_rtts: each half of the max filter spans this many round trips. */
export const BBR_EXTRA_ACKED_WIN_RTTS = 5;
/** bbr_extra_acked_max_us: the allowance is at most this much time at the estimated bandwidth. */
export const BBR_EXTRA_ACKED_MAX_MS = 100;
/** bbr_ack_epoch_acked_reset_thresh (2^20 packets), and ack_epoch_acked's 20-bit field. */
const EPOCH_ACKED_RESET_SEGS = 1 << 20;
const EPOCH_ACKED_MAX_SEGS = 0xfffff;

export interface AggregationSample {
  /** Time of this delivery (Linux tp->delivered_mstamp). */
  now: number;
  roundStart: boolean;
  /** The model's bandwidth (bbr_bw), bytes/ms. */
  bw: number;
  /** Bytes this ACK newly delivered (rs->acked_sacked). */
  ackedSacked: number;
  cwndBytes: number;
  mss: number;
}

export class AckAggregation {
  /** bbr_extra_acked_gain: 1.0 in Linux; 0 turns the allowance off (as the module constant would). */
  gain = 1;
  /** Start of the current ACK epoch (ack_epoch_mstamp) and bytes acknowledged in it (ack_epoch_acked). */
  private epochStart = 0;
  private epochAcked = 0;
  /** Round trips in the current half of the filter, which half, and each half's max (extra_acked[2]). */
  private winRtts = 0;
  private winIdx = 0;
  private readonly extra = [0, 0];

  /** bbr_extra_acked: the max over the last 5–10 round trips, bytes. */
  get extraAcked(): number {
    return Math.max(this.extra[0], this.extra[1]);
  }

  /**
   * bbr_update_ack_aggregation, on an ACK with a valid rate sample: an
   * epoch lasts while ACKs arrive at least as fast as the bandwidth
   * estimate predicts; what they acknowledge beyond that is the burst.
   */
  update(s: AggregationSample): void {
    if (this.gain <= 0 || s.ackedSacked <= 0) return;
    if (s.roundStart) {
      this.winRtts = Math.min(0x1f, this.winRtts + 1);
      if (this.winRtts >= BBR_EXTRA_ACKED_WIN_RTTS) {
        this.winRtts = 0;
        this.winIdx = 1 - this.winIdx;
        this.extra[this.winIdx] = 0;
      }
    }
    let expected = s.bw * (s.now - this.epochStart);
    // ACKs slower than the estimate (or a very old epoch): start a new epoch here.
    if (this.epochAcked <= expected || this.epochAcked + s.ackedSacked >= EPOCH_ACKED_RESET_SEGS * s.mss) {
      this.epochAcked = 0;
      this.epochStart = s.now;
      expected = 0;
    }
    this.epochAcked = Math.min(EPOCH_ACKED_MAX_SEGS * s.mss, this.epochAcked + s.ackedSacked);
    const extra = Math.min(this.epochAcked - expected, s.cwndBytes);
    if (extra > this.extra[this.winIdx]) this.extra[this.winIdx] = extra;
  }

  /** bbr_cwnd_event(CA_EVENT_TX_START): restarting from idle starts a new epoch. */
  restartEpoch(now: number): void {
    this.epochStart = now;
    this.epochAcked = 0;
  }

  /** bbr_ack_aggregation_cwnd: the allowance in whole segments, once STARTUP has filled the pipe. */
  cwndSegments(bw: number, mss: number, fullBwReached: boolean): number {
    if (this.gain <= 0 || !fullBwReached || mss <= 0) return 0;
    const cap = bw * BBR_EXTRA_ACKED_MAX_MS;
    return Math.floor(Math.min(this.gain * this.extraAcked, cap) / mss);
  }
}
