/**
 * Segment arrival, RFC 9293 §3.10.7.3 (SYN-SENT) and §3.10.7.4 (other
 * states) in the RFC's order — sequence acceptability, RST, SYN, ACK, URG
 * (ignored), segment text, FIN — one function per step, so the code can be
 * held against the RFC. RFC 5961 challenge ACKs and RFC 7323 PAWS are folded
 * into the steps they amend.
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpRepr } from '../wire/tcp.js';
import type { TcpState } from './api.js';
import { afterAckStateChanges, finAcked, onNewAck } from './ack.js';
import type { Connection } from './connection.js';
import {
  rcvWnd,
  oowRateLimited,
  sendAck,
  sendChallengeAck,
  sendSyn,
  transmitSoon,
} from './output.js';
import { seqAdd, seqGt, seqInRange, seqLe, seqLt, seqSub } from './seq.js';
import { initRcvWindow } from './rcv-window.js';
import { initialWindow } from './initial-window.js';
import { bump } from './stats.js';
import { beginAck, endAck } from './recovery.js';
import { ecnOnSynAck } from './ecn.js';
import { pawsRejects, replaceTsRecent } from './paws.js';
import { ackSndCheck, enterQuickAck, onDataReceived, onFinReceived, sackCompress } from './ack-policy.js';
import { matchSackBlocks } from './sack-match.js';

export function segmentArrives(c: Connection, seg: TcpRepr): void {
  c.noteReceived();
  if (c.tcb.state === 'SYN_SENT') {
    synSentArrives(c, seg);
    return;
  }
  if (c.tcb.state === 'CLOSED' || c.tcb.state === 'TIME_WAIT') return;
  if (!checkSequence(c, seg)) {
    c.schedule();
    return;
  }
  if (seg.flags & TCP_RST) {
    checkRst(c, seg);
    return;
  }
  if (seg.flags & TCP_SYN) {
    // RFC 5961 §4.2 / RFC 9293 §3.10.7.4 fourth: any SYN here gets a challenge ACK.
    sendChallengeAck(c);
    return;
  }
  if (!(seg.flags & TCP_ACK)) return;
  if (!checkAck(c, seg)) return;
  // Sixth: URG is ignored (RFC 9293 §3.8.5 only requires not breaking on it).
  processText(c);
  if (c.isClosed) return;
  processFin(c);
  if (c.isClosed) return;
  ackSndCheck(c);
  transmitSoon(c);
  if ((c.tcb.state as TcpState) === 'TIME_WAIT') c.finishTimeWait();
}

/** RFC 9293 §3.10.7.3: the reply to our SYN. */
function synSentArrives(c: Connection, seg: TcpRepr): void {
  const t = c.tcb;
  const hasAck = (seg.flags & TCP_ACK) !== 0;
  const ackOk = hasAck && seqGt(seg.ack, t.iss) && seqLe(seg.ack, t.sndMax);
  if (hasAck && !ackOk) {
    if (!(seg.flags & TCP_RST)) c.sendRstFor(seg.ack);
    return;
  }
  if (seg.flags & TCP_RST) {
    // RFC 5961 §3.2 in SYN-SENT: only a RST that acknowledges our SYN counts.
    if (ackOk) c.fail('ECONNREFUSED');
    return;
  }
  if (!(seg.flags & TCP_SYN)) return;
  negotiate(c, seg);
  ecnOnSynAck(c, seg);
  t.irs = seg.seq;
  t.rcvNxt = seqAdd(seg.seq, 1);
  t.rcvAdv = seqAdd(t.rcvNxt, initialWindow(c.rcvBuf, c.advMss)); // what our SYN offered (output.ts sendSyn)
  initRcvWindow(c, seqSub(t.rcvAdv, t.rcvNxt));
  if (ackOk) {
    c.sampleHandshakeRtt(seg);
    t.sndUna = seg.ack;
    // RFC 7323 §2.2: the window field of a SYN is never scaled.
    c.setSendWindow(seg.window, seg.seq, seg.ack);
    // The handshake's ACK leaves at once, before any data the application
    // sends from onConnect or queued in SYN-SENT, as Linux
    // tcp_rcv_synsent_state_process does: a listener that answered with a
    // SYN cookie (RFC 4987 §3.6) can validate only segments with SEG.SEQ =
    // ISS+1, so with the ACK riding on the first data segment, losing that
    // one segment got every later one reset (test/sim/stress-lifecycle.test.ts,
    // SYN cookies under loss). The first data segment has SEG.SEQ = ISS+1 too:
    // two chances.
    sendAck(c);
    c.becomeEstablished();
    c.inSeq = t.rcvNxt;
    c.inAck = seg.ack;
    c.inData = seg.payload;
    c.inFin = (seg.flags & TCP_FIN) !== 0;
    processText(c);
    if (!c.isClosed) processFin(c);
    if (c.isClosed) return;
    ackSndCheck(c);
    transmitSoon(c);
    return;
  }
  // Simultaneous open (RFC 9293 §3.5 figure 7): SYN-SENT → SYN-RECEIVED, answer SYN,ACK.
  t.state = 'SYN_RECEIVED';
  t.sndWnd = seg.window;
  sendSyn(c);
  c.armRetransmit(true);
  c.schedule();
}

/** Apply the peer's SYN options (RFC 9293 §3.7.1, RFC 7323 §2.2/§3.2, RFC 2018 §2). */
export function negotiate(c: Connection, seg: TcpRepr): void {
  const t = c.tcb;
  const o = c.env.options;
  const so = seg.options;
  t.peerMss = so.mss ?? 536;
  c.peerOfferedWscale = so.wscale !== undefined;
  if (o.windowScaling && so.wscale !== undefined) t.sndWscale = so.wscale;
  else {
    t.sndWscale = 0;
    t.rcvWscale = 0;
  }
  t.sackOk = o.sack && so.sackPermitted === true;
  t.tsOk = o.timestamps && so.timestamp !== undefined;
  if (so.timestamp) {
    t.tsRecent = so.timestamp.val;
    t.tsRecentAt = c.env.clock.now();
  }
  c.setMss();
}

/**
 * First: sequence acceptability (RFC 9293 §3.10.7.4 table), preceded by PAWS
 * (RFC 7323 §5.3 R1–R3). Trims the segment to the window into c.inSeq /
 * c.inData / c.inFin. Returns false (after ACKing if due) if unacceptable.
 */
function checkSequence(c: Connection, seg: TcpRepr): boolean {
  const t = c.tcb;
  const rst = (seg.flags & TCP_RST) !== 0;
  // Linux tcp_oow_rate_limited: only segments without data (or a SYN) can be an ACK loop.
  const pure = seg.payload.length === 0 && !(seg.flags & TCP_FIN);
  if (pawsRejects(c, seg)) {
    bump(c.env.stats, 'PAWSEstabRejected');
    if (!(pure && oowRateLimited(c, 'TCPACKSkippedPAWS'))) sendAck(c);
    return false;
  }
  const fin = (seg.flags & TCP_FIN) !== 0;
  const segLen = seg.payload.length + (seg.flags & TCP_SYN ? 1 : 0) + (fin ? 1 : 0);
  const wnd = rcvWnd(c);
  const edge = seqAdd(t.rcvNxt, wnd);
  let ok: boolean;
  if (segLen === 0) ok = wnd === 0 ? seg.seq === t.rcvNxt : seqInRange(seg.seq, t.rcvNxt, edge);
  else if (wnd === 0) ok = seg.seq === t.rcvNxt && seg.payload.length === 0; // a bare FIN at a closed window, as Linux accepts
  else ok = seqInRange(seg.seq, t.rcvNxt, edge) || seqInRange(seqAdd(seg.seq, segLen - 1), t.rcvNxt, edge);
  if (!ok) {
    if (!rst) {
      bump(c.env.stats, 'dropOutOfWindow');
      // RFC 5961 §4.2: a SYN gets a (rate-limited) challenge ACK wherever its
      // sequence number lies (Linux tcp_validate_incoming: `goto syn_challenge`).
      if (seg.flags & TCP_SYN) {
        sendChallengeAck(c);
        return false;
      }
      // Linux tcp_send_dupack: a retransmission of data we already have means
      // our ACK was lost (DelayedACKLost): ACK quickly for a while.
      if (segLen > 0 && seqLt(seg.seq, t.rcvNxt)) {
        bump(c.env.stats, 'DelayedACKLost');
        enterQuickAck(c);
        // RFC 2883 §4 case 1: report the duplicate below RCV.NXT with a D-SACK block.
        if (t.sackOk) c.rcv.noteDuplicate(seg.seq, seqLt(seqAdd(seg.seq, segLen), t.rcvNxt) ? seqAdd(seg.seq, segLen) : t.rcvNxt);
      }
      if (!((pure || seg.flags & TCP_SYN) && oowRateLimited(c, 'TCPACKSkippedSeq'))) sendAck(c);
    }
    return false;
  }
  // Trim to the window: drop what is already received and what lies beyond the right edge.
  let seq = seg.seq;
  let data = seg.payload;
  let inFin = fin;
  if (seg.flags & TCP_SYN) seq = seqAdd(seq, 1);
  if (seqLt(seq, t.rcvNxt)) {
    const skip = Math.min(data.length, seqSub(t.rcvNxt, seq));
    // RFC 2883 §4: the part already received is reported as a D-SACK (Linux tcp_data_queue).
    if (t.sackOk && skip > 0) c.rcv.noteDuplicate(seq, seqAdd(seq, skip));
    data = data.subarray(skip);
    seq = seqAdd(seq, skip);
    if (seqLt(seq, t.rcvNxt)) inFin = false; // the FIN too was old
  }
  const room = Math.max(0, seqSub(edge, seq));
  if (data.length > room) {
    data = data.subarray(0, room);
    inFin = false;
  }
  c.inSeq = seq;
  c.inAck = seg.ack;
  c.inData = data;
  c.inFin = inFin;
  return true;
}

/** Second: RST (RFC 9293 §3.10.7.4, RFC 5961 §3.2: only an exact RCV.NXT match resets). */
function checkRst(c: Connection, seg: TcpRepr): void {
  const t = c.tcb;
  if (seg.seq !== t.rcvNxt) {
    sendChallengeAck(c);
    c.schedule();
    return;
  }
  switch (t.state) {
    case 'SYN_RECEIVED':
      // Passive opens return to LISTEN unseen; ours was an active (simultaneous) open.
      if (t.passive) c.finish(undefined, false);
      else c.fail('ECONNREFUSED');
      return;
    case 'ESTABLISHED':
    case 'CLOSE_WAIT':
    case 'FIN_WAIT_1':
    case 'FIN_WAIT_2':
      c.fail('ECONNRESET');
      return;
    default:
      // CLOSING, LAST_ACK: RFC 9293 says enter CLOSED and return.
      c.finish(undefined, false);
  }
}

/** Fifth: ACK (RFC 9293 §3.10.7.4, RFC 5961 §5.2). Returns false if processing stops. */
function checkAck(c: Connection, seg: TcpRepr): boolean {
  const t = c.tcb;
  if (t.state === 'SYN_RECEIVED') {
    if (!(seqLt(t.sndUna, seg.ack) && seqLe(seg.ack, t.sndMax))) {
      c.sendRstFor(seg.ack);
      return false;
    }
    c.setSendWindow(seg.window * 2 ** t.sndWscale, seg.seq, seg.ack);
    c.becomeEstablished();
  }
  // RFC 5961 §5.2: acceptable iff SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT (SND.MAX here, see tcb.ts).
  if (seqGt(seg.ack, t.sndMax) || seqLt(seg.ack, seqAdd(t.sndUna, -t.maxSndWnd))) {
    bump(c.env.stats, 'dropAckOutOfRange');
    sendChallengeAck(c);
    c.schedule();
    return false;
  }
  // Linux tcp_ack: "we passed data and got it acked, remove any soft error log".
  c.softError = undefined;
  // Only now, with the ACK known acceptable, may TS.Recent move (paws.ts);
  // Linux's tcp_ack leaves it alone for an old ACK (below SND.UNA) too.
  if (!seqLt(seg.ack, t.sndUna)) replaceTsRecent(c, seg);
  const scaledWnd = seg.window * 2 ** t.sndWscale;
  const prior = beginAck(c);
  const sackBlocks = t.sackOk ? seg.options.sack : undefined;
  // Only whole segments as sent count as SACKed (sack-match.ts, Linux tcp_match_skb_to_sack).
  const newlySacked = sackBlocks ? c.sack.update(matchSackBlocks(sackBlocks, c.recovery.rack, t.mss), t.sndUna, t.sndMax) : 0;
  const newAck = seqGt(seg.ack, t.sndUna);
  // RFC 5681 §2 DUPLICATE ACKNOWLEDGMENT: judged against the window before this segment.
  // With SACK blocks, RFC 6675 §2 DupAck instead: it must bring new SACK
  // information, and the window may change (Linux's does while its
  // application reads under a burst of duplicate ACKs; requiring it unchanged
  // left most losses to the RTO). A duplicated ACK then does not count.
  const dupAck =
    !newAck &&
    seg.ack === t.sndUna &&
    !(seg.flags & (TCP_SYN | TCP_FIN)) &&
    // A segment carrying data counts too when it brings new SACK information:
    // in a full-duplex transfer the peer's ACKs ride on its data, and RFC
    // 6675's "carries no data" left every loss to the RTO. Linux, likewise,
    // takes SACK blocks from any segment (tcp_sacktag_write_queue).
    (sackBlocks ? newlySacked > 0 : seg.payload.length === 0 && scaledWnd === t.sndWnd) &&
    t.sndMax !== t.sndUna;
  // Send window update (RFC 9293 §3.10.7.4: WL1/WL2 guard against old
  // segments), before SND.UNA moves: onNewAck may call the application
  // (onWritable), whose send() transmits at once, and with the previous
  // SND.WND measured from the new SND.UNA it would overrun a window the peer
  // just shrank (found by test/sim/stress-buffers.test.ts, 4 KiB rcvBuf).
  if (seqLt(t.sndWl1, seg.seq) || (t.sndWl1 === seg.seq && seqLe(t.sndWl2, seg.ack))) {
    c.setSendWindow(scaledWnd, seg.seq, seg.ack);
  }
  if (newAck) onNewAck(c, seg);
  endAck(c, prior, seg, dupAck, newlySacked);
  return afterAckStateChanges(c);
}

/** Seventh: segment text (RFC 9293 §3.10.7.4), with delayed ACK per RFC 1122 §4.2.3.2 / RFC 5681 §4.2. */
function processText(c: Connection): void {
  const t = c.tcb;
  const data = c.inData;
  if (data.length === 0) return;
  if (t.state !== 'ESTABLISHED' && t.state !== 'FIN_WAIT_1' && t.state !== 'FIN_WAIT_2') return;
  if (t.fullyClosed) {
    // Linux (tcp_rcv_state_process, TCPAbortOnData): the application closed,
    // nobody will read this data, so tell the peer with a RST (RFC 9293 §3.10.4 allows it).
    bump(c.env.stats, 'TCPAbortOnData');
    c.resetOnData();
    return;
  }
  if (rmemRefused(c, data.length)) return;
  if (c.inSeq === t.rcvNxt) {
    const hadHole = c.rcv.hasOutOfOrder;
    c.rcv.pushInOrder(data);
    const before = t.rcvNxt;
    t.rcvNxt = c.rcv.drain(seqAdd(t.rcvNxt, data.length));
    t.bytesReceived += seqSub(t.rcvNxt, before);
    onDataReceived(c, data.length);
    if (hadHole) {
      // RFC 5681 §4.2: data filling a hole is ACKed at once (Linux ICSK_ACK_NOW /
      // its first three duplicate ACKs are never compressed). Otherwise
      // ackSndCheck decides after the FIN step, as Linux's tcp_ack_snd_check.
      c.ackPending = true;
      c.ackDeferrable = false;
    }
    c.handler.onReadable();
  } else {
    // Out of order: keep it and send an immediate duplicate ACK (RFC 5681 §4.2).
    bump(c.env.stats, 'TCPOFOQueue');
    c.rcv.insertOutOfOrder(c.inSeq, data);
    // After three duplicate ACKs, SACK compression may fold it into the batch-end ACK.
    const compress = sackCompress(c);
    if (!c.ackPending) c.ackDeferrable = compress;
    else if (!compress) c.ackDeferrable = false;
    c.ackPending = true;
  }
}

/**
 * tcp_mem's hard limit (memory.ts; Linux tcp_try_rmem_schedule): over it, a
 * segment that would queue data is dropped, counted, and answered with an
 * immediate ACK so the peer retransmits it later — unless the connection's
 * read queue is empty and the data is in order (sk_forced_mem_schedule: the
 * application must always be able to make progress).
 */
function rmemRefused(c: Connection, len: number): boolean {
  const mem = c.env.memory;
  if (mem === undefined || !mem.overHigh(len)) return false;
  const inOrder = c.inSeq === c.tcb.rcvNxt;
  if (inOrder && c.rcv.queued === 0) return false;
  bump(c.env.stats, inOrder ? 'TCPRcvQDrop' : 'TCPOFODrop');
  c.ackPending = true;
  c.ackDeferrable = false;
  return true;
}

/** Eighth: FIN (RFC 9293 §3.10.7.4). A FIN beyond a hole is remembered until the hole fills. */
function processFin(c: Connection): void {
  const t = c.tcb;
  if (c.inFin) {
    const finSeq = seqAdd(c.inSeq, c.inData.length);
    if (finSeq !== t.rcvNxt) {
      c.oooFinSeq = finSeq;
      return;
    }
  } else if (!(c.oooFinSeq >= 0 && c.oooFinSeq === t.rcvNxt)) {
    return;
  }
  if (t.finReceived) return;
  t.finReceived = true;
  c.oooFinSeq = -1;
  t.rcvNxt = seqAdd(t.rcvNxt, 1);
  // Linux tcp_fin: in ESTABLISHED the ACK may wait (ping-pong mode) to ride
  // on our FIN; in FIN_WAIT_1/2 it goes at once (tcp_send_ack).
  const established = t.state === 'ESTABLISHED' || t.state === 'SYN_RECEIVED';
  onFinReceived(c, established);
  if (!established) {
    c.ackPending = true;
    c.ackDeferrable = false;
  }
  switch (t.state) {
    case 'SYN_RECEIVED':
    case 'ESTABLISHED':
      c.enter('CLOSE_WAIT');
      break;
    case 'FIN_WAIT_1':
      t.state = finAcked(c) ? 'TIME_WAIT' : 'CLOSING';
      break;
    case 'FIN_WAIT_2':
      t.state = 'TIME_WAIT';
      break;
    default:
      break;
  }
  c.handler.onReadable();
}
