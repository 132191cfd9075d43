/**
 * What one TraceStep did, in the terms the rules speak: segments classified
 * (retransmission, duplicate ACK, window probe, ...), state transitions,
 * timers armed and fired, congestion-window changes and counter deltas.
 * A FactTracker walks the steps in order and keeps what classification
 * needs from earlier steps (highest sequence sent per direction, ISNs,
 * negotiated window scale).
 */
import type { ConnView, Side, TraceSegment, TraceStep } from './trace-format.js';

export interface SegFact {
  seg: TraceSegment;
  /** Sequence numbers relative to the sender's ISN (the SYN counts one), ack relative to the receiver's. */
  relSeq: number;
  relAck: number;
  /** Window in bytes (field << shift once both SYNs offered window scaling). */
  windowBytes: number;
  syn: boolean;
  fin: boolean;
  rst: boolean;
  ack: boolean;
  /** Sequence space already sent before (data, SYN or FIN again). */
  retransmit: boolean;
  /** A pure ACK repeating the previous ACK number in that direction, with the same window. */
  dupAck: boolean;
  /** A pure ACK one byte below what the receiver has already acknowledged: the zero-window/keepalive probe. */
  probe: boolean;
}

export interface Transition {
  side: Side;
  key: string;
  from?: string;
  to?: string;
}

export interface TimerFact {
  side: Side;
  key: string;
  timer: string;
  at: number;
}

export interface CwndFact {
  side: Side;
  key: string;
  cwndBefore: number;
  cwndAfter: number;
  ssthreshBefore: number;
  ssthreshAfter: number;
  mss: number;
  /** The segment size before the step (a path MTU drop lowers it). */
  mssBefore: number;
  caBefore: string;
  caAfter: string;
  rtoBefore: number;
  rtoAfter: number;
  cc: string;
}

export interface StepFacts {
  step: TraceStep;
  sent: SegFact[];
  arrived: SegFact[];
  /** Every packet that arrived in this step, TCP or not (an ICMP error, a fragment). */
  arrivedPackets: TraceSegment[];
  /** The side that received the arrivals (cause 'arrive'). */
  receiver?: Side;
  transitions: Transition[];
  fired: TimerFact[];
  armed: TimerFact[];
  stopped: TimerFact[];
  cwnd: CwndFact[];
  counters: Record<Side, Record<string, number>>;
}

/** x relative to base, as a signed 32-bit distance (a number from an older incarnation shows negative). */
const rel = (x: number, base: number | undefined): number => (base === undefined ? x : ((x - base) | 0));

interface DirState {
  isn?: number;
  /** Highest sequence number (relative) sent so far, end of the segment. */
  maxEnd: number;
  wscaleOffered?: number;
  /** A SYN / a SYN,ACK was sent already (a simultaneous open's SYN,ACK repeats the SYN's number but is not a retransmission). */
  sentSyn?: boolean;
  sentSynAck?: boolean;
  lastAck?: number;
  lastWindow?: number;
}

export class FactTracker {
  private readonly dirs = new Map<string, DirState>();
  private readonly byId = new Map<number, SegFact>();
  /** Packets that were sent and have not arrived yet (a packet arrives once; lost ones stay). */
  private readonly inFlight = new Map<number, TraceSegment>();

  private dir(s: TraceSegment): DirState {
    const t = s.tcp!;
    const k = `${s.from}:${t.srcPort}>${t.dstPort}`;
    let d = this.dirs.get(k);
    if (!d) this.dirs.set(k, (d = { maxEnd: 0 }));
    return d;
  }

  private reverse(s: TraceSegment): DirState {
    const t = s.tcp!;
    const k = `${s.from === 'a' ? 'b' : 'a'}:${t.dstPort}>${t.srcPort}`;
    let d = this.dirs.get(k);
    if (!d) this.dirs.set(k, (d = { maxEnd: 0 }));
    return d;
  }

  private restart(s: TraceSegment): DirState {
    const t = s.tcp!;
    const fresh: DirState = { maxEnd: 0 };
    this.dirs.set(`${s.from}:${t.srcPort}>${t.dstPort}`, fresh);
    return fresh;
  }

  /** Classify a segment the first time it is seen (it is sent before it can arrive). */
  segment(s: TraceSegment): SegFact | undefined {
    const known = this.byId.get(s.id);
    if (known) return known;
    const t = s.tcp;
    if (!t) return undefined;
    let d = this.dir(s);
    const r = this.reverse(s);
    const syn = t.flags.includes('S');
    if (syn && d.isn !== undefined && t.seq !== d.isn) {
      // A SYN with another ISN on the same ports: a new incarnation of the connection.
      // (The other direction restarts with its own SYN; until then its numbers are the old ones.)
      d = this.restart(s);
    }
    const fin = t.flags.includes('F');
    const rst = t.flags.includes('R');
    const ack = t.flags.includes('.');
    if (syn && d.isn === undefined) d.isn = t.seq;
    if (syn) d.wscaleOffered = t.options.wscale;
    const relSeq = rel(t.seq, d.isn);
    const relAck = rel(t.ack, r.isn);
    const end = relSeq + t.len + (syn ? 1 : 0) + (fin ? 1 : 0);
    const consumes = t.len > 0 || syn || fin;
    const retransmit = syn ? (ack ? d.sentSynAck === true : d.sentSyn === true) : consumes && relSeq < d.maxEnd && !rst;
    if (syn && ack) d.sentSynAck = true;
    else if (syn) d.sentSyn = true;
    const shift = !syn && d.wscaleOffered !== undefined && r.wscaleOffered !== undefined ? d.wscaleOffered : 0;
    const pure = ack && !consumes && !rst;
    const probe = pure && d.maxEnd > 1 && this.isProbeSeq(s, d);
    const dupAck = pure && !probe && d.lastAck === relAck && d.lastWindow === t.window;
    if (end > d.maxEnd) d.maxEnd = end;
    if (ack) {
      d.lastAck = relAck;
      d.lastWindow = t.window;
    }
    const f: SegFact = { seg: s, relSeq, relAck, windowBytes: t.window * 2 ** shift, syn, fin, rst, ack, retransmit, dupAck, probe };
    this.byId.set(s.id, f);
    return f;
  }

  /** A probe carries SEQ = SND.UNA-1: one below what the peer has acknowledged. */
  private isProbeSeq(s: TraceSegment, d: DirState): boolean {
    const r = this.reverse(s);
    return r.lastAck !== undefined && rel(s.tcp!.seq, d.isn) + 1 === r.lastAck;
  }

  facts(step: TraceStep): StepFacts {
    const sent: SegFact[] = [];
    const arrived: SegFact[] = [];
    const arriving = new Set(step.cause.kind === 'arrive' ? step.cause.segments : []);
    for (const s of step.segments) {
      this.inFlight.set(s.id, s);
      const f = this.segment(s);
      // Live traces first see the peer's packets arriving: they are in `segments` and in the cause.
      if (f && !arriving.has(s.id)) sent.push(f);
    }
    const arrivedPackets: TraceSegment[] = [];
    for (const id of arriving) {
      const f = this.byId.get(id);
      if (f) arrived.push(f);
      const p = this.inFlight.get(id);
      if (p) arrivedPackets.push(p);
      this.inFlight.delete(id);
    }
    return {
      step,
      sent,
      arrived,
      arrivedPackets,
      receiver: step.cause.kind === 'arrive' ? step.cause.side : undefined,
      ...diffConns(step),
      counters: step.counters,
    };
  }
}

function diffConns(step: TraceStep): Pick<StepFacts, 'transitions' | 'fired' | 'armed' | 'stopped' | 'cwnd'> {
  const out: Pick<StepFacts, 'transitions' | 'fired' | 'armed' | 'stopped' | 'cwnd'> = { transitions: [], fired: [], armed: [], stopped: [], cwnd: [] };
  for (const side of ['a', 'b'] as const) {
    const before = step.before[side];
    const after = step.after[side];
    if (!before || !after) continue;
    const keys = new Set([...before.map((c) => c.key), ...after.map((c) => c.key)]);
    for (const key of keys) {
      const b = before.find((c) => c.key === key);
      const a = after.find((c) => c.key === key);
      if (b?.state !== a?.state) out.transitions.push({ side, key, from: b?.state, to: a?.state });
      timerDiff(side, key, step.t, b, a, out);
      if (a && b && a.state !== 'LISTEN' && a.state !== 'TIME_WAIT' && (a.cwnd !== b.cwnd || a.ssthresh !== b.ssthresh || a.caState !== b.caState || a.rto !== b.rto || a.mss !== b.mss)) {
        out.cwnd.push({
          side,
          key,
          cwndBefore: b.cwnd,
          cwndAfter: a.cwnd,
          ssthreshBefore: b.ssthresh,
          ssthreshAfter: a.ssthresh,
          mss: a.mss,
          mssBefore: b.mss,
          caBefore: b.caState,
          caAfter: a.caState,
          rtoBefore: b.rto,
          rtoAfter: a.rto,
          cc: a.cc ?? '',
        });
      }
    }
  }
  return out;
}

function timerDiff(side: Side, key: string, now: number, b: ConnView | undefined, a: ConnView | undefined, out: Pick<StepFacts, 'fired' | 'armed' | 'stopped'>): void {
  const bt = b?.timers ?? {};
  const at = a?.timers ?? {};
  for (const [timer, when] of Object.entries(bt)) {
    if (at[timer] === when) continue;
    if (when <= now) out.fired.push({ side, key, timer, at: when });
    else if (at[timer] === undefined && a) out.stopped.push({ side, key, timer, at: when });
  }
  for (const [timer, when] of Object.entries(at)) {
    const was = bt[timer];
    // A running timer pushed later (RFC 6298 §5.3 restart on every ACK) is not news; a new one is.
    if (was === undefined || was <= now) out.armed.push({ side, key, timer, at: when });
  }
}
