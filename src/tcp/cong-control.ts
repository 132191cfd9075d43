/**
 * What a model-based congestion controller (congestion/types.ts
 * congControl; BBR) needs from the sender beyond the plain ACK event, as
 * Linux tcp_ack → tcp_rate_gen → tcp_cong_control feeds it: the delivery
 * rate sample (delivery-rate.ts), the bytes newly deemed lost, the loss
 * recovery state after the ACK and what is in flight; and, on the send
 * side, each transmission's rate snapshot and its pacing. Connections on
 * CUBIC or NewReno skip all of it.
 */
import { TCP_ECE, TCP_SYN, type TcpRepr } from '../wire/tcp.js';
import type { AckEvent } from './congestion/types.js';
import type { Connection } from './connection.js';
import { onPacedSend } from './pacing.js';
import { lostBoundary, pipe } from './sack-recovery.js';
import { seqGt, seqLt, seqSub } from './seq.js';

/** Linux tcp_rate_skb_sent + tcp_update_skb_after_send for [seq, end) with `len` payload bytes. */
export function noteTransmission(c: Connection, seq: number, end: number, len: number): void {
  if (!c.cc.congControl) return;
  const t = c.tcb;
  if (end !== seq) c.rate.onSent(seq, end, c.env.clock.now(), t.sndMax === t.sndUna, seqLt(seq, t.sndMax));
  onPacedSend(c, len);
}

/** Bytes below the SACK/RACK loss boundary newly deemed lost since the last ACK (Linux rs->losses). */
function newlyLost(c: Connection): number {
  const t = c.tcb;
  const r = c.rate;
  const from = r.lossMark === -1 || seqLt(r.lossMark, t.sndUna) ? t.sndUna : r.lossMark;
  const boundary = lostBoundary(c);
  if (!seqGt(boundary, from)) {
    r.lossMark = from;
    return 0;
  }
  r.lossMark = boundary;
  return seqSub(boundary, from) - c.sack.sackedWithin(from, boundary);
}

/**
 * Linux tcp_clean_rtx_queue's FLAG_ACK_MAYBE_DELAYED, conservatively: the
 * ACK covers one lone runt (less than an MSS, nothing else delivered while
 * it was out, so the sample's flight was that segment alone), with no SACK,
 * ECE or SYN — the shape of a receiver's delayed ACK for chit-chat traffic.
 */
function ackMaybeDelayed(c: Connection, seg: TcpRepr, delivered: number, sampled: number): boolean {
  if (delivered <= 0 || delivered >= c.tcb.mss || sampled !== delivered) return false;
  if (seg.flags & (TCP_SYN | TCP_ECE) || (seg.options.sack?.length ?? 0) > 0 || !c.sack.isEmpty) return false;
  return c.recovery.caState === 'open';
}

/** Linux tcp_cong_control for a controller with cong_control: every ACK, after recovery's state changes. */
export function congControlOnAck(c: Connection, ev: AckEvent, seg: TcpRepr): void {
  const cc = c.cc;
  if (!cc.congControl) return;
  const t = c.tcb;
  const delivered = Math.round(ev.ackedSegs * t.mss);
  const rs = c.rate.onAck(t.sndUna, seg.options.sack, c.sack, delivered, ev.now, c.rtt.minRtt);
  rs.losses = t.sackOk ? newlyLost(c) : 0;
  rs.isAckDelayed = ackMaybeDelayed(c, seg, delivered, rs.delivered);
  const inFlight = pipe(c);
  ev.rs = rs;
  ev.delivered = c.rate.delivered;
  ev.deliveryRate = rs.interval > 0 ? rs.delivered / rs.interval : undefined;
  ev.appLimited = rs.isAppLimited;
  ev.caState = c.recovery.caState;
  ev.inFlight = inFlight / t.mss;
  cc.congControl(ev);
  // BBR PROBE_RTT (bbr_update_min_rtt): samples of this low-in-flight period must not lower the bandwidth estimate.
  if (cc.wantsAppLimited) c.rate.markAppLimited(inFlight);
}

/**
 * Linux tcp_rate_check_app_limited, when transmit() stops: less than a
 * segment queued, the window not full, nothing lost awaiting retransmission
 * — the application, not the network, is the limit.
 */
export function checkAppLimited(c: Connection): void {
  if (!c.cc.congControl) return;
  const t = c.tcb;
  const unsent = c.snd.length - seqSub(t.sndNxt, t.sndUna);
  if (unsent >= t.mss || c.recovery.caState === 'recovery' || c.recovery.caState === 'loss') return;
  const inFlight = pipe(c);
  if (inFlight < c.cwndBytes) c.rate.markAppLimited(inFlight);
}
