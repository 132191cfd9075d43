/**
 * Reno/NewReno window sizing (RFC 5681 §3.1, Linux tcp_reno_cong_avoid):
 * ABC slow start, then one segment per window of acknowledged segments;
 * ssthresh = cwnd/2 on congestion. Fast-recovery accounting (RFC 6582
 * partial ACKs, PRR) is in ../recovery.ts, not here.
 */
import { HyStartPlusPlus } from './hystart.js';
import { inSlowStart, slowStart } from './slow-start.js';
import { INFINITE_SSTHRESH, type AckEvent, type CongestionController } from './types.js';

export class NewReno implements CongestionController {
  readonly name = 'newreno';
  cwnd: number;
  ssthresh = INFINITE_SSTHRESH;
  /** Segments acknowledged toward the next increase (Linux snd_cwnd_cnt). */
  private count = 0;
  private readonly hystart = new HyStartPlusPlus();

  constructor(initialCwnd: number) {
    this.cwnd = initialCwnd;
  }

  onAckSample(e: AckEvent): void {
    if (inSlowStart(this)) this.hystart.onAck(this, e);
  }

  congAvoid(e: AckEvent): void {
    if (!e.cwndLimited) return; // RFC 7661 / tcp_is_cwnd_limited: no growth while application-limited
    let acked = e.ackedSegs;
    if (inSlowStart(this)) {
      acked = slowStart(this, acked, this.hystart.growthDivisor);
      if (acked === 0) return;
    }
    // RFC 5681 §3.1 eq. 3 by counting (tcp_cong_avoid_ai): +1 per cwnd segments acked.
    this.count += acked;
    const w = Math.max(1, Math.floor(this.cwnd));
    if (this.count >= w) {
      this.cwnd += Math.floor(this.count / w);
      this.count %= w;
    }
  }

  onCongestion(): number {
    this.count = 0;
    // RFC 5681 §3.1 eq. 4 (on cwnd, as Linux tcp_reno_ssthresh, rather than FlightSize).
    return Math.max(Math.floor(this.cwnd / 2), 2);
  }

  onRto(): void {
    this.count = 0;
    this.hystart.reset();
  }

  undoCwnd(priorCwnd: number): number {
    // Linux tcp_reno_undo_cwnd.
    return Math.max(this.cwnd, priorCwnd);
  }
}
