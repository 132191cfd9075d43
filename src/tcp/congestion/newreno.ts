/**
 * RFC 5681 slow start and congestion avoidance with the RFC 6582 (NewReno)
 * window adjustments during fast recovery.
 */
import type { CongestionControl } from './types.js';

export class NewReno implements CongestionControl {
  readonly name = 'reno';
  window: number;
  ssthresh = 0x7fffffff;
  /** Bytes acked since the last congestion-avoidance increase (RFC 5681 §3.1, byte counting). */
  private bytesAcked = 0;

  constructor(initialWindow: number) {
    // RFC 5681 §3.1 / RFC 6928: IW in segments, computed by the caller.
    this.window = initialWindow;
  }

  onAck(acked: number, mss: number): void {
    if (this.window < this.ssthresh) {
      // Slow start: RFC 5681 §3.1 eq. 2, with L = 1 SMSS per ACK (RFC 3465 ABC, L=1).
      this.window += Math.min(acked, mss);
      return;
    }
    // Congestion avoidance: one SMSS per window of acked data (RFC 5681 §3.1, eq. 3 variant).
    this.bytesAcked += acked;
    if (this.bytesAcked >= this.window) {
      this.bytesAcked -= this.window;
      this.window += mss;
    }
  }

  onDupAck(mss: number): void {
    // RFC 5681 §3.2 step 4: inflate by one SMSS per further duplicate ACK.
    this.window += mss;
  }

  onLoss(flight: number, mss: number): void {
    // RFC 5681 §3.2 steps 2–3.
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * mss);
    this.window = this.ssthresh + 3 * mss;
    this.bytesAcked = 0;
  }

  onPartialAck(acked: number, mss: number): void {
    // RFC 6582 §3.2 step 3 (partial window deflation).
    this.window = Math.max(mss, this.window - acked + mss);
  }

  onRecoveryExit(): void {
    // RFC 6582 §3.2 step 3 full ACK, option (2): cwnd = ssthresh, as Linux
    // does (tcp_end_cwnd_reduction). Option (1), min(ssthresh, FlightSize +
    // SMSS), collapses cwnd to one or two segments whenever the full ACK
    // covers everything sent, and at one segment the next loss can only be
    // repaired by the RTO (found by test/linux/stack-loss-linux.test.ts: a
    // third of all losses at 5% cost a 200 ms timeout). Bursts are no concern:
    // one flush per turn hands the whole window to the device anyway.
    this.window = this.ssthresh;
  }

  onRto(flight: number, mss: number, first: boolean): void {
    // RFC 5681 §3.1 eq. 4, only on the first timeout of the same data (§3.1 note), then LW = 1 SMSS.
    if (first) this.ssthresh = Math.max(Math.floor(flight / 2), 2 * mss);
    this.window = mss;
    this.bytesAcked = 0;
  }
}
