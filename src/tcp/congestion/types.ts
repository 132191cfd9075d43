/**
 * Congestion control as a small interface counted in bytes with `now` passed
 * in (smoltcp's Controller). Loss recovery (which segment to resend when) is
 * separate (../recovery.ts); this only sizes the window.
 */
export interface CongestionControl {
  readonly name: string;
  /** Congestion window, bytes. */
  readonly window: number;
  /** Slow start threshold, bytes. */
  readonly ssthresh: number;
  /** `acked` new bytes were acknowledged outside recovery. */
  onAck(acked: number, mss: number, now: number): void;
  /** A duplicate ACK arrived during fast recovery (window inflation). */
  onDupAck(mss: number, now: number): void;
  /** Fast retransmit: loss detected by duplicate ACKs with `flight` bytes outstanding. */
  onLoss(flight: number, mss: number, now: number): void;
  /** Partial ACK during recovery: deflate by `acked`, re-add one MSS (RFC 6582 §3.2 step 3). */
  onPartialAck(acked: number, mss: number, now: number): void;
  /** Recovery ended with a full ACK; `flight` is what is still outstanding. */
  onRecoveryExit(flight: number, mss: number, now: number): void;
  /** Retransmission timeout. `first` is false for repeated timeouts of the same data. */
  onRto(flight: number, mss: number, first: boolean, now: number): void;
}
