/**
 * The comparator: packetdrill's matching rules as pure functions over
 * (scripted line, actual packet, times), so the mutation tests can drive it
 * without a stack.
 *
 * - Outbound sequence numbers are compared relative to our ISN (learnt from
 *   our first SYN/SYN-ACK); ACK fields and SACK blocks refer to the peer's
 *   sequence space, which the script writes literally.
 * - Flags exact, PSH included; seq/ack/options exact and in order; the
 *   window only when the line gives one; TS val is never compared (it is a
 *   clock), but recorded so inbound TS ecr can be remapped; TS ecr is compared
 *   exactly (stricter than packetdrill, which does not check it) because the
 *   peer's TS vals are literal script values.
 * - Unless strict segments are asked for, consecutive segments with the same
 *   header may together satisfy one larger scripted segment (TSO/GSO split,
 *   as packetdrill allows); FIN and PSH are then checked on the last piece.
 */
import { OPT_EOL, OPT_MSS, OPT_NOP, OPT_SACK, OPT_SACK_OK, OPT_TS, OPT_WSCALE, type DecodedTcp, type RawOption } from './packet.js';
import type { OptionSpec, TcpPacketSpec, TimeSpec } from './script.js';

export interface CompareOptions {
  /** Absolute timing tolerance, ms (packetdrill --tolerance_usecs, default 4 ms). */
  toleranceMs: number;
  /** Relative tolerance, percent of the gap since the previous event (--tolerance_percent, default 12.5). */
  tolerancePercent: number;
  /** --strict_segments: each scripted segment is exactly one actual segment. */
  strictSegments: boolean;
  /**
   * --tcp_ts_tick_usecs: outbound TS val is checked (packetdrill run_packet.c):
   * mapped to script space from the first one seen, it may differ from the
   * script's by at most the timing tolerance worth of ticks. Unset: not checked.
   */
  tsTickUsecs?: number;
}

export const DEFAULT_COMPARE: CompareOptions = { toleranceMs: 4, tolerancePercent: 12.5, strictSegments: false };

/** Per-connection mapping between script and live values (packetdrill's per-socket state). */
export interface SeqMap {
  /** live - script for our sequence numbers; learnt from our first SYN. */
  localOffset?: number;
  /** Outbound TS val: script value -> live value, for remapping inbound TS ecr. */
  tsVals: Map<number, number>;
  tsFirst?: { script: number; live: number };
}

export function newSeqMap(): SeqMap {
  return { tsVals: new Map() };
}

const FIN = 0x01;
const SYN = 0x02;
const PSH = 0x08;

export interface SegmentResult {
  /** First mismatch, or undefined if this segment matches (fully or as a piece). */
  error?: string;
  /** Bytes of the scripted payload this segment covered. */
  consumed: number;
  /** True when the scripted segment is now fully matched. */
  done: boolean;
}

/**
 * Compare one actual outbound segment against a scripted `>` line, of which
 * `progress` payload bytes were already matched by earlier pieces. Updates
 * `map` (ISN and TS val learning) only when the segment matches.
 */
export function compareSegment(
  exp: TcpPacketSpec,
  act: DecodedTcp,
  map: SeqMap,
  opts: CompareOptions,
  progress = 0,
  /** Script time of the segment, ms (for --tcp_ts_tick_usecs' percentage tolerance). */
  at = 0,
): SegmentResult {
  const fail = (error: string): SegmentResult => ({ error, consumed: 0, done: false });
  const offset = map.localOffset ?? (act.flags & SYN ? (act.seq - exp.seq) >>> 0 : 0);
  const remaining = exp.len - progress;
  const len = act.payload.length;
  const piece = len > 0 && len < remaining && !opts.strictSegments;
  if (len !== remaining && !piece) return fail(`payload length: expected ${remaining} vs actual ${len}`);
  const wantFlags = piece ? exp.flags & ~(FIN | PSH) : exp.flags;
  const gotFlags = piece ? act.flags & ~(FIN | PSH) : act.flags;
  if (wantFlags !== gotFlags) return fail(`flags: expected ${flagText(wantFlags)} vs actual ${flagText(gotFlags)}`);
  const seq = (act.seq - offset) >>> 0;
  const wantSeq = (exp.seq + progress) >>> 0;
  if (seq !== wantSeq) return fail(`seq: expected ${wantSeq} vs actual ${seq}`);
  if (exp.ack !== undefined && act.ack !== exp.ack >>> 0) return fail(`ack: expected ${exp.ack} vs actual ${act.ack}`);
  if (exp.win !== undefined && act.window !== exp.win) return fail(`window: expected ${exp.win} vs actual ${act.window}`);
  if (exp.urg !== undefined && act.urgent !== exp.urg) return fail(`urgent pointer: expected ${exp.urg} vs actual ${act.urgent}`);
  if (exp.options !== 'any') {
    const e = compareOptions(exp.options ?? [], act.options);
    if (e) return fail(`options: ${e}`);
  }
  for (let i = 0; i < len; i++) {
    if (act.payload[i] !== 0) return fail(`payload byte ${i} is ${act.payload[i]}, expected the zeros the script wrote`);
  }
  const ts = checkTsVal(exp, act, map, opts, at);
  if (ts) return fail(ts);
  map.localOffset = offset;
  learnTsVal(exp, act, map);
  return { consumed: len, done: progress + len === exp.len };
}

/** --tcp_ts_tick_usecs: |mapped live TS val - script TS val| * tick within max(tolerance, percent of script time). */
function checkTsVal(exp: TcpPacketSpec, act: DecodedTcp, map: SeqMap, opts: CompareOptions, at: number): string | undefined {
  if (!opts.tsTickUsecs || exp.options === 'any' || !exp.options) return undefined;
  const s = exp.options.find((o) => o.kind === 'TS');
  const a = act.options.find((o) => o.kind === OPT_TS);
  if (!s || s.kind !== 'TS' || !a || a.data.length !== 8) return undefined;
  const live = a.data.readUInt32BE(0);
  const first = map.tsFirst ?? { script: s.val >>> 0, live };
  const mapped = (first.script + (live - first.live)) >>> 0;
  const tolUs = Math.max(opts.toleranceMs * 1000, (opts.tolerancePercent / 100) * at * 1000);
  const diff = Math.abs((mapped - (s.val >>> 0)) | 0);
  if (diff * opts.tsTickUsecs > tolUs) return `bad outbound TCP timestamp value: expected TS val ${s.val >>> 0} vs actual ${mapped} (tolerance ${Math.round(tolUs)} us)`;
  return undefined;
}

function learnTsVal(exp: TcpPacketSpec, act: DecodedTcp, map: SeqMap): void {
  if (exp.options === 'any' || !exp.options) return;
  const s = exp.options.find((o) => o.kind === 'TS');
  const a = act.options.find((o) => o.kind === OPT_TS);
  if (!s || s.kind !== 'TS' || !a || a.data.length !== 8) return;
  const live = a.data.readUInt32BE(0);
  map.tsVals.set(s.val >>> 0, live);
  map.tsFirst ??= { script: s.val >>> 0, live };
}

/** packetdrill's inbound TS ecr rewrite: an exact earlier mapping, else interpolate from the first one. */
export function mapInboundEcr(scriptEcr: number, map: SeqMap): number {
  const exact = map.tsVals.get(scriptEcr >>> 0);
  if (exact !== undefined) return exact;
  if (map.tsFirst) return (scriptEcr - map.tsFirst.script + map.tsFirst.live) >>> 0;
  return scriptEcr >>> 0;
}

/** Options compared in order, kind by kind and value by value (packetdrill: "deterministic order"). */
export function compareOptions(exp: OptionSpec[], act: RawOption[]): string | undefined {
  const n = Math.max(exp.length, act.length);
  for (let i = 0; i < n; i++) {
    const e = exp[i];
    const a = act[i];
    // A trailing EOL is header padding unless the script asked for it.
    if (!e && a && a.kind === OPT_EOL && i === act.length - 1) return undefined;
    if (!e || !a) return `expected <${formatOptionSpecs(exp)}> vs actual <${formatRawOptions(act)}>`;
    const why = optionMismatch(e, a);
    if (why) return `${why}; expected <${formatOptionSpecs(exp)}> vs actual <${formatRawOptions(act)}>`;
  }
  return undefined;
}

function optionMismatch(e: OptionSpec, a: RawOption): string | undefined {
  const d = a.data;
  switch (e.kind) {
    case 'nop':
      return a.kind === OPT_NOP ? undefined : 'expected nop';
    case 'eol':
      return a.kind === OPT_EOL ? undefined : 'expected eol';
    case 'mss':
      if (a.kind !== OPT_MSS || d.length !== 2) return 'expected mss';
      return d.readUInt16BE(0) === e.value ? undefined : `mss ${e.value} vs ${d.readUInt16BE(0)}`;
    case 'wscale':
      if (a.kind !== OPT_WSCALE || d.length !== 1) return 'expected wscale';
      return d[0] === e.value ? undefined : `wscale ${e.value} vs ${d[0]}`;
    case 'sackOK':
      return a.kind === OPT_SACK_OK && d.length === 0 ? undefined : 'expected sackOK';
    case 'sack': {
      if (a.kind !== OPT_SACK || d.length !== e.blocks.length * 8) return 'expected sack with the same number of blocks';
      for (let i = 0; i < e.blocks.length; i++) {
        if (d.readUInt32BE(i * 8) !== e.blocks[i][0] >>> 0 || d.readUInt32BE(i * 8 + 4) !== e.blocks[i][1] >>> 0) {
          return `sack block ${i} differs`;
        }
      }
      return undefined;
    }
    case 'TS':
      if (a.kind !== OPT_TS || d.length !== 8) return 'expected TS';
      return d.readUInt32BE(4) === e.ecr >>> 0 ? undefined : `TS ecr ${e.ecr} vs ${d.readUInt32BE(4)}`;
  }
}

/** Time bounds for an outbound event, given its resolved times (ms) and the previous event's time. */
export function timeWindow(spec: TimeSpec, at: number, rangeEnd: number | undefined, lastEvent: number, opts: CompareOptions): [number, number] {
  if (spec.kind === 'any') return [-Infinity, Infinity];
  const tol = Math.max(opts.toleranceMs, (opts.tolerancePercent / 100) * Math.max(0, at - lastEvent));
  return [at - tol, (rangeEnd ?? at) + tol];
}

/** packetdrill's timing rule: actual within max(tolerance, percent of the gap) of the scripted time. */
export function checkTime(spec: TimeSpec, at: number, rangeEnd: number | undefined, actual: number, lastEvent: number, opts: CompareOptions): string | undefined {
  const [lo, hi] = timeWindow(spec, at, rangeEnd, lastEvent, opts);
  if (actual >= lo && actual <= hi) return undefined;
  const want = rangeEnd !== undefined ? `${fmtS(at)}~${fmtS(rangeEnd)}` : fmtS(at);
  return `timing: expected at ${want} (tolerance ${fmtS(hi - (rangeEnd ?? at))}) vs actual ${fmtS(actual)}`;
}

export function fmtS(ms: number): string {
  return `${(ms / 1000).toFixed(6)}s`;
}

export function flagText(f: number): string {
  let s = '';
  if (f & 0x02) s += 'S';
  if (f & 0x01) s += 'F';
  if (f & 0x04) s += 'R';
  if (f & 0x08) s += 'P';
  if (f & 0x20) s += 'U';
  if (f & 0x40) s += 'E';
  if (f & 0x80) s += 'W';
  if (f & 0x10) s += '.';
  return s || '(none)';
}

export function formatOptionSpecs(opts: OptionSpec[]): string {
  return opts
    .map((o) => {
      switch (o.kind) {
        case 'mss':
        case 'wscale':
          return `${o.kind} ${o.value}`;
        case 'sack':
          return `sack ${o.blocks.map((b) => `${b[0]}:${b[1]}`).join(' ')}`;
        case 'TS':
          return `TS val ${o.val} ecr ${o.ecr}`;
        default:
          return o.kind;
      }
    })
    .join(',');
}

export function formatRawOptions(opts: RawOption[]): string {
  return opts
    .map((o) => {
      const d = o.data;
      if (o.kind === OPT_NOP) return 'nop';
      if (o.kind === OPT_EOL) return 'eol';
      if (o.kind === OPT_MSS && d.length === 2) return `mss ${d.readUInt16BE(0)}`;
      if (o.kind === OPT_WSCALE && d.length === 1) return `wscale ${d[0]}`;
      if (o.kind === OPT_SACK_OK) return 'sackOK';
      if (o.kind === OPT_TS && d.length === 8) return `TS val ${d.readUInt32BE(0)} ecr ${d.readUInt32BE(4)}`;
      if (o.kind === OPT_SACK && d.length % 8 === 0) {
        const b: string[] = [];
        for (let i = 0; i < d.length; i += 8) b.push(`${d.readUInt32BE(i)}:${d.readUInt32BE(i + 4)}`);
        return `sack ${b.join(' ')}`;
      }
      return `opt${o.kind}(${d.toString('hex')})`;
    })
    .join(',');
}

/** An actual segment in script notation (our seq made relative when the ISN is known). */
export function formatSegment(act: DecodedTcp, map: SeqMap): string {
  const off = map.localOffset ?? (act.flags & SYN ? act.seq : 0);
  const seq = (act.seq - off) >>> 0;
  const len = act.payload.length;
  let s = `> ${flagText(act.flags)} ${seq}:${(seq + len) >>> 0}(${len})`;
  if (act.flags & 0x10) s += ` ack ${act.ack}`;
  s += ` win ${act.window}`;
  if (act.options.length) s += ` <${formatRawOptions(act.options)}>`;
  return s;
}
