/**
 * Event times and offline trace verification. `resolveTime` is packetdrill's
 * rule for turning a TimeSpec into absolute script time; `verifyTrace` checks a
 * recorded outbound trace against a script's `>` TCP lines with the same
 * comparator the interpreter uses, so the comparator can be tested (and
 * mutated) without a stack.
 */
import { checkTime, compareSegment, formatSegment, newSeqMap, type CompareOptions } from './comparator.js';
import { decodeDatagram } from './packet.js';
import type { Script, ScriptEvent, TimeSpec } from './script.js';

export interface ResolvedTime {
  at: number;
  rangeEnd?: number;
  blockingEnd?: number;
}

/** Relative times (and their range/blocking ends) count from the previous event's time (packetdrill run.c). */
export function resolveTime(spec: TimeSpec, lastEvent: number): ResolvedTime {
  const base = spec.kind === 'relative' ? lastEvent : 0;
  if (spec.kind === 'any') return { at: lastEvent };
  const r: ResolvedTime = { at: base + spec.at };
  if (spec.rangeEnd !== undefined) r.rangeEnd = base + spec.rangeEnd;
  if (spec.blockingEnd !== undefined) r.blockingEnd = base + spec.blockingEnd;
  return r;
}

export interface TracePacket {
  /** Virtual time the stack sent it, ms. */
  time: number;
  /** The IPv4 datagram. */
  bytes: Buffer;
}

/** First mismatch between a script's outbound TCP lines and a trace, or undefined when they agree. */
export function verifyTrace(script: Script, trace: TracePacket[], opts: CompareOptions): string | undefined {
  const map = newSeqMap();
  let last = 0;
  let next = 0;
  for (const ev of script.events) {
    const t = resolveTime(ev.time, last);
    if (ev.body.type !== 'packet' || ev.body.packet.proto !== 'tcp' || ev.body.packet.dir !== '>') {
      last = t.at;
      continue;
    }
    const exp = ev.body.packet;
    let progress = 0;
    for (;;) {
      const p = trace[next];
      if (!p) return at(ev, `missing outbound packet: expected ${ev.text.trim()}`);
      next++;
      const d = decodeDatagram(p.bytes);
      if (typeof d === 'string' || !d.tcp) return at(ev, `outbound packet is not TCP: ${typeof d === 'string' ? d : d.error ?? d.protocol}`);
      const r = compareSegment(exp, d.tcp, map, opts, progress, p.time);
      if (r.error) return at(ev, `${r.error}\n  script: ${ev.text.trim()}\n  actual: ${formatSegment(d.tcp, map)} at ${p.time}ms`);
      const late = checkTime(ev.time, t.at, t.rangeEnd, p.time, last, opts);
      if (late) return at(ev, late);
      progress += r.consumed;
      if (r.done) {
        last = ev.time.kind === 'any' || t.rangeEnd !== undefined ? p.time : t.at;
        break;
      }
    }
  }
  // Packets sent at or after the last line's time are not read (packetdrill); earlier unmatched ones fail.
  if (next < trace.length && trace[next].time < last) {
    const d = decodeDatagram(trace[next].bytes);
    const what = typeof d !== 'string' && d.tcp ? formatSegment(d.tcp, map) : 'non-TCP packet';
    return `unexpected extra outbound packet at ${trace[next].time}ms: ${what}`;
  }
  return undefined;
}

function at(ev: ScriptEvent, msg: string): string {
  return `line ${ev.line}: ${msg}`;
}
