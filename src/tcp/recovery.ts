/**
 * Loss recovery by duplicate ACKs: RFC 5681 §3.2 fast retransmit and
 * RFC 6582 NewReno fast recovery, kept behind a small interface so SACK-based
 * recovery (RFC 6675) can replace it. It decides; the connection acts.
 */
import { seqGe } from './seq.js';

export type DupAckAction = 'none' | 'enter' | 'inflate';
export type AckAction = 'none' | 'partial' | 'exit';

export interface LossRecovery {
  readonly inRecovery: boolean;
  readonly dupAcks: number;
  /** A duplicate ACK (RFC 5681 §2 definition) arrived; `sndMax` is the highest sequence sent. */
  onDupAck(sndMax: number): DupAckAction;
  /** SND.UNA advanced to `ack`. */
  onNewAck(ack: number): AckAction;
  /** Retransmission timeout: recovery by duplicate ACKs is abandoned. */
  reset(): void;
}

export const DUPACK_THRESHOLD = 3;

export class NewRenoRecovery implements LossRecovery {
  inRecovery = false;
  dupAcks = 0;
  /** RFC 6582 "recover": highest sequence sent when recovery began. */
  private recover = 0;

  onDupAck(sndMax: number): DupAckAction {
    this.dupAcks++;
    if (this.inRecovery) return 'inflate';
    if (this.dupAcks === DUPACK_THRESHOLD) {
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
      return 'exit';
    }
    return 'partial';
  }

  reset(): void {
    this.inRecovery = false;
    this.dupAcks = 0;
  }
}
