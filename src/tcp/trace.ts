/**
 * Per-connection congestion trace: cwnd, ssthresh, bytes in flight, SRTT
 * and RTO over time, and the events that move them (loss detected,
 * recovery entered and left, undo, RTO, tail loss probe) — the sawtooth a
 * textbook shows, from a real run. Records go to a sink the stack owner
 * provides (src/stack.ts `tcpTrace`; `tunstack up --cwnd-trace FILE` writes
 * them as JSON lines, `tunstack chart` draws them). Time is the injected
 * clock's, in ms.
 */
import type { Connection } from './connection.js';
import { seqSub } from './seq.js';

export type TraceEvent = 'recovery' | 'recovery-exit' | 'undo' | 'rto' | 'loss-exit' | 'tlp' | 'ecn';

export interface TraceRecord {
  /** Milliseconds (injected clock). */
  t: number;
  /** "localPort>remoteAddr:remotePort", stable for the connection's life. */
  conn: string;
  cwnd: number;
  ssthresh: number;
  inflight: number;
  srtt: number;
  rto: number;
  ca: string;
  ev?: TraceEvent;
}

export type TraceSink = (r: TraceRecord) => void;

function ip(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Samples one connection: every change of cwnd, ssthresh or state, every event, and at most one plain sample per ms otherwise. */
export class ConnectionTrace {
  private readonly id: string;
  private last = { t: -Infinity, cwnd: -1, ssthresh: -1, ca: '' };

  constructor(
    private readonly sink: TraceSink,
    c: Connection,
  ) {
    const t = c.tcb;
    this.id = `${ip(t.localAddr)}:${t.localPort}>${ip(t.remoteAddr)}:${t.remotePort}`;
  }

  sample(c: Connection, ev?: TraceEvent): void {
    const t = c.tcb;
    const now = c.env.clock.now();
    const cwnd = c.cwndBytes;
    const ssthresh = Math.min(0x7fffffff, Math.round(c.cc.ssthresh * t.mss));
    const ca = c.recovery.caState;
    const l = this.last;
    if (!ev && cwnd === l.cwnd && ssthresh === l.ssthresh && ca === l.ca && now - l.t < 1) return;
    this.last = { t: now, cwnd, ssthresh, ca };
    const r: TraceRecord = {
      t: now,
      conn: this.id,
      cwnd,
      ssthresh,
      inflight: seqSub(t.sndMax, t.sndUna),
      srtt: Math.round(c.rtt.srtt * 1000) / 1000,
      rto: c.rtt.rto,
      ca,
    };
    if (ev) r.ev = ev;
    this.sink(r);
  }
}
