/**
 * Loss recovery by duplicate ACKs: RFC 5681 §3.2 fast retransmit and
 * RFC 6582 NewReno fast recovery, kept behind a small interface so SACK-based
 * recovery (RFC 6675) can replace it. It decides; the connection acts.
 */
import { seqGe, seqGt } from './seq.js';

export type DupAckAction = 'none' | 'enter' | 'inflate';
export type AckAction = 'none' | 'partial' | 'exit';

export interface LossRecovery {
  readonly inRecovery: boolean;
  readonly dupAcks: number;
  /**
   * A duplicate ACK (RFC 5681 §2 definition) arrived; `sndMax` is the highest
   * sequence sent; `sackSaysLost` if the SACK scoreboard already shows the
   * head lost (RFC 6675 §4 IsLost), which starts recovery before DupThresh.
   */
  onDupAck(sndMax: number, sackSaysLost?: boolean): DupAckAction;
  /** SND.UNA advanced to `ack`. */
  onNewAck(ack: number): AckAction;
  /** Retransmission timeout: recovery by duplicate ACKs is abandoned. */
  reset(): void;
  /** The segment at SND.UNA was just retransmitted while `sndMax` was the highest sequence sent. */
  noteRetransmit(sndMax: number): void;
  /** In recovery, the peer SACKed up to `highestSacked`: was our last retransmission lost? */
  retransmitLost(highestSacked: number): boolean;
}

export const DUPACK_THRESHOLD = 3;

export class NewRenoRecovery implements LossRecovery {
  inRecovery = false;
  dupAcks = 0;
  /** RFC 6582 "recover": highest sequence sent when recovery began. */
  private recover = 0;
  /** SND.MAX when the head was last retransmitted; -1 if not in recovery. */
  private rtxHigh = -1;

  onDupAck(sndMax: number, sackSaysLost = false): DupAckAction {
    this.dupAcks++;
    if (this.inRecovery) return 'inflate';
    if (this.dupAcks === DUPACK_THRESHOLD || sackSaysLost) {
      this.inRecovery = true;
      this.recover = sndMax;
      return 'enter';
    }
    return 'none';
  }

  onNewAck(ack: number): AckAction {
    this.dupAcks = 0;
    if (!this.inRecovery) return 'none';
    if (seqGe(ack, this.recover)) {
      this.inRecovery = false;
      this.rtxHigh = -1;
      return 'exit';
    }
    return 'partial';
  }

  reset(): void {
    this.inRecovery = false;
    this.dupAcks = 0;
    this.rtxHigh = -1;
  }

  noteRetransmit(sndMax: number): void {
    this.rtxHigh = this.inRecovery ? sndMax : -1;
  }

  /**
   * Data sent after our retransmission has arrived (it is SACKed) while the
   * retransmission has not: on a path that rarely reorders, it was lost.
   * NewReno alone cannot see this and waits for the RTO (RFC 6582 §6); Linux
   * detects it the same way (the former tcp_mark_lost_retrans, now RACK,
   * RFC 8985 §6.2 step 2).
   */
  retransmitLost(highestSacked: number): boolean {
    if (!this.inRecovery || this.rtxHigh === -1 || !seqGt(highestSacked, this.rtxHigh)) return false;
    this.rtxHigh = -1;
    return true;
  }
}
