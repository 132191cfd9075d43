/**
 * How far the advertised receive window may open, as Linux grows it (RFC
 * 9293 §3.8.6.2.2 leaves the policy to the receiver; RFC 7323 §2.3 bounds it
 * by the window scale):
 *  - rcv_ssthresh (Linux tcp_grow_window, called from tcp_event_data_recv):
 *    the window starts at what the SYN offered and grows by twice each
 *    in-order segment (at least 2 × advmss) while the buffer has room, so a
 *    peer's slow start is met by a window that opens as fast as it is used;
 *  - the buffer itself (Linux sk_rcvbuf) starts at tcp_rmem[1] and is
 *    autotuned by dynamic right-sizing (Linux tcp_rcv_space_adjust, called
 *    from tcp_recvmsg): once per receiver RTT (Linux tcp_rcv_rtt_measure), if
 *    the application read more than in the previous RTT, the buffer grows to
 *    about twice what it read plus the growth, up to the window clamp;
 *  - the window clamp: the configured buffer (options.rcvBuf, tcp_rmem[2]),
 *    what the window scale can express, and what the link can queue toward
 *    us before it drops (half of TcpEnv.rxQueueBytes: a TUN device holds 500
 *    packets, so without offloads a window of more than about 500 segments
 *    only makes the device drop the peer's burst).
 * Linux counts the buffer in skb truesize; we count payload bytes (our
 * buffer holds the received payload views), so the same figures admit a
 * little more data than on Linux.
 */
import type { Connection } from './connection.js';
import { seqGe, seqSub } from './seq.js';
import { TS_ALIGNED } from './initial-window.js';

/** Linux tcp_rmem[1]: the buffer a connection starts with. */
export const RCV_BUF_INITIAL = 131072;
/** Linux TCP_INIT_CWND: the first DRS measurement expects at most this many segments per RTT (tcp_init_buffer_space). */
const INIT_CWND = 10;

/** Linux tp->advmss: the MSS we advertised less the timestamp option when it is in use. */
function advmss(c: Connection): number {
  return c.advMss - (c.tcb.tsOk ? TS_ALIGNED : 0);
}

/** Linux's rcv_ssthresh, sk_rcvbuf, rcvq_space and rcv_rtt_est for one connection. */
export class RcvWindow {
  /** rcv_ssthresh: the window may not open beyond this, bytes (Infinity until the handshake set it). */
  ssthresh = Infinity;
  /** sk_rcvbuf: bytes the receive buffer holds now, autotuned up to rcvBuf (Infinity: all of rcvBuf). */
  buf = Infinity;
  /** rcvq_space.space: bytes the application read in the last measured RTT. */
  space = 0;
  /** rcvq_space.seq / .time: where the current DRS measurement started. */
  spaceSeq = 0;
  spaceAt = 0;
  /** rcv_rtt_est.rtt: the receiver's RTT estimate, ms (0: none yet). */
  rtt = 0;
  /** rcv_rtt_est.seq / .time: the RTT sample completes when RCV.NXT reaches seq (NaN: none started). */
  rttSeq = 0;
  rttAt = NaN;
  /** SO_RCVBUF set the buffer (Linux SOCK_RCVBUF_LOCK): it is used whole and not autotuned. */
  locked = false;
}

/** SO_RCVBUF (Linux sock_setsockopt sets SOCK_RCVBUF_LOCK): the whole buffer, no autotuning. */
export function lockRcvBuf(c: Connection): void {
  c.rwin.locked = true;
  c.rwin.buf = Infinity;
}

/** Linux window_clamp: the largest window this connection may ever offer, bytes. */
export function windowClamp(c: Connection): number {
  const scaleMax = 65535 << c.tcb.rcvWscale; // shift ≤ 14 (RFC 7323 §2.3): no overflow
  // Half the link's queue: its packets also carry headers and other flows' data, and a
  // window of exactly the queue overflowed it (bench/throughput.ts, --offload off).
  return Math.min(c.rcvBuf, scaleMax, (c.env.rxQueueBytes ?? Infinity) / 2);
}

/**
 * Linux tcp_init_buffer_space, once the connection is synchronized:
 * rcv_ssthresh is the window our SYN or SYN-ACK offered (`offered`).
 */
export function initRcvWindow(c: Connection, offered: number): void {
  const w = c.rwin;
  const clamp = windowClamp(c);
  // The buffer is not the window: without window scaling Linux still starts sk_rcvbuf at tcp_rmem[1].
  w.buf = w.locked ? Infinity : Math.min(c.rcvBuf, Math.max(RCV_BUF_INITIAL, offered));
  w.ssthresh = Math.min(offered, clamp);
  w.space = Math.min(offered, INIT_CWND * advmss(c));
  w.spaceSeq = c.tcb.rcvNxt;
  w.spaceAt = c.env.clock.now();
  w.rtt = 0;
  w.rttAt = NaN;
}

/** Linux tcp_space: what the buffer can still take. */
function bufferFree(c: Connection): number {
  return Math.min(c.rwin.buf, c.rcvBuf) - c.rcv.queued;
}

/**
 * The window we could offer now (Linux __tcp_select_window before rounding):
 * free buffer, at most rcv_ssthresh; under tcp_mem pressure at most
 * 4 × advmss (Linux tcp_adjust_rcv_ssthresh).
 */
export function offerableWindow(c: Connection): number {
  const w = c.rwin;
  let free = Math.max(0, Math.min(windowClamp(c), bufferFree(c), w.ssthresh));
  if (c.env.memory?.underPressure) free = Math.min(free, 4 * c.env.localMss);
  return free;
}

/** Linux tcp_grow_window: `len` bytes arrived in order; open rcv_ssthresh by twice that (≥ 2 × advmss) while the buffer has room. */
export function growWindow(c: Connection, len: number): void {
  // tcp_event_data_recv: only segments of at least 128 bytes grow the window.
  if (len < 128 || c.env.memory?.underPressure) return;
  const w = c.rwin;
  if (w.ssthresh === Infinity) return;
  const room = Math.min(windowClamp(c), bufferFree(c)) - w.ssthresh;
  if (room <= 0) return;
  w.ssthresh += Math.min(room, Math.max(2 * advmss(c), 2 * len));
}

/**
 * Linux tcp_rcv_rtt_measure (tcp_event_data_recv): the time to receive one
 * window's worth of data is an upper bound on the RTT; keep the smallest
 * (tcp_rcv_rtt_update with win_dep).
 */
export function measureRcvRtt(c: Connection): void {
  const w = c.rwin;
  const t = c.tcb;
  const now = c.env.clock.now();
  if (!Number.isNaN(w.rttAt)) {
    if (!seqGe(t.rcvNxt, w.rttSeq)) return;
    const sample = Math.max(now - w.rttAt, 0.001);
    w.rtt = w.rtt === 0 ? sample : Math.min(w.rtt, sample);
  }
  w.rttSeq = (t.rcvNxt + Math.max(0, seqSub(t.rcvAdv, t.rcvNxt))) >>> 0;
  w.rttAt = now;
}

/**
 * Linux tcp_rcv_space_adjust (dynamic right-sizing), after the application
 * read: once per receiver RTT, if it read more than in the previous one, grow
 * the buffer to twice what it read plus 16 segments, plus twice the growth.
 */
export function adjustRcvSpace(c: Connection): void {
  const w = c.rwin;
  const now = c.env.clock.now();
  if (w.locked || w.rtt === 0 || now - w.spaceAt < w.rtt) return;
  const copiedSeq = (c.tcb.rcvNxt - c.rcv.queued) >>> 0;
  const copied = seqSub(copiedSeq, w.spaceSeq);
  if (copied > w.space) {
    let rcvwin = 2 * copied + 16 * advmss(c);
    const grow = w.space > 0 ? Math.floor((rcvwin * (copied - w.space)) / w.space) : rcvwin;
    rcvwin += 2 * grow;
    w.buf = Math.max(w.buf, Math.min(rcvwin, c.rcvBuf));
    w.space = copied;
  }
  w.spaceSeq = copiedSeq;
  w.spaceAt = now;
}
