/**
 * Explicit Congestion Notification for TCP (RFC 3168 §6.1), with Linux's
 * tcp_ecn sysctl semantics: 0 off, 1 request on active opens and accept on
 * passive ones, 2 (the default) accept only (net/ipv4/tcp_input.c
 * tcp_ecn_create_request, tcp_ecn_rcv_synack). Once negotiated:
 *  - new data leaves as ECT(0); retransmissions, pure ACKs, SYNs, RSTs and
 *    window probes never do (§6.1.5, Linux tcp_ecn_send);
 *  - a CE mark on received data makes every ACK carry ECE until a segment
 *    with CWR arrives (§6.1.3, Linux tcp_ecn_check_ce / tcp_ecn_accept_cwr);
 *  - an ECE on an ACK makes the sender reduce once per window of data, as for
 *    a loss but without retransmitting, and set CWR on its next new data
 *    segment (§6.1.2, Linux tcp_enter_cwr).
 */
import { TCP_CWR, TCP_ECE, TCP_SYN, type TcpRepr } from '../wire/tcp.js';
import { enterQuickAck } from './ack-policy.js';
import type { Connection } from './connection.js';
import { seqGt } from './seq.js';
import { bump } from './stats.js';

/** IP ECN codepoints (RFC 3168 §5). */
export const ECN_NOT_ECT = 0;
export const ECN_ECT1 = 1;
export const ECN_ECT0 = 2;
export const ECN_CE = 3;

/** net.ipv4.tcp_ecn: 0 off, 1 request and accept, 2 accept only (Linux default). */
export type EcnMode = 0 | 1 | 2;

export class EcnState {
  /** Negotiated in the handshake (Linux TCP_ECN_OK). */
  ok = false;
  /** We asked for it in our SYN (active open with tcp_ecn = 1). */
  requested = false;
  /** Receiver: CE seen, ECE goes on every ACK until CWR arrives (TCP_ECN_DEMAND_CWR). */
  demandCwr = false;
  /** Sender: the next new data segment carries CWR (TCP_ECN_QUEUE_CWR). */
  queueCwr = false;
  /** Sender: no second reduction before SND.UNA passes this (one per window, §6.1.2). */
  recover: number | undefined;
  /** CE-marked segments received, and reductions made on ECE (tcp_info-style). */
  ceReceived = 0;
  reductions = 0;
}

/** Flags our SYN carries: ECE and CWR when asking for ECN (§6.1.1). */
export function synEcnFlags(c: Connection): number {
  if (c.env.options.ecn !== 1) return 0;
  c.ecn.requested = true;
  return TCP_ECE | TCP_CWR;
}

/** Active open, SYN-ACK received: ECN is on if we asked and it answered ECE without CWR (§6.1.1). */
export function ecnOnSynAck(c: Connection, seg: TcpRepr): void {
  c.ecn.ok = c.ecn.requested && (seg.flags & (TCP_ECE | TCP_CWR)) === TCP_ECE;
}

/** Passive open: a SYN with both ECE and CWR asks for ECN; we agree unless tcp_ecn = 0 (§6.1.1). */
export function synRequestsEcn(mode: EcnMode, seg: TcpRepr): boolean {
  return mode !== 0 && (seg.flags & (TCP_ECE | TCP_CWR)) === (TCP_ECE | TCP_CWR);
}

/** IP ECN field for a segment: ECT(0) only on new data (§6.1.5: never on retransmissions or pure ACKs). */
export function dataEcnField(c: Connection, len: number, retransmission: boolean): number {
  return c.ecn.ok && len > 0 && !retransmission ? ECN_ECT0 : ECN_NOT_ECT;
}

/** ECE (and, on new data, CWR) for a segment of the connection; never on a SYN or SYN-ACK here. */
export function ecnFlags(c: Connection, flags: number, newData: boolean): number {
  const e = c.ecn;
  if (!e.ok || flags & TCP_SYN) return 0;
  let f = e.demandCwr ? TCP_ECE : 0;
  if (newData && e.queueCwr) {
    e.queueCwr = false;
    f |= TCP_CWR;
  }
  return f;
}

/**
 * A segment arrived with IP ECN field `field`. CWR on data ends our ECE
 * echo; CE on data starts it, and the ACK goes at once (Linux
 * tcp_ecn_check_ce enters quick-ACK mode so the sender learns promptly).
 */
export function ecnOnSegment(c: Connection, seg: TcpRepr, field: number): void {
  const e = c.ecn;
  if (!e.ok || seg.payload.length === 0) return;
  if (seg.flags & TCP_CWR) {
    e.demandCwr = false;
    bump(c.env.stats, 'TCPECNCwrRecv');
  }
  if (field === ECN_CE) {
    e.ceReceived++;
    bump(c.env.stats, 'InCEPkts');
    if (!e.demandCwr) enterQuickAck(c);
    e.demandCwr = true;
  }
}

/**
 * The sender's reaction to ECE (§6.1.2): once per window, and not while
 * loss recovery already reduced the window, the controller's congestion
 * event sets ssthresh and cwnd drops to it; CWR goes out with the next new data.
 */
export function ecnOnAck(c: Connection, seg: TcpRepr): void {
  const e = c.ecn;
  if (!e.ok || !(seg.flags & TCP_ECE) || seg.flags & TCP_SYN) return;
  const t = c.tcb;
  if (e.recover !== undefined && !seqGt(t.sndUna, e.recover)) return;
  const r = c.recovery;
  if (r.caState === 'recovery' || r.caState === 'loss') return;
  e.recover = t.sndMax;
  e.queueCwr = true;
  e.reductions++;
  bump(c.env.stats, 'TCPECNReduction');
  c.cc.ssthresh = c.cc.onCongestion(c.env.clock.now(), 'ecn');
  c.cc.cwnd = Math.max(c.cc.ssthresh, 2);
  c.trace?.sample(c, 'ecn');
}
