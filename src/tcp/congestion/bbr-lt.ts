/**
 * BBR's long-term bandwidth sampling for token-bucket policers (Linux
 * tcp_bbr.c bbr_lt_bw_sampling, "policer detection"): a policer lets a
 * burst through and then drops everything above its rate, so the max
 * filter keeps reading the burst rate while a fifth of the packets die.
 * From the first loss, measure delivery over intervals of 4–16 round trips
 * that end in a loss; two consecutive intervals with ≥ 20 % loss and rates
 * within 1/8 (or 4 kbit/s) of each other mean a policer: BBR then uses
 * their average (lt_bw) with pacing gain 1 for 48 round trips.
 *
 * Units as in bbr.ts: bytes, ms, bytes/ms.
 */
/** bbr_lt_intvl_min_rtts, bbr_lt_loss_thresh (50/256), bbr_lt_bw_ratio (1/8), bbr_lt_bw_diff (4 kbit/s), bbr_lt_bw_max_rtts. */
const LT_INTVL_MIN_RTTS = 4;
const LT_LOSS_THRESH = 50 / 256;
const LT_BW_RATIO = 1 / 8;
const LT_BW_DIFF = 4000 / 8 / 1000;
export const BBR_LT_BW_MAX_RTTS = 48;

/** What one ACK tells the sampler. */
export interface LtSample {
  now: number;
  /** Cumulative bytes delivered and deemed lost on the connection (Linux tp->delivered, tp->lost). */
  delivered: number;
  lost: number;
  /** Bytes newly lost on this ACK (rs->losses), and whether the sample was app-limited. */
  losses: number;
  appLimited: boolean;
  roundStart: boolean;
  probeBw: boolean;
}

export class LongTermBw {
  /** The policed rate estimate and whether BBR uses it (lt_bw, lt_use_bw). */
  bw = 0;
  useBw = false;
  private sampling = false;
  private rttCnt = 0;
  private lastStamp = 0;
  private lastDelivered = 0;
  private lastLost = 0;

  /** bbr_reset_lt_bw_sampling. */
  reset(s: Pick<LtSample, 'now' | 'delivered' | 'lost'>): void {
    this.bw = 0;
    this.useBw = false;
    this.sampling = false;
    this.resetInterval(s);
  }

  private resetInterval(s: Pick<LtSample, 'now' | 'delivered' | 'lost'>): void {
    this.lastStamp = s.now;
    this.lastDelivered = s.delivered;
    this.lastLost = s.lost;
    this.rttCnt = 0;
  }

  /**
   * bbr_lt_bw_sampling on one ACK. Returns 'policed' when lt_bw is taken
   * into use (the caller sets pacing gain 1), 'expired' after 48 rounds of
   * it in PROBE_BW (the caller restarts the gain cycle), otherwise undefined.
   */
  sample(s: LtSample): 'policed' | 'expired' | undefined {
    if (this.useBw) {
      if (s.probeBw && s.roundStart && ++this.rttCnt >= BBR_LT_BW_MAX_RTTS) {
        this.reset(s);
        return 'expired';
      }
      return undefined;
    }
    // Wait for the first loss: the policer's bucket is empty from then on.
    if (!this.sampling) {
      if (s.losses <= 0) return undefined;
      this.resetInterval(s);
      this.sampling = true;
    }
    if (s.appLimited) {
      this.reset(s); // running out of data would underestimate the policed rate
      return undefined;
    }
    if (s.roundStart) this.rttCnt++;
    if (this.rttCnt < LT_INTVL_MIN_RTTS) return undefined;
    if (this.rttCnt > 4 * LT_INTVL_MIN_RTTS) {
      this.reset(s);
      return undefined;
    }
    if (s.losses <= 0) return undefined; // end intervals on a loss: the tokens are spent
    const lost = s.lost - this.lastLost;
    const delivered = s.delivered - this.lastDelivered;
    if (delivered <= 0 || lost < LT_LOSS_THRESH * delivered) return undefined;
    const t = s.now - this.lastStamp;
    if (t < 1) return undefined;
    return this.intervalDone(delivered / t, s);
  }

  /** bbr_lt_bw_interval_done: two consistent intervals in a row mean a policer. */
  private intervalDone(bw: number, s: LtSample): 'policed' | undefined {
    if (this.bw > 0) {
      const diff = Math.abs(bw - this.bw);
      if (diff <= LT_BW_RATIO * this.bw || diff <= LT_BW_DIFF) {
        this.bw = (bw + this.bw) / 2;
        this.useBw = true;
        this.rttCnt = 0;
        return 'policed';
      }
    }
    this.bw = bw;
    this.resetInterval(s);
    return undefined;
  }
}
