/**
 * HyStart++ (RFC 9406): leave slow start before the first loss when the
 * round trip time rises, through Conservative Slow Start (CSS) in which
 * growth is divided by CSS_GROWTH_DIVISOR. Rounds are counted by the
 * sequence number: a round ends when the ACK passes the highest sequence
 * sent at its start (RFC 9406 §4.2 windowEnd).
 */
import { seqGe } from '../seq.js';
import type { AckEvent, CongestionController } from './types.js';

// RFC 9406 §4.3 constants.
const MIN_RTT_THRESH = 4;
const MAX_RTT_THRESH = 16;
const MIN_RTT_DIVISOR = 8;
const N_RTT_SAMPLE = 8;
const CSS_GROWTH_DIVISOR = 4;
const CSS_ROUNDS = 5;

export class HyStartPlusPlus {
  private windowEnd: number | undefined;
  private lastRoundMinRtt = Infinity;
  private currentRoundMinRtt = Infinity;
  private rttSampleCount = 0;
  private cssBaselineMinRtt = Infinity;
  private cssRounds = 0;
  /** In Conservative Slow Start. */
  inCss = false;
  /** Times slow start was left on a delay increase (counter for tests and info). */
  exits = 0;

  /** Slow start growth is divided by this (RFC 9406 §4.2: CSS_GROWTH_DIVISOR in CSS). */
  get growthDivisor(): number {
    return this.inCss ? CSS_GROWTH_DIVISOR : 1;
  }

  /** Called for every ACK while cwnd < ssthresh (RFC 9406 §4.2). */
  onAck(cc: CongestionController, e: AckEvent): void {
    if (this.windowEnd === undefined || seqGe(e.ack, this.windowEnd)) this.startRound(cc, e.sndMax);
    if (cc.cwnd >= cc.ssthresh) return; // CSS_ROUNDS ended slow start just now
    if (e.rtt !== undefined) {
      this.currentRoundMinRtt = Math.min(this.currentRoundMinRtt, e.rtt);
      this.rttSampleCount++;
    }
    if (this.rttSampleCount < N_RTT_SAMPLE || this.currentRoundMinRtt === Infinity) return;
    if (!this.inCss) {
      if (this.lastRoundMinRtt === Infinity) return;
      const thresh = Math.max(MIN_RTT_THRESH, Math.min(this.lastRoundMinRtt / MIN_RTT_DIVISOR, MAX_RTT_THRESH));
      if (this.currentRoundMinRtt >= this.lastRoundMinRtt + thresh) {
        this.inCss = true;
        this.cssBaselineMinRtt = this.currentRoundMinRtt;
        this.cssRounds = 0;
      }
    } else if (this.currentRoundMinRtt < this.cssBaselineMinRtt) {
      // RFC 9406 §4.2: the delay increase was spurious, resume slow start.
      this.inCss = false;
      this.cssBaselineMinRtt = Infinity;
    }
  }

  private startRound(cc: CongestionController, sndMax: number): void {
    this.windowEnd = sndMax;
    this.lastRoundMinRtt = this.currentRoundMinRtt;
    this.currentRoundMinRtt = Infinity;
    this.rttSampleCount = 0;
    if (this.inCss && ++this.cssRounds >= CSS_ROUNDS) {
      // RFC 9406 §4.2: after CSS_ROUNDS rounds in CSS, enter congestion avoidance.
      cc.ssthresh = Math.floor(cc.cwnd);
      this.inCss = false;
      this.exits++;
    }
  }

  /** A loss or timeout ends this slow start (RFC 9406 §4.2: back to the initial state). */
  reset(): void {
    this.windowEnd = undefined;
    this.lastRoundMinRtt = Infinity;
    this.currentRoundMinRtt = Infinity;
    this.rttSampleCount = 0;
    this.inCss = false;
    this.cssBaselineMinRtt = Infinity;
  }
}
