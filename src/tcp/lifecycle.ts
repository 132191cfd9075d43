/**
 * A connection's life from open to close (RFC 9293 §3.10.1–3.10.5, gVisor
 * tcp/connect.go): the two ways in (active open, completed passive
 * handshake), every state change through `enterState`, the user's CLOSE and
 * ABORT, and the single way out (`finishConnection`), which tells the owner
 * once and hands the layer either nothing or a TIME-WAIT record.
 */
import type { TcpRepr } from '../wire/tcp.js';
import type { TcpErrorCode, TcpState } from './api.js';
import type { Connection } from './connection.js';
import type { FourTuple, HandshakeResult } from './env.js';
import { windowScaleFor } from './listener.js';
import { rcvWnd, sendRst, sendSyn, transmit } from './output.js';
import { sampleTs, setMss, setSendWindow } from './sender.js';
import { seqAdd } from './seq.js';
import { initialWindow, TS_ALIGNED } from './initial-window.js';
import { bump } from './stats.js';

/** Active open (RFC 9293 §3.10.1): send SYN with our options, leave in SYN_SENT. */
export function startActiveOpen(c: Connection, tuple: FourTuple, iss: number): void {
  const t = c.tcb;
  t.iss = iss >>> 0;
  t.sndUna = t.iss;
  t.sndNxt = t.iss;
  t.sndMax = t.iss;
  c.sndSml = t.iss;
  c.pushedSeq = t.iss;
  // Per-tuple, not per-connection: a random offset would make a reconnect's TSval look older than
  // TS.Recent half the time, so the peer's TIME_WAIT answers it with an ACK instead (RFC 6191 §2).
  t.tsOffset = c.env.tsOffset ? c.env.tsOffset(tuple) : c.env.rng.u32();
  t.rcvWscale = c.env.options.windowScaling ? windowScaleFor(c.rcvBuf) : 0;
  t.state = 'SYN_SENT';
  c.synSentAt = c.env.clock.now();
  sendSyn(c);
  c.armRetransmit(true);
  c.schedule();
}

/**
 * Passive open completed by the listener: start ESTABLISHED with what the
 * handshake negotiated, then process the handshake-completing ACK, which
 * may carry data and FIN (RFC 9293 §3.10.7.4).
 */
export function startFromHandshake(c: Connection, r: HandshakeResult, ack: TcpRepr): void {
  const env = c.env;
  const t = c.tcb;
  t.passive = true;
  t.iss = r.iss >>> 0;
  t.irs = r.irs >>> 0;
  t.sndUna = seqAdd(t.iss, 1);
  t.sndNxt = t.sndUna;
  t.sndMax = t.sndUna;
  c.sndSml = t.sndUna;
  c.pushedSeq = t.sndUna;
  t.rcvNxt = seqAdd(t.irs, 1);
  t.lastAckSent = t.rcvNxt;
  // The window our SYN-ACK offered (listener.ts, Linux req->rsk_rcv_wnd).
  t.rcvAdv = seqAdd(t.rcvNxt, initialWindow(c.rcvBuf, c.advMss - (r.tsOk ? TS_ALIGNED : 0)));
  t.peerMss = r.peerMss;
  t.sndWscale = r.sndWscale;
  t.rcvWscale = r.rcvWscale;
  t.sackOk = r.sackOk;
  t.tsOk = r.tsOk;
  t.tsRecent = r.tsRecent;
  t.tsRecentAt = env.clock.now();
  t.tsOffset = r.tsOffset;
  c.ecn.ok = r.ecnOk === true; // RFC 3168 §6.1.1, agreed in the SYN/SYN-ACK
  setMss(c);
  if (r.synAckRetransmits === 0) c.rtt.sample(env.clock.now() - r.synAckSentAt, t.sndUna, t.sndMax);
  else if (r.tsOk && ack.options.timestamp && ack.options.timestamp.ecr !== 0) sampleTs(c, ack.options.timestamp.ecr);
  // The listener validated ack.ack == ISS+1; the window it carries is scaled.
  setSendWindow(c, ack.window * 2 ** t.sndWscale, ack.seq, ack.ack);
  enterState(c, 'ESTABLISHED');
  c.input(ack);
}

/**
 * Change state, keeping the CurrEstab gauge as Linux's tcp_set_state does
 * (RFC 1213 tcpCurrEstab: connections in ESTABLISHED or CLOSE_WAIT).
 */
export function enterState(c: Connection, next: TcpState): void {
  const t = c.tcb;
  const stats = c.env.stats;
  const was = t.state === 'ESTABLISHED' || t.state === 'CLOSE_WAIT';
  const is = next === 'ESTABLISHED' || next === 'CLOSE_WAIT';
  t.state = next;
  if (is && !was) bump(stats, 'CurrEstab');
  else if (was && !is) stats.CurrEstab = Math.max(0, (stats.CurrEstab ?? 0) - 1);
}

/** Our SYN was acknowledged (RFC 9293 §3.10.7.3/§3.10.7.4): a queued FIN moves us on to FIN_WAIT_1. */
export function becomeEstablished(c: Connection): void {
  const t = c.tcb;
  enterState(c, 'ESTABLISHED');
  t.retransmits = 0;
  c.rtt.resetBackoff();
  c.rtxKind = 'none';
  c.rtxAt = Infinity;
  if (t.finQueued) enterState(c, 'FIN_WAIT_1');
  c.handler.onConnect();
}

/** shutdown(SHUT_WR): queue our FIN behind the data (RFC 9293 §3.10.4 CLOSE while synchronized). */
export function shutdownWrite(c: Connection): void {
  const t = c.tcb;
  if (c.isClosed || t.finQueued) return;
  t.finQueued = true;
  if (t.state === 'ESTABLISHED') enterState(c, 'FIN_WAIT_1');
  else if (t.state === 'CLOSE_WAIT') enterState(c, 'LAST_ACK');
  // RFC 9293 §3.10.4 CLOSE in SYN-RECEIVED with nothing to send: FIN now,
  // FIN-WAIT-1 (Linux tcp_close_state), while our SYN may still be unacknowledged.
  else if (t.state === 'SYN_RECEIVED' && c.snd.length === 0) t.state = 'FIN_WAIT_1';
  transmit(c);
}

/** close(): FIN, or RST when data is left unread (Linux tcp_close), or nothing from SYN_SENT. */
export function closeConnection(c: Connection): void {
  const t = c.tcb;
  if (c.isClosed) return;
  if (t.state === 'SYN_SENT') {
    finishConnection(c, undefined, false); // RFC 9293 §3.10.4: delete the TCB
    return;
  }
  if (c.rcv.queued > 0 || c.rcv.hasOutOfOrder) {
    // RFC 9293 §3.10.4 / RFC 2525 §2.17, Linux tcp_close: unread data means RST, not FIN.
    bump(c.env.stats, 'TCPAbortOnClose');
    resetAndClose(c);
    return;
  }
  if (c.env.adoptOrphan && !c.env.adoptOrphan(c)) {
    bump(c.env.stats, 'TCPAbortOnMemory');
    resetAndClose(c);
    return;
  }
  t.fullyClosed = true;
  if (t.state === 'FIN_WAIT_2') c.setSlot('finwait2', c.env.clock.now() + c.env.options.finWait2Timeout);
  shutdownWrite(c);
}

/** ABORT (RFC 9293 §3.10.5): RST unless nothing is synchronized yet. */
export function abortConnection(c: Connection): void {
  if (c.isClosed) return;
  // RFC 9293 §3.10.5: no RST from SYN-SENT (nothing synchronized yet).
  if (c.tcb.state !== 'SYN_SENT') {
    resetAndClose(c);
    return;
  }
  c.rcv.clear();
  finishConnection(c, undefined, false);
}

/**
 * <SEQ=SND.NXT><CTL=RST>, discard everything, CLOSED (RFC 9293 §3.10.5).
 * Linux's tcp_send_active_reset also sets ACK (ack = RCV.NXT); we follow
 * Linux so peers and packetdrill scripts see the same segment.
 */
export function resetAndClose(c: Connection): void {
  sendRst(c, c.tcb.sndMax, true);
  c.snd.clear();
  c.rcv.clear();
  finishConnection(c, undefined, false);
}

/**
 * Data for a fully closed connection (Linux TCPAbortOnData): Linux resets the
 * socket and answers the segment itself via tcp_v4_send_reset, i.e. the
 * RFC 9293 §3.10.7.1 reply <SEQ=SEG.ACK><CTL=RST> (no ACK flag).
 */
export function resetOnData(c: Connection): void {
  sendRst(c, c.inAck);
  c.snd.clear();
  c.rcv.clear();
  finishConnection(c, undefined, false);
}

/** The connection failed (RST, timeout, ICMP): count it as Linux does and report `code`. */
export function failConnection(c: Connection, code: TcpErrorCode): void {
  const s = c.tcb.state;
  if (code === 'ECONNRESET' && (s === 'ESTABLISHED' || s === 'CLOSE_WAIT')) bump(c.env.stats, 'EstabResets');
  if (s === 'SYN_SENT' || s === 'SYN_RECEIVED') bump(c.env.stats, 'AttemptFails');
  c.snd.clear();
  c.rcv.clear();
  finishConnection(c, code, false);
}

/** Leave: tell the owner once, then the layer (CLOSED → unregister, TIME_WAIT → compact record). */
export function finishConnection(c: Connection, err: TcpErrorCode | undefined, timeWait: boolean): void {
  if (c.isClosed) return;
  const t = c.tcb;
  enterState(c, timeWait ? 'TIME_WAIT' : 'CLOSED');
  c.markClosed();
  if (err) c.handler.onError(err);
  c.handler.onClose();
  if (timeWait) {
    c.env.enterTimeWait({
      localAddr: t.localAddr,
      localPort: t.localPort,
      remoteAddr: t.remoteAddr,
      remotePort: t.remotePort,
      sndNxt: t.sndMax,
      rcvNxt: t.rcvNxt,
      window: Math.min(65535, Math.floor(rcvWnd(c) / 2 ** t.rcvWscale)),
      // Fields left undefined rather than spread in: one object per closing connection, not three.
      tsRecent: t.tsOk ? t.tsRecent : undefined,
      tsOffset: t.tsOk ? t.tsOffset : undefined,
    });
  } else {
    c.env.unregister(c.key);
  }
}
