/**
 * What a path MTU reduction resends, as Linux tcp_v4_mtu_reduced →
 * tcp_simple_retransmit does it (RFC 1191 §6.4: "retransmit" what the router
 * dropped; RFC 9293 §3.7.2: segments are cut to the new path MTU):
 *  - only the segments in flight that are larger than the new MSS are
 *    deemed lost (Linux tcp_mark_skb_lost on every skb whose
 *    tcp_skb_seglen exceeds tcp_current_mss) — they cannot have got through
 *    the narrower hop; the smaller ones are left alone, they may well arrive;
 *  - those are resent cut to the new MSS, within cwnd, and the rest as ACKs
 *    make room (tcp_xmit_retransmit_queue, counted TCPSlowStartRetrans);
 *  - no congestion response: cwnd and ssthresh keep their segment counts
 *    ("we do not increase the amount of data in the network, but units
 *    changed"), yet the connection enters the Loss state until SND.MAX of
 *    now is acknowledged, with undo disarmed. In Loss, RACK does not start
 *    fast recovery for the bytes just resent (their original transmissions
 *    look lost by time), which otherwise made a spurious recovery (cwnd
 *    halved, later undone by D-SACK).
 * After a timeout (already in Loss) everything unacknowledged is being
 * resent by go-back-N anyway; the rewind then simply restarts at SND.UNA so
 * what went out at the old size goes again at the new one.
 */
import type { Connection } from './connection.js';
import { sendDataAt } from './output.js';
import { seqGe, seqGt, seqLe, seqLt, seqMax, seqMin, seqSub } from './seq.js';
import { bump } from './stats.js';

/** Deem lost the in-flight segments larger than `mss`; returns how many bytes that marked. */
export function markLargeSegmentsLost(c: Connection, mss: number): number {
  const t = c.tcb;
  const ranges: number[] = [];
  let from = t.sndUna;
  // Original transmissions as RACK recorded them: one record per segment (or
  // per GSO super-packet, marked whole as Linux marks a TSO skb by its
  // gso_size). Bytes no record covers (resent after a timeout) count as large.
  for (const [start, end] of c.recovery.rack.sentSegments()) {
    if (seqLe(end, from)) continue;
    if (seqGe(start, t.sndMax)) break;
    if (seqSub(end, start) <= mss) {
      if (seqLt(from, start)) ranges.push(from, start);
      from = end;
    }
  }
  if (seqLt(from, t.sndMax)) ranges.push(from, t.sndMax);
  let bytes = 0;
  for (let i = 0; i < ranges.length; i += 2) bytes += seqSub(ranges[i + 1], ranges[i]);
  c.pmtuLost = bytes > 0 ? ranges : undefined;
  return bytes;
}

/**
 * Linux tcp_simple_retransmit's state change, when it marked something and
 * the connection is not in Loss yet: Loss until SND.MAX is acknowledged
 * (high_seq = snd_nxt), ssthresh = tcp_current_ssthresh (at least ¾ cwnd
 * outside recovery), cwnd untouched, undo disarmed (undo_marker = 0).
 */
export function enterPmtuLoss(c: Connection): void {
  const r = c.recovery;
  if (r.caState !== 'recovery') c.cc.ssthresh = Math.max(c.cc.ssthresh, (3 * c.cc.cwnd) / 4);
  r.caState = 'loss';
  r.recover = c.tcb.sndMax;
  r.undoArmed = false;
  r.rtx.clear();
  c.trace?.sample(c);
}

/** Bytes still marked lost and not yet resent. */
function pendingBytes(ranges: number[]): number {
  let n = 0;
  for (let i = 0; i < ranges.length; i += 2) n += seqSub(ranges[i + 1], ranges[i]);
  return n;
}

/**
 * Resend the marked segments in new-MSS pieces while the congestion window
 * allows (in flight = unacknowledged − not-yet-resent lost bytes, as Linux
 * tcp_packets_in_flight leaves lost_out out). Called by transmit() before
 * new data; drops what was acknowledged or SACKed meanwhile.
 */
export function sendPmtuRetransmits(c: Connection): void {
  const ranges = c.pmtuLost;
  if (ranges === undefined) return;
  const t = c.tcb;
  // A timeout since rewound SND.NXT: go-back-N resends all of it at the new size.
  if (seqLt(t.sndNxt, t.sndMax)) {
    c.pmtuLost = undefined;
    return;
  }
  while (ranges.length > 0) {
    const start = seqMax(ranges[0], t.sndUna);
    const end = seqMin(ranges[1], t.sndMax);
    const s = seqLt(start, end) ? c.sack.nextUnsacked(start, end) : undefined;
    if (s === undefined) {
      ranges.splice(0, 2);
      continue;
    }
    ranges[0] = s;
    const inFlight = seqSub(t.sndMax, t.sndUna) - c.sack.sackedBytes - pendingBytes(ranges);
    if (inFlight >= c.cwndBytes) return;
    const len = Math.min(t.mss, c.sack.gapFrom(s), seqSub(end, s));
    bump(c.env.stats, 'TCPSlowStartRetrans');
    t.totalRetrans++;
    // PSH as the original had it, on the piece holding its end (output.ts retransmitPush;
    // Linux tcp_fragment leaves it on the last fragment).
    const used = sendDataAt(c, s, len, t.finSeq >= 0);
    if (s === t.sndUna) c.armRetransmit(true);
    if (used <= 0) return;
    ranges[0] = (s + used) >>> 0;
    if (!seqGt(end, ranges[0])) ranges.splice(0, 2);
  }
  c.pmtuLost = undefined;
}
