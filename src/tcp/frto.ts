/**
 * F-RTO (RFC 5682 §3, the SACK-enhanced algorithm, as Linux
 * tcp_process_loss with tcp_frto = 2): after a retransmission timeout the
 * first ACK that advances SND.UNA is answered with new data instead of
 * further retransmissions (step 2.b); if the ACKs that follow acknowledge
 * data never retransmitted, the timeout was spurious and its window
 * reduction is undone (step 3.b, Linux tcp_try_undo_loss(sk, true)); a
 * duplicate ACK or a SACK for other data says the loss was real and
 * conventional go-back-N recovery continues (step 3.a). As in Linux, the
 * basic algorithm (RFC 5682 §2) runs without SACK too.
 */
import type { Connection } from './connection.js';
import { sendDataAt } from './output.js';
import { seqAdd, seqGt, seqSub } from './seq.js';
import { bump } from './stats.js';
import { restoreCwnd } from './undo.js';

/** off; armed by an RTO, waiting for the first ACK (step 2); new data sent, waiting for the next (step 3). */
export type FrtoPhase = 'off' | 'armed' | 'sent';

/** Linux tcp_enter_loss: F-RTO for a timeout outside fast recovery, or a repeated one. */
export function frtoOnRto(c: Connection, first: boolean, inRecovery: boolean): void {
  const r = c.recovery;
  r.frto = c.env.options.frto && (!inRecovery || !first) ? 'armed' : 'off';
  r.frtoHigh = c.tcb.sndMax;
}

/** RFC 5682 §3.1 step 2.b: up to two new segments, whatever cwnd says; false if there are none to send. */
function sendNewData(c: Connection): boolean {
  const t = c.tcb;
  const unsent = c.snd.length - seqSub(t.sndMax, t.sndUna);
  const room = t.sndWnd - seqSub(t.sndMax, t.sndUna);
  if (unsent <= 0 || room <= 0 || t.finQueued) return false;
  // One super-packet where the link cuts them (as Linux's TSO skb), else two segments.
  const gso = (c.env.gsoMaxSize ?? 0) > 0;
  for (let left = Math.min(2 * t.mss, unsent, room); left > 0; ) {
    const used = sendDataAt(c, t.sndMax, gso ? left : Math.min(t.mss, left), false);
    if (used === 0) break;
    t.sndMax = seqAdd(t.sndMax, used);
    left -= used;
  }
  c.armRetransmit();
  return true;
}

/**
 * One ACK in the Loss state while F-RTO runs. `origAcked`: it acknowledged
 * (cumulatively or by SACK) data never retransmitted (Linux
 * FLAG_ORIG_SACK_ACKED). Returns true if F-RTO handled the ACK: the timeout
 * was undone, or new data went out instead of retransmissions.
 */
export function frtoOnAck(c: Connection, newAck: boolean, dupAck: boolean, newlySacked: number, origAcked: boolean): boolean {
  const r = c.recovery;
  const t = c.tcb;
  if (r.frto === 'off') return false;
  if (origAcked) {
    // Step 3.b (and an ACK for the original flight arriving first): the timeout was spurious.
    r.frto = 'off';
    bump(c.env.stats, 'TCPSpuriousRTOs');
    restoreCwnd(c, 'TCPLossUndo');
    t.sndNxt = t.sndMax;
    return true;
  }
  if (r.frto === 'sent') {
    if (dupAck || newlySacked > 0) r.frto = 'off'; // step 3.a: the loss was real
    return false;
  }
  if (newAck && !seqGt(t.sndUna, r.frtoHigh) && t.sndUna !== r.frtoHigh) {
    // Step 2.b: the retransmission was acknowledged; probe with new data.
    if (sendNewData(c)) {
      r.frto = 'sent';
      return true;
    }
    r.frto = 'off';
  }
  return false;
}
