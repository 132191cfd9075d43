/**
 * The sending side of a connection (gVisor tcp/snd.go): what the application
 * hands us, the peer's window (RFC 9293 §3.10.7.4 SND.WND update), the segment
 * size (RFC 9293 §3.7.1, RFC 1191) and the RTT samples that drive the RTO
 * (RFC 6298, RFC 7323 §4.1). Segments are produced by output.ts.
 */
import type { TcpRepr } from '../wire/tcp.js';
import type { Connection } from './connection.js';
import { createController } from './congestion/index.js';
import { dataEnd, effectiveMss, transmit, transmitSoon, writeSizeGoal } from './output.js';
import { markWrite } from './push-marks.js';
import { seqAdd, seqLt, seqSub } from './seq.js';
import { bump } from './stats.js';
import { enterPmtuLoss, markLargeSegmentsLost } from './pmtu-retransmit.js';

/** Queue application data; returns how many bytes the send buffer accepted. */
export function sendData(c: Connection, data: Buffer): number {
  const t = c.tcb;
  if (c.isClosed || t.finQueued || t.state === 'CLOSED') return 0;
  const n = Math.min(data.length, c.sendSpace);
  if (n < data.length) c.wantWritable = true;
  if (n === 0) return 0;
  c.snd.push(n < data.length ? data.subarray(0, n) : data);
  // PSH marks as Linux sets them at write time (push-marks.ts); before the handshake the SYN takes one sequence number.
  markWrite(c, seqAdd(dataEnd(c), t.sndUna === t.iss ? 1 : 0), n, writeSizeGoal(c));
  transmitSoon(c);
  return n;
}

/** MSS option value our segments may use: the peer's, ours, and the path MTU's (RFC 1191 §3, RFC 9293 §3.7.1). */
function mssLimit(c: Connection): number {
  const pmtu = c.env.pathMtu?.(c.tcb.remoteAddr);
  return Math.min(c.tcb.peerMss, c.advMss, pmtu === undefined ? Infinity : pmtu - 40);
}

/** Segment size and initial window once MSS and timestamps are known. */
export function setMss(c: Connection): void {
  const t = c.tcb;
  t.mss = effectiveMss(mssLimit(c), t.tsOk);
  // RFC 5681 §3.1 / RFC 6928 initial window, in segments of the negotiated size.
  c.cc = createController(c.cc.name, c.env.options.initialCwndSegments, c.env.rng);
}

/**
 * TCP_CONGESTION (Linux tcp_set_congestion_control): switch controllers,
 * keeping cwnd and ssthresh. Throws naming the choices for an unknown name.
 */
export function setCongestionControl(c: Connection, name: string): void {
  const next = createController(name, c.cc.cwnd, c.env.rng);
  next.ssthresh = c.cc.ssthresh;
  c.cc = next;
}

/**
 * The path MTU went down (icmp-errors.ts): smaller segments from now on
 * (Linux tcp_sync_mss; RFC 9293 §3.7.2), and the in-flight segments too large
 * for the new size — only those — are resent in it without a congestion
 * response (RFC 1191 §6.4; Linux tcp_v4_mtu_reduced → tcp_simple_retransmit,
 * pmtu-retransmit.ts).
 */
export function pathMtuChanged(c: Connection): void {
  const t = c.tcb;
  const mss = effectiveMss(mssLimit(c), t.tsOk);
  if (mss >= t.mss) return;
  t.mss = mss;
  bump(c.env.stats, 'TCPPMTUShrunk');
  if (!c.isSynchronized() || t.sndMax === t.sndUna) return;
  if (c.recovery.caState === 'loss' && seqLt(t.sndNxt, t.sndMax)) {
    t.sndNxt = t.sndUna; // after a timeout: go-back-N again from SND.UNA, at the new size
  } else {
    if (markLargeSegmentsLost(c, mss) === 0) return;
    if (c.recovery.caState !== 'loss') enterPmtuLoss(c);
  }
  transmit(c);
}

/** RTT of the handshake: from TS echo, or by Karn only if the SYN was never retransmitted. */
export function sampleHandshakeRtt(c: Connection, seg: TcpRepr): void {
  const ts = seg.options.timestamp;
  if (c.tcb.tsOk && ts && ts.ecr !== 0) sampleTs(c, ts.ecr);
  else if (c.tcb.retransmits === 0) c.rtt.sample(c.env.clock.now() - c.synSentAt, c.tcb.sndUna, c.tcb.sndMax);
}

/** RFC 7323 §4.1: RTT from the echoed timestamp. */
export function sampleTs(c: Connection, ecr: number): void {
  // Karn's rule carried over to timestamps: an echo older than our latest
  // retransmission means the receiver echoed an earlier transmission (e.g.
  // it ACKed a duplicate without updating TS.Recent, RFC 7323 §4.3), so the
  // sample would span the backoff and inflate the RTO without bound.
  if (c.lastRtxTsVal !== undefined && seqLt(ecr, c.lastRtxTsVal)) return;
  const r = seqSub(Math.floor(c.env.clock.now()) + c.tcb.tsOffset, ecr);
  if (r >= 0) c.rtt.sample(r, c.tcb.sndUna, c.tcb.sndMax);
}

/** RFC 9293 §3.10.7.4: record SND.WND/WL1/WL2; a window reopening ends the persist timer. */
export function setSendWindow(c: Connection, wnd: number, seq: number, ack: number): void {
  const t = c.tcb;
  const opened = wnd > 0 && t.sndWnd === 0;
  t.sndWnd = wnd;
  t.sndWl1 = seq;
  t.sndWl2 = ack;
  if (wnd > t.maxSndWnd) t.maxSndWnd = wnd;
  if (opened) c.probesStartedAt = -1; // Linux tcp_ack_probe: the window opened, the probing episode ends
  if (opened && c.rtxKind === 'persist') {
    c.rtxKind = 'none';
    c.rtxAt = Infinity;
    c.persistBackoff = 0;
  }
}
