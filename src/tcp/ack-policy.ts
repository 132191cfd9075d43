/**
 * When received data is acknowledged: RFC 1122 §4.2.3.2 and RFC 5681 §4.2
 * (delay an ACK by less than 500 ms, ACK at least every second full-sized
 * segment, ACK out-of-order data and hole fills at once) as Linux implements
 * them, because that is what peers and packetdrill scripts measure:
 *  - quick-ACK mode (tcp_incr_quickack, tcp_enter_quickack_mode): the first
 *    data of a connection, and data after an idle gap longer than the RTO,
 *    are ACKed segment by segment for up to 16 ACKs;
 *  - more than one full segment unacknowledged → ACK now (__tcp_ack_snd_check);
 *  - otherwise a delayed ACK whose timeout is the adaptive ATO, at least
 *    40 ms, bounded by the smoothed RTT (tcp_event_data_recv, tcp_send_delayed_ack);
 *  - interactive ("ping-pong") mode, entered when we send data soon after
 *    receiving, or by TCP_QUICKACK=0, or by the peer's FIN: ACKs wait for the
 *    reply or the timer; a timer that fires there leaves ping-pong mode
 *    (tcp_delack_timer_handler);
 *  - an application read that empties the queue after a short (pushed)
 *    segment ACKs at once (tcp_cleanup_rbuf).
 */
import type { Connection } from './connection.js';
import { seqSub } from './seq.js';

/** Linux TCP_MAX_QUICKACKS. */
const MAX_QUICKACKS = 16;
/** Linux TCP_DELACK_MAX. */
const DELACK_MAX_MS = 200;
/** Linux: without an RTT estimate, a delayed ACK waits at most HZ/2. */
const DELACK_CAP_MS = 500;

/**
 * Linux tcp_ack_snd_check, after a segment was processed: if data or a FIN
 * is waiting for its ACK, send it now (the in-order ACK may still wait for
 * the end of the receive batch, TcpEnv.deferAck) or arm the delayed ACK.
 */
export function ackSndCheck(c: Connection): void {
  if (!c.acks.scheduled || c.ackPending) return;
  if (ackNow(c)) {
    c.ackPending = true;
    c.ackDeferrable = true;
  }
}

/** Linux's icsk_ack fields for one connection. */
export class AckState {
  /** ACKs left to send immediately (quick-ACK mode while > 0 and not ping-pong). */
  quick = 0;
  /** Adaptive ACK timeout, ms; 0 until the first data arrives. */
  ato = 0;
  /** When data last arrived (icsk_ack.lrcvtime). */
  lastRecvAt = 0;
  /** Interactive mode: ACKs wait to ride on our reply. */
  pingpong = false;
  /** Data or a FIN arrived since our last ACK (ICSK_ACK_SCHED). */
  scheduled = false;
  /** A short segment arrived (ICSK_ACK_PUSHED / PUSHED2): a read that empties the queue ACKs. */
  pushed = false;
  pushed2 = false;
  /** tcp_sack_compress: RCV.NXT the duplicate ACKs below were counted at (tp->compressed_ack_rcv_nxt). */
  compressedRcvNxt = -1;
  /** Immediate duplicate ACKs sent at compressedRcvNxt (tp->dup_ack_counter). */
  dupAckCounter = 0;
  /** Out-of-order ACKs folded into the next one (tp->compressed_ack). */
  compressed = 0;
}

function inQuickAck(c: Connection): boolean {
  return c.acks.quick > 0 && !c.acks.pingpong;
}

/** tcp_incr_quickack: as many quick ACKs as half the window holds in full segments, 2..16. */
function incrQuickAck(c: Connection): void {
  const a = c.acks;
  const wnd = Math.max(0, seqSub(c.tcb.rcvAdv, c.tcb.rcvNxt));
  let n = Math.floor(wnd / (2 * c.rcvMss));
  if (n === 0) n = 2;
  a.quick = Math.max(a.quick, Math.min(n, MAX_QUICKACKS));
}

/** tcp_enter_quickack_mode: after out-of-window or duplicate data, ACK at once for a while. */
export function enterQuickAck(c: Connection): void {
  incrQuickAck(c);
  c.acks.pingpong = false;
  c.acks.ato = c.env.options.delayedAckMs;
}

/** tcp_event_data_recv and tcp_measure_rcv_mss: `len` payload bytes arrived in order. */
export function onDataReceived(c: Connection, len: number): void {
  const a = c.acks;
  const now = c.env.clock.now();
  const atoMin = c.env.options.delayedAckMs;
  a.scheduled = true;
  // Linux rcv_mss: the largest segment seen, capped by our MSS; a shorter one marks a push.
  if (len >= c.rcvMss) c.rcvMss = Math.min(len, c.advMss);
  else {
    if (a.pushed) a.pushed2 = true;
    a.pushed = true;
  }
  if (a.ato === 0) {
    // The first data of the connection.
    incrQuickAck(c);
    a.ato = atoMin;
  } else {
    const gap = now - a.lastRecvAt;
    const rto = c.rtt.rto;
    if (gap <= atoMin / 2) a.ato = a.ato / 2 + atoMin / 2;
    else if (gap < a.ato) a.ato = Math.min(a.ato / 2 + gap, rto);
    else if (gap > rto) incrQuickAck(c); // idle longer than an RTO: the sender restarts its window
  }
  a.lastRecvAt = now;
}

/** The peer's FIN (tcp_fin): an ACK is owed; in ESTABLISHED Linux turns interactive, hoping to send its FIN with it. */
export function onFinReceived(c: Connection, wasEstablished: boolean): void {
  c.acks.scheduled = true;
  if (wasEstablished) c.acks.pingpong = true;
}

/**
 * __tcp_ack_snd_check after in-order data or a FIN: true if the ACK must go
 * now, false if the delayed-ACK timer was armed instead.
 */
export function ackNow(c: Connection): boolean {
  const t = c.tcb;
  const unacked = seqSub(t.rcvNxt, t.lastAckSent);
  if (unacked > c.rcvMss && windowWouldNotShrink(c)) return true;
  if (inQuickAck(c)) return true;
  return !scheduleDelayedAck(c);
}

/** Linux: __tcp_select_window(sk) >= tp->rcv_wnd — the window we would offer now is no smaller than the last. */
function windowWouldNotShrink(c: Connection): boolean {
  const t = c.tcb;
  const maxWnd = 65535 * 2 ** t.rcvWscale;
  const free = Math.min(maxWnd, Math.max(0, c.rcvBuf - c.rcv.queued));
  return free >= seqSub(t.rcvAdv, t.lastAckSent);
}

/**
 * tcp_send_delayed_ack: arm the timer at ATO (bounded by SRTT, 200 ms in
 * ping-pong mode or after a push, 500 ms otherwise). An already armed timer
 * is not pushed later; one due within a quarter ATO means ACK now. Returns
 * false when the ACK should go at once instead (ATO 0: no data yet, Linux
 * fires on the next tick).
 */
function scheduleDelayedAck(c: Connection): boolean {
  const a = c.acks;
  const now = c.env.clock.now();
  let ato = a.ato;
  if (ato > c.env.options.delayedAckMs) {
    let max = a.pingpong || a.pushed ? DELACK_MAX_MS : DELACK_CAP_MS;
    if (c.rtt.srtt > 0) max = Math.min(max, Math.max(c.rtt.srtt, c.env.options.delayedAckMs));
    ato = Math.min(ato, max);
  }
  ato = Math.min(ato, DELACK_MAX_MS);
  if (ato <= 0) return false;
  if (c.delackAt !== Infinity) {
    if (c.delackAt <= now + ato / 4) return false;
    return true;
  }
  c.delackAt = now + ato;
  return true;
}

/** Linux TCP_FASTRETRANS_THRESH: duplicate ACKs never compressed, so the sender's fast retransmit is not delayed. */
const FASTRETRANS_THRESH = 3;

/**
 * SACK compression (Linux __tcp_ack_snd_check with tcp_comp_sack_nr, since
 * 4.21): out-of-order data must be ACKed at once (RFC 5681 §4.2), but after
 * three duplicate ACKs at the same RCV.NXT the sender has what it needs to
 * detect the loss, and Linux folds up to tcp_comp_sack_nr (44) further SACK
 * updates into one ACK sent by an hrtimer within min(1 ms, RTT/20). Here the
 * end of the receive batch plays that timer (TcpEnv.deferAck): the folded ACK
 * leaves after the segments that arrived together, never later. A receiver
 * that ACKs every out-of-order segment spends a write per segment while a
 * hole is open — at 1% loss most of a large flight (bench:loss, up).
 * Returns true if this out-of-order segment's ACK may wait for the batch end.
 */
export function sackCompress(c: Connection): boolean {
  const a = c.acks;
  const nr = c.env.options.compSackNr;
  if (nr <= 0 || !c.tcb.sackOk) return false;
  if (a.compressedRcvNxt !== c.tcb.rcvNxt) {
    a.compressedRcvNxt = c.tcb.rcvNxt;
    a.dupAckCounter = 0;
  }
  if (a.dupAckCounter < FASTRETRANS_THRESH) {
    a.dupAckCounter++;
    return false;
  }
  if (a.compressed >= nr) return false;
  a.compressed++;
  return true;
}

/** tcp_event_ack_sent → tcp_dec_quickack_mode: an ACK left (on any segment). */
export function onAckSent(c: Connection): void {
  const a = c.acks;
  if (a.compressed > 0) {
    // Linux TCPAckCompressed: ACKs saved by SACK compression.
    c.env.stats.TCPAckCompressed = (c.env.stats.TCPAckCompressed ?? 0) + a.compressed;
    a.compressed = 0;
  }
  if (a.quick > 0 && a.scheduled) {
    a.quick--;
    if (a.quick === 0) a.ato = c.env.options.delayedAckMs;
  }
  a.scheduled = false;
  a.pushed = false;
  a.pushed2 = false;
}

/** tcp_delack_timer_handler: the timer fired with an ACK owed. */
export function onDelayedAckTimeout(c: Connection): void {
  const a = c.acks;
  if (!a.pingpong) a.ato = Math.min(a.ato * 2, c.rtt.rto);
  else {
    a.pingpong = false;
    a.ato = c.env.options.delayedAckMs;
  }
}

/** tcp_event_data_sent: a reply within ATO of the last data received means an interactive exchange. */
export function onDataSent(c: Connection): void {
  const a = c.acks;
  if (a.ato > 0 && c.env.clock.now() - a.lastRecvAt < a.ato) a.pingpong = true;
}

/**
 * TCP_QUICKACK (Linux __tcp_sock_set_quickack): 0 enters ping-pong mode
 * (delay ACKs); 1 leaves it and, as tcp_cleanup_rbuf(sk, 1) after marking a
 * push, sends an owed ACK if the application has read everything. Returns
 * true if an ACK is owed now.
 */
export function setQuickAck(c: Connection, on: boolean): boolean {
  const a = c.acks;
  if (!on) {
    a.pingpong = true;
    return false;
  }
  a.pingpong = false;
  if (!a.scheduled) return false;
  a.pushed = true;
  return ackAfterRead(c, 1);
}

/**
 * tcp_cleanup_rbuf: after the application read `copied` bytes, ACK at once
 * if more than one full segment is unacknowledged, or if the read emptied
 * the queue after a short segment and the connection is not interactive.
 */
export function ackAfterRead(c: Connection, copied: number): boolean {
  const a = c.acks;
  if (!a.scheduled || copied === 0) return false;
  if (seqSub(c.tcb.rcvNxt, c.tcb.lastAckSent) > c.rcvMss) return true;
  return c.rcv.queued === 0 && (a.pushed2 || (a.pushed && !a.pingpong));
}
