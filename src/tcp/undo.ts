/**
 * Undoing a congestion response the network proves unnecessary, as Linux
 * tcp_try_undo_recovery / tcp_try_undo_loss / tcp_try_undo_dsack: cwnd and
 * ssthresh go back to what they were (the controller's undo_cwnd decides
 * cwnd). Evidence: a timestamp echo older than the first retransmission
 * (Eifel, RFC 3522 §3.2), or D-SACKs for every retransmission of the episode
 * (RFC 2883 §4, RFC 3708 §3). D-SACK generation is the receiver's business
 * (input side); here they are only read.
 */
import type { Connection } from './connection.js';
import { seqGe, seqLe, seqLt, seqSub } from './seq.js';
import { bump } from './stats.js';

export function restoreCwnd(c: Connection, counter: string): void {
  const r = c.recovery;
  bump(c.env.stats, counter);
  c.cc.cwnd = c.cc.undoCwnd(r.priorCwnd);
  c.cc.ssthresh = Math.max(c.cc.ssthresh, r.priorSsthresh);
  r.caState = 'open';
  r.undoArmed = false;
  c.trace?.sample(c, 'undo');
}

/**
 * Eifel (RFC 3522 §3.2) as Linux tcp_packet_delayed: an ACK that echoes a
 * timestamp older than our first retransmission was caused by the original
 * transmission, so the reduction was spurious: restore cwnd and ssthresh.
 */
export function tryUndo(c: Connection, ecr: number | undefined, counter: string): boolean {
  const r = c.recovery;
  if (!r.undoArmed || ecr === undefined || ecr === 0 || r.retransStamp === undefined || !seqLt(ecr, r.retransStamp)) return false;
  restoreCwnd(c, counter);
  return true;
}

/**
 * RFC 2883 §4: the first SACK block is a D-SACK when it lies below the
 * cumulative ACK or inside the second block. Each D-SACKed segment was
 * received twice; once every retransmission of the last episode is
 * accounted for so, the episode was spurious. As Linux tcp_try_undo_dsack,
 * the reduction is undone only once the episode is over (Open/Disorder).
 */
export function dsackUndo(c: Connection, ack: number, blocks: ReadonlyArray<readonly [number, number]>): void {
  const r = c.recovery;
  if (blocks.length === 0) return;
  const [l, h] = blocks[0];
  const second = blocks[1];
  const isDsack = seqLe(h, ack) || (second !== undefined && seqGe(l, second[0]) && seqLe(h, second[1]));
  if (!isDsack || !seqLt(l, h)) return;
  bump(c.env.stats, 'TCPDSACKRecv');
  // RFC 8985 §6.2 step 4: a duplicate delivery widens RACK's reordering window.
  r.rack.onDsack(c.tcb.sndUna, c.tcb.sndMax);
  if (!r.undoArmed) return;
  r.dsacked += Math.max(1, Math.round(seqSub(h, l) / c.tcb.mss));
  const retransmitted = c.retransSegs - r.rtxBase;
  if (retransmitted > 0 && r.dsacked >= retransmitted && (r.caState === 'open' || r.caState === 'disorder')) {
    restoreCwnd(c, 'TCPDSACKUndo');
  }
}
