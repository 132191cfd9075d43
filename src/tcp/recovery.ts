/**
 * The sender's congestion state machine, as Linux's tcp_fastretrans_alert
 * names it (open, disorder, recovery, loss): on every ACK it feeds the
 * congestion controller (congestion/types.ts), decides when loss recovery
 * starts and ends (RFC 5681 §3.2, RFC 6675 §5, RFC 6582 without SACK),
 * sizes cwnd during recovery with PRR (RFC 6937), applies cwnd validation
 * (RFC 7661, Linux tcp_is_cwnd_limited / tcp_cwnd_restart) and undoes
 * reductions that timestamps prove spurious (RFC 3522 Eifel, Linux
 * tcp_try_undo_recovery / tcp_try_undo_loss).
 */
import type { TcpRepr } from '../wire/tcp.js';
import type { AckEvent } from './congestion/types.js';
import type { Connection } from './connection.js';
import { retransmitHead, transmit } from './output.js';
import { congControlOnAck } from './cong-control.js';
import { Prr } from './prr.js';
import { Rack } from './rack.js';
import { DUPACK_THRESHOLD, RetransmitLog, lostBoundary, pipe } from './sack-recovery.js';
export { sendLostRetransmits } from './sack-recovery.js';
import { seqGe, seqGt, seqLt, seqMax, seqSub } from './seq.js';
import { bump } from './stats.js';
import type { Tcb } from './tcb.js';
import { dsackUndo, tryUndo } from './undo.js';
import { ecnOnAck } from './ecn.js';
import { frtoOnAck, frtoOnRto, type FrtoPhase } from './frto.js';

export type CaState = 'open' | 'disorder' | 'recovery' | 'loss';

/** What the sender knew before an ACK was processed (Linux prior_snd_una, prior_in_flight). */
export interface AckSnapshot {
  una: number;
  sacked: number;
  /** Highest SACKed sequence before the ACK, and the bytes SACKed below it. */
  highSacked: number | undefined;
  sackedBelowHigh: number;
  /** F-RTO: SACKed bytes of the pre-timeout flight not covered by retransmissions. */
  origSacked: number;
  flight: number;
  samples: number;
  /** RFC 6675 IsLost boundary before the ACK: lost marks above it are new (PRR's SafeACK). */
  lostEnd: number;
}

export class LossRecovery {
  caState: CaState = 'open';
  dupAcks = 0;
  /** RFC 6582 "recover" / Linux high_seq: SND.MAX when recovery or loss began. */
  recover = 0;
  // Created at first use: an idle connection has never been in recovery (bench/scale.ts).
  private prrState: Prr | undefined;
  private rtxLog: RetransmitLog | undefined;
  get prr(): Prr {
    return (this.prrState ??= new Prr());
  }
  get rtx(): RetransmitLog {
    return (this.rtxLog ??= new RetransmitLog());
  }
  readonly rack = new Rack();
  /** SND.MAX at recovery start and bytes retransmitted since: prr_out. */
  private prrBaseMax = 0;
  private rtxBytes = 0;
  /** For undo: cwnd and ssthresh before the reduction, and the TSval of the episode's first retransmission. */
  priorCwnd = 0;
  priorSsthresh = 0;
  retransStamp: number | undefined;
  /** D-SACK undo (undo.ts): RetransSegs when the episode began, segments D-SACKed since, and whether undo is still possible. */
  rtxBase = 0;
  dsacked = 0;
  undoArmed = false;
  /** cwnd validation: largest flight seen in this window and the last (RFC 7661 pipeACK, roughly). */
  maxFlight = 0;
  lastMaxFlight = 0;
  usageEnd = 0;
  /** When the flight last drained to zero (for the restart after idle), or -1. */
  idleSince = -1;
  /** F-RTO (frto.ts): its phase, and SND.MAX at the timeout. */
  frto: FrtoPhase = 'off';
  frtoHigh = 0;

  constructor(private readonly tcb: Tcb) {}

  get inRecovery(): boolean {
    return this.caState === 'recovery';
  }

  /** retransmitHead() (output.ts) reports the segment it resent at SND.UNA. */
  noteRetransmit(sndMax: number, at: number): void {
    const t = this.tcb;
    const len = Math.min(t.mss, seqSub(sndMax, t.sndUna));
    this.noteRetransmitted(t.sndUna, t.sndUna + Math.max(len, 1), sndMax, len, at);
  }

  noteRetransmitted(start: number, end: number, sndMax: number, bytes: number, at = 0): void {
    if (this.caState === 'recovery') {
      this.rtx.add(start >>> 0, end >>> 0, sndMax, at);
      this.rtxBytes += bytes;
    }
  }

  /** prr_out: bytes sent since recovery began (new data advances SND.MAX; retransmissions are counted). */
  prrOut(sndMax: number): number {
    return seqSub(sndMax, this.prrBaseMax) + this.rtxBytes;
  }

  startEpisode(state: 'recovery' | 'loss', sndMax: number, flight: number, retransSegs: number): void {
    this.caState = state;
    this.rtxBase = retransSegs;
    this.dsacked = 0;
    this.undoArmed = true;
    this.recover = sndMax;
    this.prrBaseMax = sndMax;
    this.rtxBytes = 0;
    this.rtx.clear();
    this.retransStamp = undefined;
    if (state === 'recovery') this.prr.start(flight);
  }
}

/** Before the ACK's SACK blocks and cumulative ACK are applied. */
export function beginAck(c: Connection): AckSnapshot {
  const t = c.tcb;
  const high = c.sack.highestEnd;
  const sackedBelowHigh = high === undefined ? 0 : c.sack.sackedWithin(t.sndUna, high);
  return { una: t.sndUna, sacked: c.sack.sackedBytes, highSacked: high, sackedBelowHigh, origSacked: origSacked(c), flight: seqSub(t.sndMax, t.sndUna), samples: c.rtt.samples, lostEnd: t.sackOk ? lostBoundary(c) : t.sndUna };
}

/** Window for the controller, segments → bytes, as the sender uses it. */
function setCwndBytes(c: Connection, bytes: number): void {
  c.cc.cwnd = Math.max(bytes, c.tcb.mss) / c.tcb.mss;
}

/** RFC 7661 §4.1-ish, as Linux tcp_is_cwnd_limited: was the window the limit in the last round? */
function cwndLimited(c: Connection): boolean {
  const r = c.recovery;
  const used = Math.max(r.maxFlight, r.lastMaxFlight);
  if (c.cc.cwnd < c.cc.ssthresh) return c.cwndBytes < 2 * used; // slow start: Linux's 2·max_packets_out
  return used + c.tcb.mss > c.cwndBytes;
}

/**
 * Everything the congestion state machine does on one acceptable ACK, after
 * SND.UNA and the SACK scoreboard were updated (Linux tcp_ack →
 * tcp_fastretrans_alert → tcp_cong_control).
 */
export function endAck(c: Connection, snap: AckSnapshot, seg: TcpRepr, dupAck: boolean, newlySacked: number): void {
  const ev = ackStateMachine(c, snap, seg, dupAck, newlySacked);
  congControlOnAck(c, ev, seg); // Linux tcp_cong_control: after tcp_fastretrans_alert
}

function ackStateMachine(c: Connection, snap: AckSnapshot, seg: TcpRepr, dupAck: boolean, newlySacked: number): AckEvent {
  const t = c.tcb;
  const r = c.recovery;
  const now = c.env.clock.now();
  const acked = seqSub(t.sndUna, snap.una);
  const newAck = acked > 0;
  // RFC 6937 §3 DeliveredData: change in SND.UNA plus change in SACKed bytes.
  const delivered = t.sackOk ? acked + c.sack.sackedBytes - snap.sacked : dupAck ? t.mss : acked;
  if (snap.flight > r.maxFlight) r.maxFlight = snap.flight;
  const limited = cwndLimited(c);
  // A new usage window once the last one is acknowledged (Linux max_packets_seq).
  if (seqGe(t.sndUna, r.usageEnd) && newAck) {
    r.lastMaxFlight = r.maxFlight;
    r.maxFlight = 0;
    r.usageEnd = t.sndMax;
  }
  if (newAck) r.dupAcks = 0;
  else if (dupAck) r.dupAcks++;
  if (newAck && t.sndMax === t.sndUna) r.idleSince = now;
  const ev: AckEvent = {
    now,
    ackedSegs: Math.max(0, delivered) / t.mss,
    rtt: c.rtt.samples > snap.samples ? c.rtt.latest : undefined,
    minRtt: c.rtt.minRtt,
    srtt: c.rtt.srtt,
    priorInFlight: snap.flight / t.mss,
    cwndLimited: limited,
    ack: t.sndUna,
    sndMax: t.sndMax,
    delivered: 0,
    deliveryRate: undefined,
    appLimited: false,
    mss: t.mss,
  };
  if (delivered > 0) c.cc.onAckSample?.(ev);
  if (c.ecn.ok) ecnOnAck(c, seg); // RFC 3168 §6.1.2
  let lostAgain = 0;
  if (newlySacked > 0 && r.caState === 'recovery') {
    lostAgain = r.rtx.dropLost(t.sndUna, c.sack.highestEnd ?? t.sndUna, c.sack, now, c.rtt.minRtt);
    if (lostAgain > 0) c.env.stats.TCPLostRetransmit = (c.env.stats.TCPLostRetransmit ?? 0) + lostAgain;
  }
  const ecr = t.tsOk ? seg.options.timestamp?.ecr : undefined;
  if (t.sackOk && seg.options.sack) dsackUndo(c, seg.ack, seg.options.sack);
  if (t.sackOk) rackOnAck(c, snap, newlySacked, now);
  // draft-ietf-tcpm-prr-rfc6937bis SafeACK (Linux tcp_cwnd_reduction: FLAG_SND_UNA_ADVANCED && !newly_lost).
  const safeAck = newAck && lostAgain === 0 && !newlyLost(c, snap);
  switch (r.caState) {
    case 'recovery':
      if (newAck && seqGe(t.sndUna, r.recover)) exitRecovery(c, ecr); // growth resumes with the next ACK
      else {
        if (newAck && !t.sackOk) retransmitHead(c); // RFC 6582 §3.2 step 3: partial ACK
        reduceCwnd(c, delivered, safeAck);
        c.trace?.sample(c);
      }
      return ev;
    case 'loss':
      // Linux tcp_try_undo_loss: the first ACK after a timeout may prove it spurious (RFC 3522, RFC 5682 §1).
      if (newAck && tryUndo(c, ecr, 'TCPLossUndo')) t.sndNxt = t.sndMax;
      else if (frtoOnAck(c, newAck, dupAck, newlySacked, origAcked(c, snap))) {
        if (r.caState === 'loss' && newAck) c.cc.congAvoid(ev);
        c.trace?.sample(c, (r.caState as CaState) === 'open' ? 'undo' : undefined);
        return ev;
      } else if (newAck && seqGe(t.sndUna, r.recover)) {
        r.caState = 'open';
        c.trace?.sample(c, 'loss-exit');
      }
      break;
    default:
      break;
  }
  if (startRecoveryIfLost(c, delivered, safeAck)) return ev;
  if (r.caState !== 'loss') r.caState = r.dupAcks > 0 || !c.sack.isEmpty ? 'disorder' : 'open';
  if (newAck) c.cc.congAvoid(ev);
  c.trace?.sample(c);
  return ev;
}

/**
 * Linux FLAG_ORIG_SACK_ACKED for F-RTO: the ACK covered data sent only once
 * — SND.UNA passed everything retransmitted since the timeout, or a new SACK
 * block lies beyond it.
 */
function origAcked(c: Connection, snap: AckSnapshot): boolean {
  const r = c.recovery;
  const rtxEnd = r.rack.retransmittedEnd;
  if (rtxEnd === undefined || !seqLt(rtxEnd, r.frtoHigh)) return false;
  // Data the timeout found outstanding and nothing retransmitted covers: (rtxEnd, frtoHigh].
  if (seqGt(c.tcb.sndUna, rtxEnd) && seqGt(c.tcb.sndUna, snap.una)) return true;
  return origSacked(c) > snap.origSacked;
}

/** SACKed bytes of the original flight above everything retransmitted (for origAcked). */
function origSacked(c: Connection): number {
  const r = c.recovery;
  const rtxEnd = r.rack.retransmittedEnd;
  if (r.frto === 'off' || rtxEnd === undefined || !seqLt(rtxEnd, r.frtoHigh)) return 0;
  return c.sack.sackedWithin(seqMax(rtxEnd, c.tcb.sndUna), r.frtoHigh);
}

/**
 * RFC 6675 §5: DupThresh duplicate ACKs, or IsLost(SND.UNA) from the SACK
 * scoreboard or RACK's time-based marks, start recovery. Returns whether it did.
 */
function startRecoveryIfLost(c: Connection, delivered: number, safeAck: boolean): boolean {
  const t = c.tcb;
  const r = c.recovery;
  const headLost = t.sackOk && seqGt(lostBoundary(c), t.sndUna);
  if (r.caState === 'loss' || r.caState === 'recovery' || t.sndMax === t.sndUna) return false;
  // With SACK, duplicate ACKs count only until reordering was seen (RACK decides after: lostBoundary).
  const dupThresh = r.dupAcks >= DUPACK_THRESHOLD && !(t.sackOk && r.rack.reorderSeen);
  if (!dupThresh && !headLost) return false;
  enterRecovery(c, delivered, safeAck);
  c.trace?.sample(c, 'recovery');
  return true;
}

/** Unacknowledged, unSACKed bytes this ACK marked lost (Linux rs->losses > 0): between the boundary before it and now. */
function newlyLost(c: Connection, snap: AckSnapshot): boolean {
  if (!c.tcb.sackOk) return false;
  const from = seqMax(snap.lostEnd, c.tcb.sndUna);
  const to = lostBoundary(c);
  return seqLt(from, to) && c.sack.sackedWithin(from, to) < seqSub(to, from);
}

/**
 * RACK per ACK (RFC 8985 §6.2): the most recently sent segment delivered
 * (not a retransmission: ambiguous), reordering seen when a hole below
 * SACKed data is filled by its original transmission, then detection and
 * the reordering timer.
 */
function rackOnAck(c: Connection, snap: AckSnapshot, newlySacked: number, now: number): void {
  const t = c.tcb;
  const r = c.recovery;
  const k = r.rack;
  if (r.caState !== 'loss') {
    const high = c.sack.highestEnd;
    if (newlySacked > 0 && high !== undefined && r.rtx.coveredEnd(high - 1) === undefined) k.delivered((high - 1) >>> 0, now);
    if (t.sndUna !== snap.una && r.rtx.coveredEnd((t.sndUna - 1) >>> 0) === undefined) {
      k.delivered((t.sndUna - 1) >>> 0, now);
      if (snap.sacked > 0 && r.rtx.coveredEnd(snap.una) === undefined) k.reorderSeen = true;
    } else if (newlySacked > 0 && snap.highSacked !== undefined && r.caState !== 'recovery') {
      // A hole below the highest SACK filled by a segment never retransmitted:
      // it was reordered, not lost (Linux tcp_sacktag_one → tcp_check_sack_reordering).
      if (c.sack.sackedWithin(t.sndUna, snap.highSacked) > snap.sackedBelowHigh) k.reorderSeen = true;
    }
  }
  k.advance(t.sndUna);
  k.detect(now, reoWnd(c));
  armReorderTimer(c);
}

/**
 * RFC 8985 §6.2 step 4 as Linux tcp_rack_reo_wnd: reo_wnd_mult quarters of
 * the min RTT (at most SRTT); zero — DupThresh behaviour — until reordering
 * has been seen, once in recovery or with DupThresh segments SACKed.
 */
export function reoWnd(c: Connection): number {
  const k = c.recovery.rack;
  if (!k.reorderSeen && (c.recovery.caState === 'recovery' || c.sack.sackedBytes >= DUPACK_THRESHOLD * c.tcb.mss)) return 0;
  const minRtt = c.rtt.minRtt === Infinity ? 0 : c.rtt.minRtt;
  return Math.min((minRtt * k.reoWndMult) / 4, c.rtt.srtt);
}

/** Linux arms the RACK timer TCP_TIMEOUT_MIN (2 ms) past the window's end (tcp_rack_reo_timeout), as for the TLP. */
const REO_TIMER_SLACK_MS = 2;

function reorderDeadline(c: Connection): number {
  return c.recovery.rack.deadline + REO_TIMER_SLACK_MS;
}

function armReorderTimer(c: Connection): void {
  c.reoAt = reorderDeadline(c);
  if (c.reoAt < c.rtxAt && c.rtxKind === 'rtx') {
    c.rtxAt = c.reoAt;
    c.schedule();
  }
}

/**
 * RFC 8985 §6.3 RACK reordering timer: run detection again; what is now
 * lost starts or feeds recovery. Returns true if the RTO is not due yet
 * (the slot was re-armed); false lets the RTO run.
 */
export function onReorderTimeout(c: Connection, now: number): boolean {
  c.reoAt = Infinity;
  c.recovery.rack.detect(now, reoWnd(c));
  // Linux tcp_rack_reo_timeout: tcp_enter_recovery, then tcp_cwnd_reduction(sk, 1, 0) — one segment delivered.
  if (c.recovery.inRecovery || startRecoveryIfLost(c, c.tcb.mss, false)) transmit(c);
  c.reoAt = reorderDeadline(c);
  if (c.rtoAt <= now) return false;
  c.rtxKind = 'rtx';
  c.rtxAt = c.rtoAt;
  c.armRetransmit();
  return true;
}

/** RFC 6675 §5 step (4) / RFC 5681 §3.2 steps 2–3: fast retransmit and the start of recovery. */
function enterRecovery(c: Connection, delivered: number, safeAck: boolean): void {
  const t = c.tcb;
  const r = c.recovery;
  bump(c.env.stats, t.sackOk ? 'TCPSackRecovery' : 'TCPRenoRecovery');
  r.priorCwnd = c.cc.cwnd;
  r.priorSsthresh = c.cc.ssthresh;
  c.cc.ssthresh = c.cc.onCongestion(c.env.clock.now());
  r.startEpisode('recovery', t.sndMax, seqSub(t.sndMax, t.sndUna), c.retransSegs);
  // Linux sizes cwnd (tcp_cong_control → tcp_cwnd_reduction) before tcp_xmit_recovery
  // sends the fast retransmit, so the retransmission is part of this ACK's sndcnt.
  reduceCwnd(c, delivered, safeAck);
  retransmitHead(c);
  if (c.lastRtxTsVal !== undefined) r.retransStamp = c.lastRtxTsVal;
}

/** PRR (RFC 6937 §3): cwnd = pipe + sndcnt for this ACK (Linux tcp_cwnd_reduction). */
function reduceCwnd(c: Connection, delivered: number, safeAck: boolean): void {
  if (c.cc.congControl) return; // Linux tcp_cong_control: cong_control replaces PRR
  const t = c.tcb;
  const r = c.recovery;
  r.prr.out = r.prrOut(t.sndMax);
  // Linux tcp_cwnd_reduction: an ACK that delivered nothing leaves cwnd alone (but the episode's first sizes it).
  if (delivered <= 0 && r.prr.out > 0) return;
  const p = pipe(c);
  const sndcnt = r.prr.onAck(Math.max(0, delivered), p, c.cc.ssthresh * t.mss, t.mss, safeAck);
  setCwndBytes(c, p + sndcnt);
}

function exitRecovery(c: Connection, ecr: number | undefined): void {
  const r = c.recovery;
  r.rtx.clear();
  if (tryUndo(c, ecr, 'TCPFullUndo')) return;
  r.caState = 'open';
  r.rack.onRecoveryExit();
  // RFC 6937 §3 / Linux tcp_end_cwnd_reduction: leave recovery at ssthresh (not with cong_control: BBR restores its own).
  if (!c.cc.congControl) c.cc.cwnd = c.cc.ssthresh;
  c.trace?.sample(c, 'recovery-exit');
}

/**
 * Retransmission timeout (RFC 5681 §3.1 eq. 4, Linux tcp_enter_loss):
 * ssthresh from the controller on the first timeout outside recovery, cwnd
 * one segment, recovery by duplicate ACKs abandoned.
 */
export function enterLoss(c: Connection, first: boolean): void {
  const t = c.tcb;
  const r = c.recovery;
  const now = c.env.clock.now();
  if (first && r.caState !== 'recovery' && r.caState !== 'loss') {
    r.priorCwnd = c.cc.cwnd;
    r.priorSsthresh = c.cc.ssthresh;
    c.cc.ssthresh = c.cc.onCongestion(now);
  }
  const wasLoss = r.caState === 'loss';
  frtoOnRto(c, first, r.caState === 'recovery');
  r.rack.reset();
  c.reoAt = Infinity;
  c.cc.onRto(now);
  c.cc.cwnd = 1;
  r.dupAcks = 0;
  if (!wasLoss || first) r.startEpisode('loss', t.sndMax, 0, c.retransSegs);
  else r.caState = 'loss';
  c.trace?.sample(c, 'rto');
}

/** After an RTO retransmission went out: its TSval dates the episode (Eifel). */
export function noteLossRetransmit(c: Connection): void {
  if (c.recovery.retransStamp === undefined && c.tcb.retransmits === 1) c.recovery.retransStamp = c.lastRtxTsVal;
}

/**
 * Bytes the congestion window lets transmit() send now. In SACK recovery
 * cwnd − pipe (RFC 6675 §5 step C, after NextSeg rule 1 resent lost
 * holes); otherwise cwnd + RFC 3042 limited transmit − the flight, SACKed
 * bytes excluded while going back after a timeout.
 */
export function congestionRoom(c: Connection, flight: number, retransmitting: boolean): number {
  const t = c.tcb;
  const r = c.recovery;
  if (t.sndMax === t.sndUna && r.idleSince >= 0) restartAfterIdle(c);
  if (r.caState === 'recovery') return c.cwndBytes - pipe(c);
  // RFC 5682 §3.1 step 3: new data is out; the next ACK decides whether retransmission goes on.
  if (r.frto === 'sent' && retransmitting) return 0;
  const limited = r.caState === 'loss' ? 0 : Math.min(r.dupAcks, 2) * t.mss;
  return c.cwndBytes + limited - (flight - (retransmitting ? c.sack.sackedBelow(t.sndNxt) : 0)) - sentPastRecover(c, retransmitting);
}

/**
 * Going back N after a timeout, the flight is what was resent — plus, as in
 * Linux's tcp_packets_in_flight, what went out past the timeout's high_seq
 * (F-RTO's new data, RFC 5682 §3.1 step 2.b), which the timeout did not mark
 * lost: still in flight until SACKed. Without it the real-loss case (step
 * 3.a) resent one segment more than Linux (test/conformance/scripts/
 * congestion/frto-real-loss.pkt).
 */
function sentPastRecover(c: Connection, retransmitting: boolean): number {
  const t = c.tcb;
  const r = c.recovery;
  if (!retransmitting || r.caState !== 'loss' || !seqGt(t.sndMax, r.recover) || seqLt(r.recover, t.sndNxt)) return 0;
  return seqSub(t.sndMax, r.recover) - c.sack.sackedWithin(r.recover, t.sndMax);
}

/**
 * Sending resumes with nothing in flight. RFC 5681 §4.1 / RFC 7661, as
 * Linux tcp_cwnd_restart (tcp_slow_start_after_idle = 1): after more than
 * an RTO of silence cwnd halves per RTO idle, not below the initial window;
 * the controller hears of the idle time (CUBIC shifts its epoch).
 */
function restartAfterIdle(c: Connection): void {
  const r = c.recovery;
  const now = c.env.clock.now();
  const idle = now - r.idleSince;
  r.idleSince = -1;
  c.cc.onIdleRestart?.(now, idle);
  if (c.cc.congControl) return; // Linux tcp_slow_start_after_idle_check skips cong_control controllers
  const rto = c.rtt.rto;
  if (idle <= rto) return;
  const iw = c.env.options.initialCwndSegments;
  c.cc.ssthresh = Math.max(c.cc.ssthresh, Math.floor((3 * c.cc.cwnd) / 4));
  let cwnd = c.cc.cwnd;
  for (let d = idle - rto; d > 0 && cwnd > iw; d -= rto) cwnd /= 2;
  c.cc.cwnd = Math.max(Math.min(cwnd, c.cc.cwnd), Math.min(iw, c.cc.cwnd));
  r.maxFlight = 0;
  r.lastMaxFlight = 0;
}
