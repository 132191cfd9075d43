/**
 * From a trace to the ladder: the ordered items both renderers (text, SVG)
 * and --json share — application calls, segments with their fate, state
 * changes, timers, congestion-window changes, and after each event the rules
 * that explain it.
 */
import { citeLabel, type CitationId } from './citations.js';
import { FactTracker, type SegFact, type StepFacts } from './facts.js';
import { applyRules, stateName } from './rules.js';
import type { Side, TraceHeader, TraceSegment, TraceStep } from './trace-format.js';

export type LadderItem =
  | { kind: 'app'; t: number; side: Side; text: string }
  | { kind: 'segment'; t: number; side: Side; text: string; fate: Fate; arrivedAt?: number; id: number }
  | { kind: 'state'; t: number; side: Side; text: string }
  | { kind: 'timer'; t: number; side: Side; text: string }
  | { kind: 'cwnd'; t: number; side: Side; text: string }
  | { kind: 'rule'; t: number; side?: Side; cite: CitationId; label: string; text: string; also: string[] };

export interface Ladder {
  header: TraceHeader;
  items: LadderItem[];
}

const TIMER_NAMES: Record<string, string> = {
  retransmit: 'retransmission timer',
  lossProbe: 'loss-probe timer',
  persist: 'persist timer',
  finWait2: 'FIN-WAIT-2 timer',
  delayedAck: 'delayed-ACK timer',
  keepalive: 'keepalive timer',
  timeWait: '2·MSL timer',
};

const fmtMs = (x: number): string => `${Math.round(x * 1000) / 1000} ms`;

export function segmentLabel(f: SegFact | undefined, s: TraceSegment): string {
  const t = s.tcp;
  if (t && f) {
    const parts = [`[${t.flags}]`];
    const end = f.relSeq + t.len;
    parts.push(t.len > 0 ? `seq ${f.relSeq}:${end}` : `seq ${f.relSeq}`);
    if (f.ack) parts.push(`ack ${f.relAck}`);
    parts.push(`win ${f.windowBytes}`);
    if (t.len > 0) parts.push(`len ${t.len}`);
    const o = t.options;
    const opts: string[] = [];
    if (o.mss !== undefined) opts.push(`mss ${o.mss}`);
    if (o.sackPermitted) opts.push('sackOK');
    if (o.ts) opts.push('TS');
    if (o.wscale !== undefined) opts.push(`wscale ${o.wscale}`);
    if (o.sack) opts.push(`sack ${o.sack.map(([l, r]) => `${relTo(l, f)}:${relTo(r, f)}`).join(' ')}`);
    if (opts.length) parts.push(`<${opts.join(',')}>`);
    return parts.join(' ');
  }
  if (s.ip.mf || s.ip.fragOffset > 0) {
    const udp = s.udp ? ` (UDP ${s.udp.srcPort} → ${s.udp.dstPort}, ${s.udp.len - 8} bytes)` : '';
    return `IP fragment id ${s.ip.id} offset ${s.ip.fragOffset} len ${s.ip.len}${s.ip.mf ? ' MF' : ''}${udp}`;
  }
  if (s.udp) return `UDP ${s.udp.srcPort} → ${s.udp.dstPort} len ${s.udp.len - 8}${s.ip.mf ? ` (IP id ${s.ip.id} offset 0 MF)` : ''}`;
  if (s.icmp?.mtu !== undefined) return `ICMP ${s.icmp.type}/${s.icmp.code} frag needed from ${s.icmp.src}: next-hop MTU ${s.icmp.mtu}`;
  if (s.icmp) return `ICMP type ${s.icmp.type} code ${s.icmp.code}${s.icmp.src ? ` from ${s.icmp.src}` : ''}`;
  return `IP proto ${s.ip.proto} len ${s.ip.len}`;
}

/** SACK edges are the receiver's view of the sender's sequence space: relative to the ack base. */
function relTo(x: number, f: SegFact): number {
  const base = (f.seg.tcp!.ack - f.relAck) >>> 0;
  return (((x - base) % 2 ** 32) + 2 ** 32) % 2 ** 32;
}

export type Fate = 'delivered' | 'lost' | 'dropped' | 'too-big' | 'unseen';

/** A packet that did not arrive, with the words both renderers print after its ✗. */
export function missing(f: Fate): string | undefined {
  if (f === 'too-big') return 'too big for the next hop';
  return f === 'lost' || f === 'dropped' ? f : undefined;
}

function fate(s: TraceSegment): Fate {
  if (s.dropped === 'scenario') return 'dropped';
  if (s.dropped === 'too-big') return 'too-big';
  if (s.dropped === 'loss') return 'lost';
  return s.arrivedAt === undefined ? 'unseen' : 'delivered';
}

export function buildLadder(header: TraceHeader, steps: readonly TraceStep[]): Ladder {
  const tracker = new FactTracker();
  const items: LadderItem[] = [];
  const multi = multiConnSides(steps);
  for (const step of steps) {
    const f = tracker.facts(step);
    const t = step.t;
    if (step.cause.kind === 'app' && step.cause.action !== 'write (application)') items.push({ kind: 'app', t, side: step.cause.side, text: step.cause.action });
    for (const x of f.fired) items.push({ kind: 'timer', t, side: x.side, text: `⏰ ${TIMER_NAMES[x.timer] ?? x.timer} fired` });
    for (const s of step.segments) {
      const sf = f.sent.find((x) => x.seg.id === s.id) ?? f.arrived.find((x) => x.seg.id === s.id);
      // At the event's time: in a live trace a packet leaves a little after the event began.
      items.push({ kind: 'segment', t, side: s.from, text: segmentLabel(sf, s) + (sf?.retransmit ? ' (retransmission)' : ''), fate: fate(s), arrivedAt: s.arrivedAt, id: s.id });
    }
    for (const x of f.transitions) {
      const port = multi[x.side] ? `${x.key.split('>')[0]}↔${x.key.split(':').pop()} ` : '';
      items.push({ kind: 'state', t, side: x.side, text: `${port}${stateName(x.from)} → ${stateName(x.to)}` });
    }
    for (const x of f.armed) {
      if (x.timer === 'keepalive') continue;
      items.push({ kind: 'timer', t, side: x.side, text: `⏱ ${TIMER_NAMES[x.timer] ?? x.timer} set for ${fmtMs(x.at)}` });
    }
    for (const x of f.stopped) {
      if (x.timer === 'persist' || x.timer === 'timeWait') items.push({ kind: 'timer', t, side: x.side, text: `⏹ ${TIMER_NAMES[x.timer]} stopped` });
    }
    for (const c of f.cwnd) {
      const mss = (b: number): string => (b >= 0x7fffffff ? '∞' : c.mss > 0 ? `${Math.round((b / c.mss) * 10) / 10}` : String(b));
      if (mss(c.cwndAfter) === mss(c.cwndBefore) && c.ssthreshAfter === c.ssthreshBefore) continue;
      const initial = f.transitions.some((x) => x.side === c.side && x.key === c.key && (x.to === 'ESTABLISHED' || x.to === 'SYN_RECEIVED'));
      if (!initial && c.mss < c.mssBefore) {
        // The window counts segments: a smaller MSS (path MTU down) keeps the count and shrinks the bytes.
        items.push({ kind: 'cwnd', t, side: c.side, text: `MSS ${c.mssBefore} → ${c.mss}: cwnd ${mss(c.cwndAfter)} MSS = ${c.cwndAfter} bytes` });
        continue;
      }
      const text = initial ? `cwnd ${mss(c.cwndAfter)} MSS (initial window)` : `cwnd ${mss(c.cwndBefore)} → ${mss(c.cwndAfter)} MSS, ssthresh ${mss(c.ssthreshAfter)}`;
      items.push({ kind: 'cwnd', t, side: c.side, text });
    }
    for (const h of applyRules(f)) {
      items.push({ kind: 'rule', t, side: h.side, cite: h.cite, label: citeLabel(h.cite), text: h.text, also: (h.also ?? []).map(citeLabel) });
    }
  }
  return { header, items };
}

/** Sides with more than one connection over the trace: their state lines name the local port. */
function multiConnSides(steps: readonly TraceStep[]): Record<Side, boolean> {
  const keys: Record<Side, Set<string>> = { a: new Set(), b: new Set() };
  for (const s of steps) {
    for (const side of ['a', 'b'] as const) for (const c of s.after[side] ?? []) if (c.state !== 'LISTEN') keys[side].add(c.key);
  }
  return { a: keys.a.size > 1, b: keys.b.size > 1 };
}

export type { StepFacts };
