/**
 * `tunstack up --trace DIR`: record the live stack (our end 'a') and the
 * kernel on the other side of the device (end 'b', whose state we cannot
 * see), and append each event to the JSON-lines file of every TCP
 * connection it concerns: DIR/<our addr>_<port>-<peer addr>_<port>.jsonl.
 * `tunstack explain --trace FILE` then prints the annotated ladder.
 *
 * One synchronous append per event: a debugging aid, not for benchmarks.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../time/clock.js';
import type { Link } from '../link/link.js';
import type { Stack } from '../stack.js';
import { TraceRecorder } from './recorder.js';
import { TRACE_VERSION, type ConnView, type TraceHeader, type TraceSegment, type TraceStep } from './trace-format.js';
import { formatIpv4 } from '../wire/ip-address.js';

export interface LiveTrace {
  clock: Clock;
  link: Link;
  /** Call once the stack exists (the recorder reads its connections and counters). */
  attach(stack: Stack): void;
}

/** Our port and the peer's "addr:port" for a segment, from our side's point of view. */
function connKeyOf(seg: TraceSegment): string | undefined {
  const t = seg.tcp;
  if (!t) return undefined;
  return seg.from === 'a' ? `${t.srcPort}>` + `|${t.dstPort}` : `${t.dstPort}>` + `|${t.srcPort}`;
}

export function liveTrace(dir: string, clock: Clock, link: Link, ourAddr: number, peerAddr: number): LiveTrace {
  mkdirSync(dir, { recursive: true });
  let stack: Stack | undefined;
  const rec = new TraceRecorder(
    clock,
    { a: { connections: () => stack?.connections() ?? [], counters: () => stack?.counters() ?? {} }, b: {} },
    false,
  );
  const header: TraceHeader = {
    type: 'header',
    version: TRACE_VERSION,
    sides: { a: { addr: formatIpv4(ourAddr), label: 'tunstack' }, b: { addr: formatIpv4(peerAddr), label: 'peer' } },
    source: 'live',
  };
  const started = new Set<string>();
  const peer = formatIpv4(peerAddr);
  rec.onStep = (step) => {
    // Which connections the step concerns: those whose segments it carries or whose state changed.
    const keys = new Set<string>();
    for (const s of step.segments) {
      const k = connKeyOf(s);
      if (k) keys.add(k);
    }
    const views = (v: ConnView[] | null): ConnView[] => v ?? [];
    for (const c of [...views(step.before.a), ...views(step.after.a)]) {
      if (c.state === 'LISTEN') continue;
      const b = views(step.before.a).find((x) => x.key === c.key);
      const a = views(step.after.a).find((x) => x.key === c.key);
      if (JSON.stringify(a) !== JSON.stringify(b)) keys.add(`${c.localPort}>|${c.remotePort}`);
    }
    for (const k of keys) {
      const [local, remote] = k.split('>|');
      const file = join(dir, `${formatIpv4(ourAddr)}_${local}-${peer}_${remote}.jsonl`);
      if (!started.has(file)) {
        started.add(file);
        appendFileSync(file, JSON.stringify(header) + '\n');
      }
      appendFileSync(file, JSON.stringify(only(step, Number(local), Number(remote))) + '\n');
    }
  };
  return {
    clock: rec.wrapClock(),
    link: rec.wrapLink('a', link),
    attach: (s) => {
      stack = s;
    },
  };
}

/** The step as it concerns one connection: its segments and its own view on each side. */
function only(step: TraceStep, local: number, remote: number): TraceStep {
  const mine = (s: TraceSegment): boolean => {
    const t = s.tcp;
    if (!t) return false;
    return s.from === 'a' ? t.srcPort === local && t.dstPort === remote : t.dstPort === local && t.srcPort === remote;
  };
  const conn = (v: ConnView[] | null): ConnView[] | null => v && v.filter((c) => (c.localPort === local && c.remotePort === remote) || c.state === 'LISTEN' && c.localPort === local);
  const ids = new Set(step.segments.filter(mine).map((s) => s.id));
  const cause = step.cause.kind === 'arrive' ? { ...step.cause, segments: step.cause.segments.filter((id) => ids.has(id) || !step.segments.some((s) => s.id === id)) } : step.cause;
  return { ...step, cause, segments: step.segments.filter(mine), before: { a: conn(step.before.a), b: null }, after: { a: conn(step.after.a), b: null } };
}
