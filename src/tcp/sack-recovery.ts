/**
 * SACK-based loss recovery (RFC 6675): the sender's estimate of the data in
 * the network ("pipe", §4 SetPipe), the retransmissions made in this
 * recovery, and NextSeg rule 1 (§4: resend the first lost hole not yet
 * resent). New data beyond that is NextSeg rule 3, sent by output.ts's
 * transmit loop within cwnd − pipe. A retransmission is deemed lost again
 * when data sent after it is SACKed (RFC 8985 §6.2 step 2 in sequence
 * terms; Linux's former tcp_mark_lost_retrans).
 */
import type { Connection } from './connection.js';
import { sendDataAt } from './output.js';
import { pacingHold } from './pacing.js';
import type { SackScoreboard } from './sack-scoreboard.js';
import { seqAdd, seqGe, seqGt, seqLe, seqLt, seqMax, seqSub } from './seq.js';
import { bump } from './stats.js';

/** RFC 6675 §2 DupThresh. */
export const DUPACK_THRESHOLD = 3;

interface Retransmission {
  start: number;
  end: number;
  /** SND.MAX when it was sent: anything SACKed beyond this was sent after it. */
  sentAtMax: number;
  /** When it was sent (ms): a retransmission sent later and now SACKed proves it lost (RACK). */
  at: number;
}

const NO_ENTRIES: Retransmission[] = Object.freeze([]) as unknown as Retransmission[];

/** The retransmissions of one recovery episode (RFC 6675 HighRxt, kept per range so a lost one can be resent). */
export class RetransmitLog {
  /** NO_ENTRIES until the first retransmission: no array per idle connection. */
  private entries: Retransmission[] = NO_ENTRIES;

  add(start: number, end: number, sentAtMax: number, at = 0): void {
    if (this.entries === NO_ENTRIES) this.entries = [];
    this.entries.push({ start, end, sentAtMax, at });
  }

  /** If `seq` lies in a retransmitted range still counted in flight, that range's end. */
  coveredEnd(seq: number): number | undefined {
    for (const r of this.entries) if (seqLe(r.start, seq) && seqLt(seq, r.end)) return r.end;
    return undefined;
  }

  /** Retransmitted bytes at or above SND.UNA that are not SACKed (RFC 6675 §4 SetPipe, second test). */
  outstanding(sndUna: number, sack: SackScoreboard): number {
    let n = 0;
    for (const r of this.entries) {
      const s = seqMax(r.start, sndUna);
      if (seqLt(s, r.end)) n += seqSub(r.end, s) - sack.sackedWithin(s, r.end);
    }
    return n;
  }

  /**
   * Forget retransmissions deemed lost again; returns how many. One is lost
   * when data sent after it is SACKed while it is not: new data above the
   * SND.MAX it went out under, or a later retransmission (RFC 8985 §6.2 over
   * retransmitted segments, as Linux tcp_rack_detect_loss walks its
   * tsorted queue) — that one counts only if it was SACKed at least min RTT
   * after it left, so the SACK cannot be for the original (Linux
   * tcp_rack_advance's TCPCB_RETRANS check). Acknowledged ones are dropped
   * too but not counted.
   */
  dropLost(sndUna: number, highestSacked: number, sack: SackScoreboard, now = 0, minRtt = Infinity): number {
    let lost = 0;
    const fullySacked = (r: Retransmission): boolean => {
      const s = seqMax(r.start, sndUna);
      return sack.sackedWithin(s, r.end) === seqSub(r.end, s);
    };
    let lastDelivered = -1;
    this.entries.forEach((r, i) => {
      if (seqGt(r.end, sndUna) && now - r.at >= minRtt && fullySacked(r)) lastDelivered = i;
    });
    this.entries = this.entries.filter((r, i) => {
      if (seqLe(r.end, sndUna)) return false; // acknowledged: done with it
      if (fullySacked(r)) return true;
      if (i >= lastDelivered && !seqGt(highestSacked, r.sentAtMax)) return true;
      lost++;
      return false;
    });
    return lost;
  }

  clear(): void {
    this.entries = [];
  }
}

/** RFC 6675 §4 IsLost boundary for this connection: unSACKed bytes below it are lost. */
export function lostBoundary(c: Connection): number {
  const k = c.recovery.rack;
  const rack = k.boundary; // RFC 8985 §6: time-based marks
  // Once reordering was seen, DupThresh gives way to RACK's reordering window
  // (RFC 8985 §6.2 step 4; Linux tcp_time_to_recover skips the dupack rule
  // under RACK and tcp_rack_reo_wnd is zero only until reord_seen).
  if (k.reorderSeen) return rack ?? c.tcb.sndUna;
  const b = c.sack.lostBoundary(c.tcb.sndUna, c.tcb.mss, DUPACK_THRESHOLD);
  return rack !== undefined && seqGt(rack, b) ? rack : b;
}

/**
 * RFC 6675 §4 SetPipe in bytes: every byte not SACKed and not lost, plus
 * every retransmitted byte not SACKed. Without SACK (RFC 6937 §3) each
 * duplicate ACK stands for one segment that left the network.
 */
export function pipe(c: Connection): number {
  const t = c.tcb;
  const flight = seqSub(t.sndMax, t.sndUna);
  if (!t.sackOk) return Math.max(0, flight - c.recovery.dupAcks * t.mss);
  const boundary = lostBoundary(c);
  const lost = seqSub(boundary, t.sndUna) - c.sack.sackedWithin(t.sndUna, boundary);
  return flight - c.sack.sackedBytes - lost + c.recovery.rtx.outstanding(t.sndUna, c.sack);
}

/** NextSeg rule 1: the first lost, unSACKed, not yet retransmitted byte; undefined if none. */
function nextLost(c: Connection): number | undefined {
  const boundary = lostBoundary(c);
  let s: number | undefined = c.tcb.sndUna;
  while (s !== undefined) {
    s = c.sack.nextUnsacked(s, boundary);
    if (s === undefined) return undefined;
    const end = c.recovery.rtx.coveredEnd(s);
    if (end === undefined) return s;
    s = end;
  }
  return undefined;
}

/** Resend `len` bytes at `seq` during recovery and count it (prr_out, HighRxt). */
export function retransmitAt(c: Connection, seq: number, len: number): void {
  const t = c.tcb;
  bump(c.env.stats, 'TCPFastRetrans');
  t.totalRetrans++;
  const used = sendDataAt(c, seq, len, t.finSeq >= 0);
  c.recovery.noteRetransmitted(seq, seqAdd(seq, Math.max(used, 1)), t.sndMax, used, c.env.clock.now());
  if (seq === t.sndUna) c.armRetransmit(true);
}

/**
 * RFC 6675 §5 step (C) with NextSeg rule 1: while cwnd − pipe allows,
 * resend lost holes, first to last. Called by transmit() before new data
 * (NextSeg rule 2/3), which it then lets use the room left. Under a pacing
 * rate each retransmission waits its turn like new data (Linux
 * tcp_xmit_retransmit_queue checks tcp_pacing_check per skb), so a burst of
 * holes leaves spaced, not back to back.
 */
export function sendLostRetransmits(c: Connection): void {
  const t = c.tcb;
  if (!t.sackOk || !c.recovery.inRecovery) return;
  for (let guard = 0; guard < 1024; guard++) {
    if (pipe(c) >= c.cwndBytes) return;
    const s = nextLost(c);
    if (s === undefined || !seqGe(s, t.sndUna)) return;
    const len = Math.min(t.mss, c.sack.gapFrom(s), seqSub(t.sndMax, s));
    if (len <= 0 || pacingHold(c)) return;
    retransmitAt(c, s, len);
  }
}
