/**
 * Records a TraceStep per event by wrapping what the stacks see of the world:
 * their Clock (every timer callback is an event), their Links (packets sent
 * and batches received) and, for scenarios, the application calls. Before
 * and after each event it snapshots both ends' connections and counters;
 * nothing inside the stack is instrumented, so the trace shows what really
 * happened, and the rules are derived from it afterwards (rules.ts).
 */
import type { Clock, Timer } from '../time/clock.js';
import type { Link, ReceiveHandler } from '../link/link.js';
import type { TcpInfo } from '../tcp/api.js';
import { formatIpv4 } from '../wire/ip-address.js';
import { recordPacket } from './packet-record.js';
import type { Cause, ConnView, Side, TraceSegment, TraceStep } from './trace-format.js';

/** One end as the recorder sees it; `connections`/`counters` absent for an end we cannot look into. */
export interface ObservedEnd {
  connections?: () => TcpInfo[];
  counters?: () => Record<string, Record<string, number>>;
}

/**
 * Says whether to drop a packet on the link (a scripted loss). It may set
 * `seg.dropped` itself to name another reason (a router's 'too-big').
 */
export type DropFilter = (seg: TraceSegment, packet: Buffer) => boolean;

export function connView(i: TcpInfo): ConnView {
  const timers: Record<string, number> = {};
  for (const [k, v] of Object.entries(i.timers ?? {})) if (typeof v === 'number') timers[k] = v;
  return {
    key: `${i.localPort}>${formatIpv4(i.remoteAddr)}:${i.remotePort}`,
    localPort: i.localPort,
    remotePort: i.remotePort,
    state: i.state,
    iss: i.iss ?? 0,
    irs: i.irs ?? 0,
    sndUna: i.sndUna,
    sndNxt: i.sndNxt,
    rcvNxt: i.rcvNxt,
    sndWnd: i.sndWnd,
    rcvWnd: i.rcvWnd,
    cwnd: i.cwnd,
    ssthresh: i.ssthresh,
    rto: i.rto,
    srtt: i.srtt,
    mss: i.mss,
    retransmits: i.retransmits,
    caState: i.caState,
    ...(i.ccName ? { cc: i.ccName } : {}),
    timers,
  };
}

function flatten(groups: Record<string, Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [g, c] of Object.entries(groups)) for (const [n, v] of Object.entries(c)) out[`${g}.${n}`] = v;
  return out;
}

function deltas(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

interface OpenStep {
  step: TraceStep;
  countersBefore: Record<Side, Record<string, number>>;
}

export class TraceRecorder {
  readonly steps: TraceStep[] = [];
  /** Called with each finished step (the live trace writer streams them). */
  onStep: ((s: TraceStep) => void) | undefined;
  private readonly bySegment = new WeakMap<Buffer, TraceSegment>();
  private readonly segments: TraceSegment[] = [];
  private nextId = 1;
  private open: OpenStep | undefined;
  private lastAfter: Record<Side, ConnView[] | null> = { a: null, b: null };
  dropFilter: DropFilter | undefined;

  /**
   * `retain: false` (live traces) keeps no history: steps only go to onStep,
   * and packets are remembered only until they arrive (a WeakMap by Buffer).
   */
  constructor(
    private readonly clock: Clock,
    private readonly ends: Record<Side, ObservedEnd>,
    private readonly retain = true,
  ) {}

  /** A Clock whose every callback is one recorded event. */
  wrapClock(): Clock {
    const inner = this.clock;
    return {
      now: () => inner.now(),
      setTimer: (at: number, fn: () => void): Timer => inner.setTimer(at, () => this.run({ kind: 'timer' }, fn)),
    };
  }

  /** The Link `side` uses: its sends are recorded (and maybe dropped), its received batches are events. */
  wrapLink(side: Side, link: Link): Link {
    return {
      get mtu() {
        return link.mtu;
      },
      get counterGroups() {
        return link.counterGroups;
      },
      send: (packet: Buffer) => {
        if (this.onSend(side, packet)) link.send(packet);
      },
      // RxMeta passes through: with TUN offloads it says which checksums the kernel vouched for.
      onReceive: (handler: ReceiveHandler) => link.onReceive((batch, meta) => this.onArrive(side, batch, () => handler(batch, meta))),
      close: () => link.close(),
    };
  }

  /** Run `fn` as one event with `cause` (nested calls join the outer event, refining a generic cause). */
  run(cause: Cause, fn: () => void): void {
    if (this.open) {
      const c = this.open.step.cause;
      if (c.kind === 'timer' || c.kind === 'start') this.open.step.cause = cause;
      fn();
      return;
    }
    this.begin(cause, this.snapshot());
    try {
      fn();
    } finally {
      this.end();
    }
  }

  /** Segments never seen arriving; call once the run is over. */
  undelivered(): TraceSegment[] {
    return this.segments.filter((s) => s.arrivedAt === undefined);
  }

  private begin(cause: Cause, before: Record<Side, ConnView[] | null>): void {
    const counters = { a: this.counters('a'), b: this.counters('b') };
    this.open = {
      step: { type: 'step', t: this.clock.now(), cause, segments: [], before, after: before, counters: { a: {}, b: {} } },
      countersBefore: counters,
    };
  }

  private end(): void {
    const o = this.open;
    if (!o) return;
    this.open = undefined;
    const s = o.step;
    s.after = this.snapshot();
    s.counters = { a: deltas(o.countersBefore.a, this.counters('a')), b: deltas(o.countersBefore.b, this.counters('b')) };
    this.lastAfter = s.after;
    const changed = JSON.stringify(s.before) !== JSON.stringify(s.after);
    const counted = Object.keys(s.counters.a).length + Object.keys(s.counters.b).length > 0;
    if (!changed && !counted && s.segments.length === 0 && s.cause.kind !== 'arrive' && s.cause.kind !== 'app') return;
    if (s.cause.kind === 'timer') s.cause = { kind: 'timer', side: timerSide(s) };
    if (this.retain) this.steps.push(s);
    this.onStep?.(s);
  }

  private onSend(side: Side, packet: Buffer): boolean {
    const rec = recordPacket(this.nextId++, side, this.clock.now(), packet);
    if (!rec) return true;
    if (this.retain) this.segments.push(rec);
    this.bySegment.set(packet, rec);
    if (this.open) this.open.step.segments.push(rec);
    else {
      // Sent outside any event (a live application writing from its own
      // callback): an event of its own, closed once the current tick's work is done.
      this.begin({ kind: 'app', side, action: 'write (application)' }, this.lastAfter);
      this.open!.step.segments.push(rec);
      queueMicrotask(() => this.end());
    }
    // After the packet is in its step: a filter that answers it (a router's ICMP) records the answer after it.
    const drop = this.dropFilter?.(rec, packet) ?? false;
    if (drop) rec.dropped ??= 'scenario';
    return !drop;
  }

  private onArrive(side: Side, batch: Buffer[], deliver: () => void): void {
    const ids: number[] = [];
    const unseen: TraceSegment[] = [];
    const now = this.clock.now();
    const other: Side = side === 'a' ? 'b' : 'a';
    for (const p of batch) {
      let rec = this.bySegment.get(p);
      if (!rec) {
        rec = recordPacket(this.nextId++, other, now, p);
        if (!rec) continue;
        this.bySegment.set(p, rec);
        if (this.retain) this.segments.push(rec);
        unseen.push(rec);
      }
      rec.arrivedAt = now;
      ids.push(rec.id);
    }
    this.run({ kind: 'arrive', side, segments: ids }, () => {
      this.open?.step.segments.push(...unseen);
      deliver();
    });
  }

  private snapshot(): Record<Side, ConnView[] | null> {
    const view = (e: ObservedEnd): ConnView[] | null => (e.connections ? e.connections().map(connView) : null);
    return { a: view(this.ends.a), b: view(this.ends.b) };
  }

  private counters(side: Side): Record<string, number> {
    const c = this.ends[side].counters;
    return c ? flatten(c()) : {};
  }
}

/** Which end's timer fired: the one with a deadline due by now that is gone or moved. */
function timerSide(s: TraceStep): Side | undefined {
  for (const side of ['a', 'b'] as const) {
    const before = s.before[side];
    if (!before) continue;
    for (const c of before) {
      const after = s.after[side]?.find((x) => x.key === c.key);
      for (const [k, at] of Object.entries(c.timers)) if (at <= s.t && after?.timers[k] !== at) return side;
    }
  }
  const senders = new Set(s.segments.map((x) => x.from));
  return senders.size === 1 ? [...senders][0] : undefined;
}
