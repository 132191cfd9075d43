/**
 * The segment/event trace that `tunstack explain` annotates, as written by
 * `tunstack up --trace DIR` (one JSON object per line) and recorded in memory
 * by the scenarios. It is deliberately separate from the per-connection cwnd
 * trace of the congestion controllers: this one records what crossed the
 * wire and what each end's state was before and after each event, so the
 * rules behind the event can be derived afterwards (rules.ts).
 *
 * File layout: the first line is a TraceHeader, every later line a TraceStep.
 */

export const TRACE_VERSION = 1;

/** The two ends: 'a' draws on the left, 'b' on the right. */
export type Side = 'a' | 'b';

export interface TraceHeader {
  type: 'header';
  version: typeof TRACE_VERSION;
  /** Dotted IPv4 address and a short label for each end. */
  sides: Record<Side, { addr: string; label: string }>;
  /** What produced it: a scenario name, or 'live' for `tunstack up --trace`. */
  source: string;
  seed?: number;
  rttMs?: number;
  loss?: number;
}

export interface TcpFields {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Flag letters in tcpdump order: S F R P . (ACK) U E W */
  flags: string;
  /** The raw window field and the window in bytes (scaled when the shift is known). */
  window: number;
  len: number;
  options: {
    mss?: number;
    wscale?: number;
    sackPermitted?: boolean;
    sack?: Array<[number, number]>;
    ts?: [number, number];
  };
}

/** One IPv4 packet on the link (a segment, a UDP datagram, an ICMP message or a fragment of one). */
export interface TraceSegment {
  id: number;
  from: Side;
  /** Sent at, and arrived at (absent: lost on the way, or not seen arriving). */
  t: number;
  arrivedAt?: number;
  ip: { id: number; len: number; df: boolean; mf: boolean; fragOffset: number; proto: number };
  /** Present when this packet carries a TCP header (an unfragmented TCP segment). */
  tcp?: TcpFields;
  /** UDP ports and length, ICMP type/code, when those headers are present. */
  udp?: { srcPort: number; dstPort: number; len: number };
  /** `src`: who sent it (a router's address for an error); `mtu`: a frag-needed's next-hop MTU (RFC 1191 §4). */
  icmp?: { type: number; code: number; src?: string; mtu?: number };
  /** Dropped on purpose by the scenario (a scripted loss), by random --loss, or by a router (DF set, too big for its next hop). */
  dropped?: 'scenario' | 'loss' | 'too-big';
}

/** One connection as seen by its own end (the TcpInfo fields explain uses). */
export interface ConnView {
  /** "localPort>remoteAddr:remotePort" */
  key: string;
  localPort: number;
  remotePort: number;
  state: string;
  iss: number;
  irs: number;
  sndUna: number;
  sndNxt: number;
  rcvNxt: number;
  sndWnd: number;
  rcvWnd: number;
  cwnd: number;
  ssthresh: number;
  rto: number;
  srtt: number;
  mss: number;
  retransmits: number;
  caState: string;
  /** Congestion controller name ('cubic', 'reno', ...). */
  cc?: string;
  timers: Record<string, number>;
}

/** What set a step off. */
export type Cause =
  | { kind: 'app'; side: Side; action: string }
  | { kind: 'arrive'; side: Side; segments: number[] }
  | { kind: 'timer'; side?: Side }
  | { kind: 'start' };

/**
 * One event: everything that happened at one instant because of one cause —
 * the segments sent, and each end's connections and counters before and
 * after. A side whose state is unknown (the kernel in a live trace) has null.
 */
export interface TraceStep {
  type: 'step';
  t: number;
  cause: Cause;
  /**
   * Packets first seen in this step: those sent during it, and (live traces)
   * those arriving from a peer whose sending we did not see. Arrivals of
   * packets seen earlier refer to them by id (cause.segments).
   */
  segments: TraceSegment[];
  before: Record<Side, ConnView[] | null>;
  after: Record<Side, ConnView[] | null>;
  /** Counter changes during the step, "Group.Name" → delta (non-zero only). */
  counters: Record<Side, Record<string, number>>;
}

export type TraceLine = TraceHeader | TraceStep;

export function parseTraceLines(text: string): { header: TraceHeader; steps: TraceStep[] } | string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return 'empty trace';
  let header: TraceHeader | undefined;
  const steps: TraceStep[] = [];
  for (const [i, line] of lines.entries()) {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      return `line ${i + 1}: not JSON`;
    }
    const o = v as Partial<TraceLine>;
    if (o.type === 'header') {
      if (o.version !== TRACE_VERSION) return `line ${i + 1}: trace version ${String(o.version)} (this tunstack reads ${TRACE_VERSION})`;
      header = o as TraceHeader;
    } else if (o.type === 'step') steps.push(o as TraceStep);
    else return `line ${i + 1}: neither a header nor a step`;
  }
  if (!header) return 'no header line (was this written by tunstack up --trace?)';
  return { header, steps };
}
