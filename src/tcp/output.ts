/**
 * The segmenter and every segment a connection emits, as Reprs handed to
 * env.sendSegment (smoltcp `dispatch`). Decides how much to send under the
 * peer's window, the congestion window, Nagle (RFC 9293 §3.7.4) and sender
 * SWS avoidance (RFC 9293 §3.8.6.2.1).
 */
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type TcpOptionsRepr, type TcpRepr } from '../wire/tcp.js';
import { TS_OPTION_SPACE, tcpOptionsLen } from '../wire/tcp-options.js';
import type { Connection } from './connection.js';
import type { TxScratch } from './env.js';
import { endsAtMark, nextMark } from './push-marks.js';
import { seqAdd, seqGe, seqGt, seqLe, seqLt, seqMax, seqSub } from './seq.js';
import { initialWindow, TS_ALIGNED } from './initial-window.js';
import { bump } from './stats.js';
import { onAckSent, onDataSent } from './ack-policy.js';
import { congestionRoom, sendLostRetransmits } from './recovery.js';
import { dataEcnField, ecnFlags, synEcnFlags } from './ecn.js';
import { checkAppLimited, noteTransmission } from './cong-control.js';
import { pacingHold } from './pacing.js';
import { offerableWindow } from './rcv-window.js';
import { sendPmtuRetransmits } from './pmtu-retransmit.js';

const EMPTY = Buffer.alloc(0);

/** Our timestamp clock: ms from the injected clock plus a per-connection offset (RFC 7323 §5.4, RFC 6528-like). */
export function tsNow(c: Connection): number {
  return (Math.floor(c.env.clock.now()) + c.tcb.tsOffset) >>> 0;
}

/**
 * Recompute the advertised right edge. Receiver SWS avoidance
 * (RFC 9293 §3.8.6.2.2): move it only when it would advance by at least
 * min(RCV.BUFF/2, MSS); never move it left (no window shrinking).
 */
export function updateRcvWindow(c: Connection): void {
  const t = c.tcb;
  // Free buffer, at most rcv_ssthresh (rcv-window.ts, Linux __tcp_select_window).
  const free = offerableWindow(c);
  const cur = Math.max(0, seqSub(t.rcvAdv, t.rcvNxt));
  const threshold = Math.min(Math.floor(c.rcvBuf / 2), c.env.localMss);
  if (free > 0 && free - cur >= threshold) t.rcvAdv = seqAdd(t.rcvNxt, free);
  else if (seqLt(t.rcvAdv, t.rcvNxt)) t.rcvAdv = t.rcvNxt;
}

/** Current advertised window in bytes (RCV.WND). */
export function rcvWnd(c: Connection): number {
  return Math.max(0, seqSub(c.tcb.rcvAdv, c.tcb.rcvNxt));
}

function windowField(c: Connection): number {
  updateRcvWindow(c);
  return Math.min(65535, Math.floor(rcvWnd(c) / 2 ** c.tcb.rcvWscale));
}

/** Scratch for TcpEnv.txScratch: every options field present, so one hidden class serves all segments. */
export function newTxScratch(): TxScratch {
  const options: TcpOptionsRepr = { mss: undefined, wscale: undefined, sackPermitted: undefined, sack: undefined, timestamp: undefined };
  const repr: TcpRepr = { srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 0, urgent: 0, options, payload: EMPTY };
  return { repr, options, timestamp: { val: 0, ecr: 0 } };
}

/** Options of a data segment or ACK: timestamps and SACK blocks (in the env's scratch when it offers one). */
function dataOptions(c: Connection): TcpOptionsRepr {
  const t = c.tcb;
  const s = c.env.txScratch;
  let o: TcpOptionsRepr;
  if (s) {
    o = s.options;
    o.timestamp = undefined;
    o.sack = undefined;
  } else {
    o = {};
  }
  if (t.tsOk) {
    const ts = s ? s.timestamp : { val: 0, ecr: 0 };
    ts.val = tsNow(c);
    ts.ecr = t.tsRecent;
    o.timestamp = ts;
  }
  if (t.sackOk && c.rcv.hasSackInfo) o.sack = c.rcv.takeSackBlocks(t.tsOk ? 3 : 4, c.env.options.dsack);
  return o;
}

function emit(c: Connection, seq: number, flags: number, payload: Buffer, options: TcpOptionsRepr, window: number, gsoSize = 0, ecnField = 0): void {
  const t = c.tcb;
  // RFC 3168 §6.1: ECE while echoing a CE mark, CWR on the first new data after a reduction.
  if (c.ecn.ok && flags & TCP_ACK && !(flags & TCP_RST)) flags |= ecnFlags(c, flags, ecnField !== 0);
  const ack = flags & TCP_ACK ? t.rcvNxt : 0;
  const s = c.env.txScratch;
  let repr: TcpRepr;
  if (s) {
    // The layer writes the packet before sendSegment returns (TcpEnv.txScratch).
    repr = s.repr;
    repr.srcPort = t.localPort;
    repr.dstPort = t.remotePort;
    repr.seq = seq;
    repr.ack = ack;
    repr.flags = flags;
    repr.window = window;
    repr.urgent = 0;
    repr.options = options;
    repr.payload = payload;
  } else {
    repr = { srcPort: t.localPort, dstPort: t.remotePort, seq, ack, flags, window, urgent: 0, options, payload };
  }
  if (flags & TCP_ACK) {
    t.lastAckSent = t.rcvNxt;
    c.ackPending = false;
    c.ackDeferrable = false;
    c.delackAt = Infinity;
    onAckSent(c);
  }
  c.env.sendSegment(repr, t.localAddr, t.remoteAddr, gsoSize, ecnField);
  if (s) repr.payload = EMPTY; // do not pin the send buffer's chunk
}

/** SYN (active open) or SYN-ACK (simultaneous open) with our options (RFC 9293 §3.10.1; Linux layout). */
export function sendSyn(c: Connection): void {
  const t = c.tcb;
  const o = c.env.options;
  const options: TcpOptionsRepr = { mss: c.advMss };
  // FIN-WAIT-1 with our SYN unacknowledged comes only from SYN-RECEIVED (close() after a simultaneous open).
  const synAck = t.state === 'SYN_RECEIVED' || t.state === 'FIN_WAIT_1';
  // In a SYN-ACK only echo what the peer offered (RFC 7323 §2.2, §3.2; RFC 2018 §2).
  if (o.sack && (!synAck || t.sackOk)) options.sackPermitted = true;
  if (o.timestamps && (!synAck || t.tsOk)) options.timestamp = { val: tsNow(c), ecr: synAck ? t.tsRecent : 0 };
  // Karn for timestamps (see sampleTs), extended to the SYN: a listener that
  // answers our retransmitted SYN by resending its SYN-ACK echoes the first
  // SYN's TSval (Linux tcp_check_req keeps ts_recent; so does ours), and that
  // sample spans our whole SYN timeout. Seeding SRTT with ~1 s put the
  // connection on multi-second RTOs that backed off to minutes under loss
  // (test/sim/stress-extremes.test.ts tail, "seed 125"). Linux takes the
  // sample; we skip it and time the first data segment instead.
  if (t.retransmits > 0 && options.timestamp) c.lastRtxTsVal = options.timestamp.val;
  if (o.windowScaling && (!synAck || c.peerOfferedWscale)) options.wscale = t.rcvWscale;
  // RFC 7323 §2.2: the window in a SYN is never scaled; Linux rounds it to
  // whole segments (tcp_select_initial_window; a SYN-ACK counts the TS option).
  const window = initialWindow(c.rcvBuf, c.advMss - (synAck && t.tsOk ? TS_ALIGNED : 0));
  if (!synAck) t.rcvAdv = seqAdd(t.rcvNxt, window);
  // RFC 3168 §6.1.1: an ECN-setup SYN carries ECE and CWR (tcp_ecn = 1; not on a simultaneous-open SYN-ACK).
  emit(c, t.iss, synAck ? TCP_SYN | TCP_ACK : TCP_SYN | (t.retransmits < 2 ? synEcnFlags(c) : 0), EMPTY, options, window);
  t.sndNxt = seqAdd(t.iss, 1);
  t.sndMax = seqMax(t.sndMax, t.sndNxt);
}

/**
 * A pure ACK. Its sequence number is SND.MAX, not SND.NXT: after an RTO
 * rewinds SND.NXT (go-back-N) the peer has already seen up to SND.MAX, and an
 * ACK carrying an older sequence number would fail its acceptability test
 * and be dropped unread (Linux's snd_nxt never rewinds).
 */
export function sendAck(c: Connection): void {
  emit(c, acceptableSeq(c), TCP_ACK, EMPTY, dataOptions(c), windowField(c));
}

/**
 * Linux tcp_acceptable_seq: SND.MAX, unless that lies beyond the peer's
 * window, then the right edge SND.UNA + SND.WND. When the peer's window is
 * zero and data we sent beyond its RCV.NXT was lost, an ACK at SND.MAX fails
 * the peer's zero-window test (RFC 9293 §3.10.7.4: SEG.SEQ = RCV.NXT) and
 * its acknowledgment is never read: both sides then wait for each other
 * (found by test/sim/stress-socket.test.ts, pipe() echo, "seed 2"). The
 * slack of one scale unit is Linux's too: the edge is only known to it.
 */
function acceptableSeq(c: Connection): number {
  const t = c.tcb;
  const edge = seqAdd(t.sndUna, t.sndWnd);
  if (seqLe(t.sndMax, edge) || seqSub(t.sndMax, edge) < 2 ** t.sndWscale) return t.sndMax;
  return edge;
}

/** A segment that elicits an ACK without new data: zero-window probe (Linux) or keepalive (RFC 1122 §4.2.3.6). */
export function sendProbe(c: Connection, seq: number): void {
  emit(c, seq, TCP_ACK, EMPTY, dataOptions(c), windowField(c));
}

/**
 * <SEQ=seq><CTL=RST> from a synchronized connection (RFC 9293 §3.10.7.4,
 * §3.10.5). The active reset (`ack`, Linux tcp_send_active_reset) carries
 * TSopt like any segment of the connection (RFC 7323 §3.2: once negotiated,
 * on every segment); a RST answering a segment (Linux tcp_v4_send_reset)
 * carries none.
 */
export function sendRst(c: Connection, seq: number, ack = false): void {
  // OutRsts is counted once, where every segment leaves (tcp-layer.ts sendSegment).
  const o: TcpOptionsRepr = {};
  if (ack && c.tcb.tsOk) o.timestamp = { val: tsNow(c), ecr: c.tcb.tsRecent };
  emit(c, seq, ack ? TCP_RST | TCP_ACK : TCP_RST, EMPTY, o, ack ? windowField(c) : 0);
}

/**
 * Linux __tcp_oow_rate_limited: true (and counted) if this connection
 * answered an invalid segment less than tcp_invalid_ratelimit ago;
 * otherwise records now and returns false.
 */
export function oowRateLimited(c: Connection, counter: string): boolean {
  const now = c.env.clock.now();
  const elapsed = now - c.lastOowAckAt;
  if (elapsed >= 0 && elapsed < c.env.options.invalidRateLimitMs) {
    bump(c.env.stats, counter);
    return true;
  }
  c.lastOowAckAt = now;
  return false;
}

/**
 * RFC 5961 §3.2/§4.2/§5.2 challenge ACK, rate limited first per connection
 * (Linux tcp_send_challenge_ack → __tcp_oow_rate_limited, tcp_invalid_ratelimit,
 * sharing the budget with other ACKs to invalid segments) and then by the
 * layer's randomised per-second budget (§7).
 */
export function sendChallengeAck(c: Connection): void {
  if (oowRateLimited(c, 'TCPACKSkippedChallenge')) return;
  if (!c.env.challengeAckAllowed()) {
    bump(c.env.stats, 'TCPChallengeACKLimited');
    return;
  }
  bump(c.env.stats, 'TCPChallengeACK');
  sendAck(c);
}

function isSynchronizedForData(c: Connection): boolean {
  const s = c.tcb.state;
  return s === 'ESTABLISHED' || s === 'CLOSE_WAIT' || s === 'FIN_WAIT_1' || s === 'CLOSING' || s === 'LAST_ACK';
}

/**
 * 1 while our SYN is unacknowledged in a state that sends data or a FIN
 * (FIN-WAIT-1 entered from SYN-RECEIVED by close()): it occupies the first
 * sequence number after SND.UNA, ahead of the send buffer.
 */
function synInFlight(c: Connection): number {
  return c.tcb.sndUna === c.tcb.iss && c.tcb.state === 'FIN_WAIT_1' ? 1 : 0;
}

/** Sequence number just past the last queued data byte (where our FIN goes). */
export function dataEnd(c: Connection): number {
  return seqAdd(c.tcb.sndUna, c.snd.length);
}

/** Payload bytes per full segment for a connection with/without timestamps. */
/**
 * Linux tcp_min_snd_mss (48, since the 2019 SACK-panic fixes, CVE-2019-11479):
 * a peer announcing a tiny MSS cannot make us cut the stream into 1-byte segments.
 */
export const TCP_MIN_SND_MSS = 48;

export function effectiveMss(mssOption: number, tsOk: boolean): number {
  return Math.max(TCP_MIN_SND_MSS, mssOption) - (tsOk ? TS_OPTION_SPACE : 0);
}

/**
 * PSH (RFC 9293 §3.9.1 SEND "PUSH flag") where Linux puts it: on a segment
 * that ends an skb tcp_mark_push marked when the application wrote (the tail
 * of each write, a forced push every half window: push-marks.ts), and on
 * every GSO packet of more than one segment (`multi`: Linux
 * __tcp_transmit_skb forces PSH when tcp_skb_pcount > 1, to flush the
 * receiver's GRO) — without GSO, on the last segment of each run Linux would
 * have sent as one such packet (linuxPacketSegments). A lone segment
 * (limited transmit, one PRR segment, half a window of two) carries none.
 */
function wantsPush(c: Connection, dataEnd: number, len: number, multi: boolean): boolean {
  if (len === 0) return false;
  return endsAtMark(c, dataEnd) || multi;
}

/**
 * Without GSO, how many segments Linux would put in the next packet of a
 * burst (tcp_write_xmit): tcp_cwnd_test's quota — half the window, at least
 * one, and no more than it has room for (so "at least 2 GSO packets in
 * flight") — capped by tcp_tso_autosize.
 */
function linuxPacketSegments(c: Connection, usable: number): number {
  const mss = c.tcb.mss;
  const half = Math.max(1, Math.floor(c.cwndBytes / mss / 2));
  return Math.max(1, Math.min(half, Math.floor(usable / mss), tsoAutosize(c, mss)));
}

/**
 * Linux tcp_xmit_size_goal: the skb size a write fills, in whole segments —
 * tcp_tso_autosize's packet, at most half the peer's largest window
 * (tcp_bound_to_half_wnd) and the GSO limit (64 KiB without one).
 */
export function writeSizeGoal(c: Connection): number {
  const t = c.tcb;
  const mss = Math.max(1, t.mss);
  const gsoMax = (c.env.gsoMaxSize ?? 0) > 0 ? c.env.gsoMaxSize! : 65536;
  const halfWnd = t.maxSndWnd > 0 ? Math.floor(t.maxSndWnd / 2 / mss) : Infinity;
  return Math.max(1, Math.min(tsoAutosize(c, mss), halfWnd, Math.floor(gsoMax / mss))) * mss;
}

/**
 * PSH on a retransmission of [seq, end): as the skb Linux resends, which kept
 * the PSH tcp_mark_push gave it (a write's tail, a forced push) and took the
 * flags of the sent skbs tcp_collapse_retrans merged into it; the PSH forced
 * on a GSO packet is not kept.
 */
function retransmitPush(c: Connection, seq: number, end: number): boolean {
  dropAckedPushEnds(c);
  return c.pushEnds.some((e) => seqGt(e, seq) && seqLe(e, end));
}

/** Forget PSH ends at or below SND.UNA: only data still in flight can be resent. */
function dropAckedPushEnds(c: Connection): void {
  const ends = c.pushEnds;
  let n = 0;
  while (n < ends.length && seqLe(ends[n], c.tcb.sndUna)) n++;
  if (n > 0) ends.splice(0, n);
}

/**
 * Linux tcp_tso_autosize: a super-packet carries about 1 ms of the pacing
 * rate (the controller's, or cwnd / SRTT doubled in slow start and ×1.2
 * after, as Linux sets sk_pacing_rate), at least
 * 2 segments, so a slow or long path gets a smooth stream of small bursts
 * instead of 64 KiB lumps that overrun shallow queues. Before the first RTT
 * sample there is no rate: no limit.
 */
function tsoAutosize(c: Connection, room: number): number {
  const srtt = c.rtt.srtt;
  if (srtt <= 0) return Infinity;
  const factor = c.cc.cwnd < c.cc.ssthresh ? 2 : 1.2;
  const perMs = c.cc.pacingRate ?? (factor * c.cwndBytes) / srtt;
  return Math.max(2, Math.floor(perMs / room));
}

/** Emit one segment starting at `seq` of at most `maxLen` bytes; returns the sequence space it used. */
export function sendDataAt(c: Connection, seq: number, maxLen: number, allowFin: boolean, multiBurstEnd = false): number {
  const t = c.tcb;
  const off = seqSub(seq, t.sndUna) - synInFlight(c);
  const unsent = c.snd.length - off;
  const options = dataOptions(c);
  // t.mss already leaves room for the timestamp option; SACK blocks (RFC 2018)
  // must come out of the payload too, or the datagram outgrows the MTU and is
  // dropped (DF) — RFC 9293 §3.7.1, RFC 6691; Linux tcp_current_mss.
  const optLen = tcpOptionsLen(options);
  const room = t.mss - (optLen - (t.tsOk ? TS_OPTION_SPACE : 0));
  // TSO/GSO (Linux tcp_tso_autosize): up to gsoMaxSize bytes of datagram in
  // one super-packet, which the link cuts into `room`-byte segments, each
  // with these same options; callers cap maxLen at one MSS where a single
  // segment is meant (fast retransmit, TLP, zero-window probe).
  const gsoMax = c.env.gsoMaxSize ?? 0;
  const segs = gsoMax > 0 && room > 0 ? Math.min(Math.max(1, Math.floor((gsoMax - 40 - optLen) / room)), tsoAutosize(c, room)) : 1;
  const len = Math.max(0, Math.min(maxLen, unsent, room * segs));
  const fin = allowFin && t.finQueued && len === unsent;
  let flags = TCP_ACK;
  const end = seqAdd(seq, len + (fin ? 1 : 0));
  const retransmission = seqLt(seq, t.sndMax);
  const push = retransmission ? retransmitPush(c, seq, end) : wantsPush(c, seqAdd(seq, len), len, multiBurstEnd || len > room);
  if (push) flags |= TCP_PSH;
  if (!retransmission) dropAckedPushEnds(c); // only marks still in flight or unsent are kept
  if (fin) flags |= TCP_FIN;
  const payload = len > 0 ? c.snd.slice(off, len) : EMPTY;
  if (retransmission) {
    bump(c.env.stats, 'RetransSegs');
    c.retransSegs++;
    c.timing.invalidate(); // Karn (RFC 6298 §3)
    c.recovery.rack.onRetransmit(end);
    if (options.timestamp) c.lastRtxTsVal = options.timestamp.val;
  } else if (!t.tsOk) {
    c.timing.start(end, c.env.clock.now());
  }
  if (len > 0 && !seqLt(seq, t.sndMax)) onDataSent(c);
  if (!seqLt(seq, t.sndMax) && end !== seq) c.recovery.rack.onSent(seq, end, c.env.clock.now()); // RFC 8985 §6.1
  noteTransmission(c, seq, end, len); // delivery-rate snapshot and pacing (BBR only)
  emit(c, seq, flags, payload, options, windowField(c), len > room ? room : 0, dataEcnField(c, len, seqLt(seq, t.sndMax)));
  if (fin) t.finSeq = seqAdd(seq, len);
  return len + (fin ? 1 : 0);
}

/**
 * Send what the windows allow (RFC 9293 §3.8.6.2.1, RFC 5681 §3.1), then a
 * pure ACK if one is owed and no segment carried it.
 */
export function transmit(c: Connection): void {
  const t = c.tcb;
  // With GSO one packet may carry many MSS (sendDataAt cuts it to the link's limit).
  const burstMax = (c.env.gsoMaxSize ?? 0) > 0 ? 0x7fffffff : t.mss;
  if (isSynchronizedForData(c)) {
    if (!pacingHold(c)) sendPmtuRetransmits(c); // segments a path MTU drop made too big (pmtu-retransmit.ts)
    sendLostRetransmits(c); // RFC 6675 NextSeg rule 1 before new data, each paced (recovery.ts)
    // Without GSO: the segments of the packet Linux would be sending now (the PSH rule in wantsPush).
    let pktQuota = 0;
    let pktSegs = 0;
    for (;;) {
      const flight = seqSub(t.sndNxt, t.sndUna);
      const unsent = c.snd.length - flight + synInFlight(c);
      const finPending = t.finQueued && (t.finSeq < 0 || seqLe(t.sndNxt, t.finSeq));
      if (unsent <= 0 && !finPending) break;
      if (pacingHold(c)) break; // pacing.ts: the controller's rate, not the window, says when
      const retransmitting = seqLt(t.sndNxt, t.sndMax);
      if (retransmitting && !c.sack.isEmpty) {
        // Go-back-N skips what the peer SACKed (Linux keeps SACKed segments out of the loss queue).
        const end = c.sack.sackedEnd(t.sndNxt);
        if (end !== undefined) {
          t.sndNxt = end;
          continue;
        }
      }
      const usable = Math.min(t.sndWnd - flight, congestionRoom(c, flight, retransmitting));
      let len = Math.max(0, Math.min(burstMax, unsent, usable));
      // A retransmission stops at SND.MAX: what goes again is what was sent (Linux
      // retransmits skbs of its retransmit queue, collapsing only sent ones,
      // tcp_retrans_try_collapse); new data follows in segments of its own.
      if (retransmitting) len = Math.min(len, c.sack.gapFrom(t.sndNxt), seqSub(t.sndMax, t.sndNxt));
      // Linux never sends across an skb end; a short skb that is not the queue's last goes out at once (tcp_nagle_test: TCP_NAGLE_PUSH).
      const skbEnd = retransmitting ? undefined : nextMark(c, t.sndNxt);
      const cutAtSkbEnd = skbEnd !== undefined && seqSub(skbEnd, t.sndNxt) < len;
      if (cutAtSkbEnd) len = seqSub(skbEnd, t.sndNxt);
      // A super-packet stops at a whole number of MSS unless it ends the
      // queued data, so GSO never puts a runt mid-stream (Linux tcp_mss_split_point).
      if (len > t.mss && len < unsent) len -= len % t.mss;
      if (unsent > 0 && len === 0) {
        if (flight === 0) c.armPersist();
        break;
      }
      // Retransmissions after an RTO (go-back-N) are not held back by SWS avoidance or Nagle.
      const fresh = seqGe(t.sndNxt, t.sndMax);
      if (fresh && !cutAtSkbEnd && len < unsent && len < t.mss && flight > 0 && len < t.maxSndWnd / 2) break; // sender SWS avoidance
      // TCP_CORK (Linux): only full-sized segments while corked; a FIN waits too.
      if (fresh && c.corked && len < t.mss) break;
      // Nagle (RFC 9293 §3.7.4) in Minshall's variant, as Linux (tcp_minshall_check):
      // hold a runt only while an earlier runt is unacknowledged.
      if (fresh && len === unsent && len > 0 && len < t.mss && seqGt(c.sndSml, t.sndUna) && !c.noDelay && !t.finQueued) break;
      if (unsent <= 0) len = 0;
      let packetEnd = false;
      if (fresh && burstMax === t.mss) {
        if (pktSegs >= pktQuota) {
          pktQuota = linuxPacketSegments(c, usable);
          pktSegs = 0;
        }
        pktSegs++;
        packetEnd = pktSegs > 1 && (pktSegs >= pktQuota || len >= usable) && len < unsent;
        if (endsAtMark(c, seqAdd(t.sndNxt, len))) pktSegs = pktQuota; // the skb ends: so does the packet
      }
      const used = sendDataAt(c, t.sndNxt, len, true, packetEnd);
      t.sndNxt = seqAdd(t.sndNxt, used);
      if (len < t.mss) c.sndSml = t.sndNxt;
      if (seqGt(t.sndNxt, t.sndMax)) t.sndMax = t.sndNxt;
      c.armRetransmit();
      if (used === 0) break;
    }
    checkAppLimited(c);
  }
  if (c.ackPending) {
    if (c.ackDeferrable && (c.ackDeferred || c.env.deferAck?.(c))) c.ackDeferred = true;
    else sendAck(c);
  }
  c.schedule();
}

/**
 * The poll boundary (TcpEnv.deferOutput): inside a received batch only mark
 * the connection; the layer calls transmit once for it when the batch ends.
 */
export function transmitSoon(c: Connection): void {
  // An ACK that may not wait (duplicate ACK for out-of-order data, RFC 5681
  // §4.2: "immediately") goes now, and whatever data can ride on it.
  const ackNow = c.ackPending && !c.ackDeferrable;
  if (!ackNow && c.env.deferOutput?.(c)) {
    c.outputDeferred = true;
    c.schedule();
    return;
  }
  transmit(c);
}

/** Fast retransmit / NewReno partial ACK: resend one segment at SND.UNA (RFC 5681 §3.2, RFC 6582). */
export function retransmitHead(c: Connection): void {
  const t = c.tcb;
  bump(c.env.stats, 'TCPFastRetrans');
  t.totalRetrans++;
  // Only what was sent before: the head segment may have gone out shorter
  // (SACK blocks took payload room, or the window or Nagle cut it), and
  // filling it up to the MSS would send bytes past SND.MAX without moving
  // SND.MAX, so the peer's ACK of them fails our RFC 5961 §5.2 check (ACK >
  // SND.MAX) forever: challenge ACKs back and forth, no progress (found by
  // test/sim/stress-lifecycle.test.ts, "seed 18"). Linux resends the skb.
  sendDataAt(c, t.sndUna, Math.min(t.mss, seqSub(t.sndMax, t.sndUna)), t.finSeq >= 0);
  c.recovery.noteRetransmit(t.sndMax, c.env.clock.now());
  c.armRetransmit(true);
}
