/**
 * Proportional Rate Reduction (RFC 6937 §3, Linux tcp_cwnd_reduction): how
 * much may be sent on each ACK during fast recovery so the flight shrinks
 * smoothly to ssthresh instead of pausing for half a window (Reno) or
 * bursting (RFC 6675 alone). Counted in bytes, as the RFC does, with the
 * proportional part rounded up to whole segments as Linux counts packets.
 */
export class Prr {
  /** RecoverFS: bytes in flight when recovery began. */
  recoverFs = 0;
  /** Bytes delivered to the receiver, and sent by us, since recovery began. */
  delivered = 0;
  out = 0;

  start(flight: number): void {
    this.recoverFs = Math.max(1, flight);
    this.delivered = 0;
    this.out = 0;
  }

  /**
   * RFC 6937 §3 on an ACK delivering `deliveredData` bytes: returns sndcnt,
   * the bytes that may leave now. Above ssthresh the proportional part; at
   * or below it the conservative reduction bound (PRR-CRB), plus one
   * segment (PRR-SSRB) only on a "safe" ACK, one that advanced SND.UNA and
   * marked nothing newly lost (draft-ietf-tcpm-prr-rfc6937bis §6 SafeACK;
   * Linux tcp_cwnd_reduction: FLAG_SND_UNA_ADVANCED && !newly_lost). The
   * first call of an episode allows at least the fast retransmit (Linux
   * "force a fast retransmit upon entering fast recovery").
   */
  onAck(deliveredData: number, pipe: number, ssthresh: number, mss: number, safeAck: boolean): number {
    this.delivered += deliveredData;
    let sndcnt: number;
    if (pipe > ssthresh) {
      // Rounded up to whole segments, as Linux tcp_cwnd_reduction (DIV_ROUND_UP in packets).
      sndcnt = Math.ceil((this.delivered * ssthresh) / this.recoverFs / mss - this.out / mss - 1e-9) * mss;
    } else {
      const limit = Math.max(this.delivered - this.out, deliveredData) + (safeAck ? mss : 0);
      sndcnt = Math.min(ssthresh - pipe, limit);
    }
    return Math.max(sndcnt, this.out > 0 ? 0 : mss);
  }
}
