/**
 * CUBIC (RFC 9438), Linux's default (tcp_cubic.c): after a congestion event
 * the window follows W_cubic(t) = C·(t − K)³ + W_max (§4.2), with
 * β_cubic = 0.7 and C = 0.4, fast convergence (§4.7), the Reno-friendly
 * region (§4.3), and the epoch shifted over idle periods (§5.8, Linux
 * bictcp_cwnd_event). Slow start is ABC with HyStart++ (RFC 9406).
 */
import { HyStartPlusPlus } from './hystart.js';
import { inSlowStart, slowStart } from './slow-start.js';
import { INFINITE_SSTHRESH, type AckEvent, type CongestionController } from './types.js';

export const CUBIC_C = 0.4;
export const CUBIC_BETA = 0.7;
/** RFC 9438 §4.3: α_cubic = 3(1 − β)/(1 + β), Reno-equivalent AIMD growth with CUBIC's β. */
const ALPHA_CUBIC = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

/** RFC 9438 §4.2 eq. 1: W_cubic(t), t and K in seconds, windows in segments. */
export function wCubic(t: number, k: number, wMax: number): number {
  return CUBIC_C * (t - k) ** 3 + wMax;
}

/** RFC 9438 §4.2 eq. 2: K = ∛((W_max − cwnd_epoch)/C). */
export function cubicK(wMax: number, cwndEpoch: number): number {
  return Math.cbrt(Math.max(0, wMax - cwndEpoch) / CUBIC_C);
}

export class Cubic implements CongestionController {
  readonly name = 'cubic';
  cwnd: number;
  ssthresh = INFINITE_SSTHRESH;
  /** Window before the last reduction (§4.6), segments; 0 after a timeout (§4.8). */
  wMax = 0;
  /** Start of the current congestion avoidance epoch, ms; -1 = not started. */
  epochStart = -1;
  k = 0;
  /** The curve's plateau for this epoch: W_max, or cwnd_epoch when above it (Linux bic_origin_point). */
  origin = 0;
  /** Reno-friendly estimate W_est (§4.3). */
  wEst = 0;
  readonly fastConvergence: boolean;
  /** Created at the first slow-start ACK: an idle connection does without (bench/scale.ts). */
  private hs: HyStartPlusPlus | undefined;
  get hystart(): HyStartPlusPlus {
    return (this.hs ??= new HyStartPlusPlus());
  }

  constructor(initialCwnd: number, opts: { fastConvergence?: boolean } = {}) {
    this.cwnd = initialCwnd;
    this.fastConvergence = opts.fastConvergence ?? true;
  }

  onAckSample(e: AckEvent): void {
    if (inSlowStart(this)) this.hystart.onAck(this, e);
  }

  congAvoid(e: AckEvent): void {
    if (!e.cwndLimited) return; // RFC 9438 §5.8 / RFC 7661: no growth while application-limited
    let acked = e.ackedSegs;
    if (inSlowStart(this)) {
      acked = slowStart(this, acked, this.hystart.growthDivisor);
      if (acked === 0) return;
    }
    if (this.epochStart < 0) this.startEpoch(e.now);
    const t = (e.now - this.epochStart) / 1000;
    const rtt = (e.minRtt === Infinity ? e.srtt : e.minRtt) / 1000;
    // §4.4–4.5: aim for W_cubic one RTT ahead, within [cwnd, 1.5·cwnd].
    const target = Math.min(Math.max(wCubic(t + rtt, this.k, this.origin), this.cwnd), 1.5 * this.cwnd);
    // §4.3: the Reno-friendly estimate grows by α_cubic per window (1 once past W_max).
    const alpha = this.wEst >= this.wMax ? 1 : ALPHA_CUBIC;
    this.wEst += (alpha * acked) / this.cwnd;
    if (wCubic(t, this.k, this.origin) < this.wEst) this.cwnd = Math.max(this.cwnd, this.wEst);
    else this.cwnd += ((target - this.cwnd) / this.cwnd) * acked;
  }

  private startEpoch(now: number): void {
    this.epochStart = now;
    this.wEst = this.cwnd;
    if (this.cwnd < this.wMax) {
      this.k = cubicK(this.wMax, this.cwnd);
      this.origin = this.wMax;
    } else {
      this.k = 0;
      this.origin = this.cwnd;
    }
  }

  onCongestion(): number {
    this.epochStart = -1;
    this.hs?.reset();
    // §4.7 fast convergence: release bandwidth when the plateau keeps dropping.
    const w = this.cwnd;
    this.wMax = this.fastConvergence && w < this.wMax ? (w * (1 + CUBIC_BETA)) / 2 : w;
    // §4.6: ssthresh = cwnd·β_cubic, at least 2 segments.
    return Math.max(Math.floor(w * CUBIC_BETA), 2);
  }

  onRto(): void {
    // §4.8: the first congestion avoidance after a timeout starts a new curve at its own cwnd (Linux bictcp_reset).
    this.epochStart = -1;
    this.wMax = 0;
    this.hs?.reset();
  }

  onIdleRestart(_now: number, idleMs: number): void {
    // §5.8: the curve does not advance while nothing is sent.
    if (this.epochStart >= 0) this.epochStart += idleMs;
  }

  undoCwnd(priorCwnd: number): number {
    return Math.max(this.cwnd, priorCwnd);
  }
}
