/**
 * The rules behind what happened: each function looks at the facts of one
 * step (facts.ts: the segments that arrived and left, state transitions,
 * timers, congestion-window changes, counters) and, when its pattern is
 * there, names the RFC section or Linux function that prescribes it. Nothing
 * here knows which scenario is running: the same rules annotate a live trace.
 */
import type { CitationId } from './citations.js';
import { PMTU_RULES } from './rules-pmtu.js';
import type { SegFact, StepFacts, Transition } from './facts.js';
import type { Side } from './trace-format.js';

export interface RuleHit {
  side?: Side;
  cite: CitationId;
  /** Further sources, printed in parentheses after the text. */
  also?: CitationId[];
  text: string;
}

type Rule = (f: StepFacts) => RuleHit[];

const NAMES: Record<string, string> = {
  SYN_SENT: 'SYN-SENT',
  SYN_RECEIVED: 'SYN-RECEIVED',
  ESTABLISHED: 'ESTABLISHED',
  FIN_WAIT_1: 'FIN-WAIT-1',
  FIN_WAIT_2: 'FIN-WAIT-2',
  CLOSE_WAIT: 'CLOSE-WAIT',
  CLOSING: 'CLOSING',
  LAST_ACK: 'LAST-ACK',
  TIME_WAIT: 'TIME-WAIT',
  LISTEN: 'LISTEN',
  CLOSED: 'CLOSED',
};
export const stateName = (s: string | undefined): string => (s === undefined ? 'CLOSED' : (NAMES[s] ?? s));

const arrivedWith = (f: StepFacts, pred: (s: SegFact) => boolean): SegFact | undefined => f.arrived.find(pred);
const sentBy = (f: StepFacts, side: Side, pred: (s: SegFact) => boolean): SegFact | undefined => f.sent.find((s) => s.seg.from === side && pred(s));
const hasData = (s: SegFact): boolean => (s.seg.tcp?.len ?? 0) > 0;
const isSynOnly = (s: SegFact): boolean => s.syn && !s.ack;
const isSynAck = (s: SegFact): boolean => s.syn && s.ack;
const count = (f: StepFacts, side: Side, name: string): number => f.counters[side][`Tcp.${name}`] ?? 0;
const ms = (x: number): string => `${Math.round(x * 1000) / 1000} ms`;

/** Connection state changes, by the RFC 9293 §3.10 event that makes each. */
const transitions: Rule = (f) => {
  const hits: RuleHit[] = [];
  const cause = f.step.cause;
  for (const t of f.transitions) {
    const { side } = t;
    const text = (s: string): void => void hits.push({ side, cite: citeFor(t, f), text: s });
    const key = `${t.from ?? 'none'}>${t.to ?? 'none'}`;
    switch (key) {
      case 'none>LISTEN':
        text('OPEN call, passive: the port listens for SYNs');
        break;
      case 'none>SYN_SENT':
        hits.push({ side, cite: 'open-active', also: ['isn'], text: 'OPEN call, active: send SYN with a fresh ISN, enter SYN-SENT' });
        break;
      case 'none>SYN_RECEIVED':
        hits.push({ side, cite: 'listen', text: 'LISTEN: a SYN → remember it, send SYN,ACK <SEQ=ISS><ACK=RCV.NXT>, enter SYN-RECEIVED' });
        break;
      case 'none>ESTABLISHED':
        if (count(f, side, 'SyncookiesRecv') > 0) hits.push({ side, cite: 'linux-cookie-check', also: ['syn-cookies'], text: 'the ACK returns a valid cookie (ACK−1 encodes MSS and time): the connection is rebuilt from it, ESTABLISHED' });
        else text('SYN-RECEIVED: an acceptable ACK → ESTABLISHED');
        break;
      case 'SYN_RECEIVED>ESTABLISHED':
        text('SYN-RECEIVED: an acceptable ACK → ESTABLISHED');
        break;
      case 'SYN_SENT>ESTABLISHED':
        text('SYN-SENT: SYN,ACK acknowledges our SYN → ESTABLISHED, ACK it');
        break;
      case 'SYN_SENT>SYN_RECEIVED':
        text('SYN-SENT: a SYN without ACK (simultaneous open) → send SYN,ACK, enter SYN-RECEIVED');
        break;
      case 'ESTABLISHED>FIN_WAIT_1':
        text(cause.kind === 'app' && cause.action.startsWith('shutdown') ? 'CLOSE (shutdown for writing): queue a FIN after the data, enter FIN-WAIT-1; receiving goes on' : 'CLOSE call: send FIN after the data, enter FIN-WAIT-1');
        break;
      case 'ESTABLISHED>LAST_ACK':
        hits.push({ side, cite: 'other', also: ['close-call'], text: 'FIN → CLOSE-WAIT; the application read the end of data and closed at once → FIN, LAST-ACK' });
        break;
      case 'CLOSE_WAIT>LAST_ACK':
        text('CLOSE call in CLOSE-WAIT: send FIN, enter LAST-ACK');
        break;
      case 'ESTABLISHED>CLOSE_WAIT':
        text('eighth, check the FIN bit: ESTABLISHED → CLOSE-WAIT, ACK the FIN, tell the application "end of data"');
        break;
      case 'FIN_WAIT_1>FIN_WAIT_2':
        text('FIN-WAIT-1: our FIN is acknowledged → FIN-WAIT-2');
        break;
      case 'FIN_WAIT_1>CLOSING':
        text('FIN-WAIT-1: the peer\'s FIN before the ACK of ours (simultaneous close) → CLOSING');
        break;
      case 'FIN_WAIT_2>TIME_WAIT':
      case 'FIN_WAIT_1>TIME_WAIT':
      case 'CLOSING>TIME_WAIT':
        hits.push({ side, cite: 'other', also: ['quiet-time'], text: `${stateName(t.from)}: FIN (and our FIN acknowledged) → TIME-WAIT, ACK it, start the 2·MSL timer` });
        break;
      case 'LAST_ACK>none':
        text('LAST-ACK: our FIN is acknowledged → CLOSED, delete the TCB');
        break;
      case 'TIME_WAIT>none':
        text('TIME-WAIT timeout: 2·MSL passed → delete the TCB');
        break;
      case 'SYN_SENT>none':
        if (count(f, side, 'TCPAbortOnTimeout') > 0) hits.push({ side, cite: 'conn-failures', also: ['linux-write-timeout'], text: 'too many SYN retransmissions (tcp_syn_retries): give up, ETIMEDOUT' });
        else if (arrivedWith(f, (s) => s.rst)) hits.push({ side, cite: 'syn-sent', text: 'SYN-SENT: an acceptable RST → CLOSED, "connection refused"' });
        break;
      default:
        if (t.to === undefined && cause.kind === 'app' && cause.action.startsWith('abort')) {
          hits.push({ side, cite: 'abort-call', text: `ABORT call in ${stateName(t.from)}: send <SEQ=SND.NXT><CTL=RST>, delete the TCB` });
        } else if (t.to === undefined && arrivedWith(f, (s) => s.rst)) hits.push({ side, cite: 'other', text: `second, check the RST bit: ${stateName(t.from)} → CLOSED, "connection reset"` });
    }
  }
  return hits;
};

function citeFor(t: Transition, f: StepFacts): CitationId {
  if (t.from === undefined && t.to === 'LISTEN') return 'open-active';
  if (f.step.cause.kind === 'app') return 'close-call';
  if (t.from === 'SYN_SENT') return 'syn-sent';
  if (t.from === 'TIME_WAIT') return 'timeouts';
  return 'other';
}

/** Options offered on a SYN, with the RFC that defines each. */
const synOptions: Rule = (f) => {
  const hits: RuleHit[] = [];
  for (const s of f.sent) {
    if (!s.syn || s.retransmit) continue;
    const o = s.seg.tcp!.options;
    const also: CitationId[] = [];
    const parts: string[] = [];
    if (o.mss !== undefined) parts.push(`MSS ${o.mss} (MTU − 40)`);
    if (o.wscale !== undefined) {
      parts.push(`window scale ${o.wscale}`);
      also.push('wscale');
    }
    if (o.sackPermitted) {
      parts.push('SACK permitted');
      also.push('sack-permitted');
    }
    if (o.ts) {
      parts.push('timestamps');
      also.push('timestamps');
    }
    if (parts.length > 0) hits.push({ side: s.seg.from, cite: 'mss', also, text: `${isSynAck(s) ? 'SYN,ACK' : 'SYN'} offers ${parts.join(', ')}${isSynAck(s) ? ' (only what the SYN offered)' : ''}` });
  }
  return hits;
};

const synCookies: Rule = (f) => {
  const hits: RuleHit[] = [];
  for (const side of ['a', 'b'] as const) {
    if (count(f, side, 'SyncookiesSent') > 0) {
      hits.push({ side, cite: 'syn-cookies', also: ['linux-cookie-init'], text: 'SYN queue full: answer with a SYN cookie (MSS index and time hashed into the ISN) and keep no state' });
    }
  }
  return hits;
};

/** Timers that expired, and what their expiry did. */
const timerExpiry: Rule = (f) => {
  const hits: RuleHit[] = [];
  for (const t of f.fired) {
    const { side } = t;
    const rtx = sentBy(f, side, (s) => s.retransmit);
    const c = f.cwnd.find((x) => x.side === side && x.key === t.key);
    const backoff = c && c.rtoAfter > c.rtoBefore ? `; back off: RTO ${ms(c.rtoBefore)} → ${ms(c.rtoAfter)} (§5.5)` : '';
    if (t.timer === 'retransmit' && rtx) {
      const what = rtx.syn ? (rtx.ack ? 'the SYN,ACK' : 'the SYN') : rtx.fin && !hasData(rtx) ? 'the FIN' : 'the earliest unacknowledged segment';
      hits.push({ side, cite: 'rto-manage', also: ['linux-rtx-timer'], text: `retransmission timer expired: retransmit ${what}${backoff}` });
      if (c && c.cwndAfter < c.cwndBefore) {
        if (c.cc === 'cubic') hits.push({ side, cite: 'cubic-timeout', also: ['ss-ca'], text: `timeout: CUBIC reduces by β_cubic = 0.7: ssthresh ${c.ssthreshAfter} bytes (${(c.ssthreshAfter / Math.max(1, c.cwndBefore)).toFixed(2)} of cwnd before), cwnd = 1 SMSS (loss window), slow start again` });
        else hits.push({ side, cite: 'ss-ca', text: `timeout: ssthresh = max(FlightSize/2, 2·SMSS) = ${c.ssthreshAfter}, cwnd = 1 SMSS (loss window), slow start again` });
      }
    } else if (t.timer === 'lossProbe') {
      hits.push({ side, cite: 'tlp', text: 'probe timeout (≈2·SRTT) with no ACK: send a loss probe — new data, or the last segment again — to get an ACK or SACK before the RTO' });
    } else if (t.timer === 'persist') {
      hits.push({ side, cite: 'zero-window-probe', also: ['linux-probe0'], text: 'persist timer expired with the window still zero: probe with SEQ = SND.UNA−1 so the receiver must answer with its window; the interval backs off' });
    } else if (t.timer === 'delayedAck' && sentBy(f, side, (s) => s.ack)) {
      hits.push({ side, cite: 'delayed-ack', also: ['ack-delay-1122', 'linux-delack'], text: 'delayed-ACK timer expired: send the ACK that was held back' });
    } else if (t.timer === 'retransmit' && !rtx && !f.transitions.some((x) => x.side === side)) {
      hits.push({ side, cite: 'rto-manage', text: 'retransmission timer expired' });
    }
  }
  return hits;
};

/** Retransmissions made because ACKs arrived (not a timer): fast retransmit and SACK recovery. */
const lossRecovery: Rule = (f) => {
  const hits: RuleHit[] = [];
  if (f.fired.length > 0) return hits;
  for (const c of f.cwnd) {
    const rtx = sentBy(f, c.side, (s) => s.retransmit && hasData(s));
    if (c.caBefore !== 'recovery' && c.caAfter === 'recovery') {
      const sack = f.arrived.some((s) => (s.seg.tcp?.options.sack?.length ?? 0) > 0);
      hits.push({
        side: c.side,
        cite: sack ? 'sack-recovery' : 'fast-rtx',
        also: sack ? ['fast-rtx'] : [],
        text: `${sack ? 'SACK blocks show DupThresh segments above a hole' : 'third duplicate ACK'}: the hole is lost → ${rtx ? 'retransmit it at once, ' : ''}enter fast recovery`,
      });
      hits.push(
        c.cc === 'cubic'
          ? { side: c.side, cite: 'cubic-decrease', text: `CUBIC multiplicative decrease, β_cubic = 0.7 (Reno halves): ssthresh ${c.ssthreshAfter} bytes, ${(c.ssthreshAfter / Math.max(1, c.cwndBefore)).toFixed(2)} of cwnd before` }
          : { side: c.side, cite: 'fast-rtx', text: `ssthresh = max(FlightSize/2, 2·SMSS) = ${c.ssthreshAfter} bytes` },
      );
    } else if (c.caBefore === 'recovery' && c.caAfter !== 'recovery') {
      hits.push({ side: c.side, cite: 'newreno', also: ['fast-rtx'], text: `full ACK: everything outstanding at the loss is acknowledged → leave fast recovery, cwnd = ssthresh = ${c.cwndAfter}` });
    } else if (rtx && c.caAfter === 'recovery') {
      hits.push({ side: c.side, cite: 'sack-recovery', text: 'in recovery: retransmit the next hole the scoreboard marks lost' });
    }
  }
  return hits;
};

/** Congestion window growth on ACKs. */
const windowGrowth: Rule = (f) => {
  const hits: RuleHit[] = [];
  if (f.fired.length > 0) return hits;
  for (const c of f.cwnd) {
    if (f.transitions.some((t) => t.side === c.side && t.key === c.key && (t.to === 'ESTABLISHED' || t.to === 'SYN_RECEIVED'))) {
      hits.push({ side: c.side, cite: 'iw', also: ['ss-ca'], text: `MSS known: initial congestion window = 10 segments = ${c.cwndAfter} bytes` });
      continue;
    }
    if (c.cwndAfter <= c.cwndBefore || c.caBefore !== 'open' || c.caAfter !== 'open') continue;
    const seg = (x: number): string => (c.mss > 0 ? `${Math.round((x / c.mss) * 10) / 10} MSS` : `${x} B`);
    if (seg(c.cwndBefore) === seg(c.cwndAfter)) continue;
    if (c.cwndBefore < c.ssthreshBefore) {
      hits.push({ side: c.side, cite: 'ss-ca', text: `slow start (cwnd < ssthresh): cwnd grows by the bytes each ACK acknowledges (at most L·SMSS per ACK, RFC 3465): ${seg(c.cwndBefore)} → ${seg(c.cwndAfter)}` });
    } else if (c.cc === 'cubic') {
      hits.push({ side: c.side, cite: 'cubic-increase', text: `congestion avoidance, CUBIC: cwnd follows W(t) = C·(t−K)³ + W_max, concave up to the window before the last loss, then convex: ${seg(c.cwndBefore)} → ${seg(c.cwndAfter)}` });
    } else {
      hits.push({ side: c.side, cite: 'ss-ca', text: `congestion avoidance: cwnd grows by one SMSS per window acknowledged: ${seg(c.cwndBefore)} → ${seg(c.cwndAfter)}` });
    }
  }
  return hits;
};

/** How the receiver answered arriving data: at once, delayed, duplicate ACK with SACK, zero window. */
const receiverAcks: Rule = (f) => {
  const hits: RuleHit[] = [];
  const side = f.receiver;
  if (!side) return hits;
  const data = f.arrived.filter(hasData);
  if (data.length === 0) return hits;
  const acks = f.sent.filter((s) => s.seg.from === side && s.ack && !s.syn);
  const withSack = acks.filter((s) => (s.seg.tcp?.options.sack?.length ?? 0) > 0 || s.dupAck);
  const before = f.step.before[side]?.find((c) => c.state !== 'LISTEN');
  const after = f.step.after[side]?.find((c) => c.key === before?.key);
  const advanced = before && after ? (((after.rcvNxt - before.rcvNxt) % 2 ** 32) + 2 ** 32) % 2 ** 32 : 0;
  const inOrderBytes = data.reduce((n, s) => n + (s.seg.tcp?.len ?? 0), 0);
  if (withSack.length > 0) {
    const sack = withSack.some((s) => s.seg.tcp?.options.sack?.length);
    hits.push({ side, cite: 'gen-acks', also: sack ? ['sack-receiver'] : [], text: `out-of-order data: ACK at once, repeating RCV.NXT (duplicate ACKs; after the third, Linux folds further ones into one per received batch, tcp_comp_sack_nr)${sack ? '; SACK blocks tell the sender what did arrive' : ''}` });
  }
  if (advanced > inOrderBytes && acks.length > 0) {
    hits.push({ side, cite: 'gen-acks', text: 'the segment fills a hole: ACK at once, covering the data queued out of order' });
  } else if (acks.some((s) => s.windowBytes === 0)) {
    hits.push({ side, cite: 'sws-receiver', text: 'the receive buffer is full and the application is not reading: advertise a zero window' });
  } else if (advanced > 0 && acks.length > withSack.length) {
    const full = data.filter((s) => (s.seg.tcp?.len ?? 0) >= (before?.mss ?? 536)).length;
    if (full >= 2) hits.push({ side, cite: 'gen-acks', text: 'a second full-sized segment arrived: ACK at once (an ACK at least every second full-sized segment)' });
    else hits.push({ side, cite: 'linux-quickack', also: ['gen-acks'], text: 'ACK at once: quick-ACK mode (the first data of a connection, as many segments as half the window holds, at most 16, and data after an idle gap), or the application read a short pushed segment at once (tcp_cleanup_rbuf)' });
  } else if (acks.length === 0 && f.armed.some((t) => t.side === side && t.timer === 'delayedAck')) {
    hits.push({ side, cite: 'delayed-ack', also: ['ack-delay-1122', 'linux-delack'], text: 'data, but not two full segments unacknowledged (nor a window to advance): delay the ACK (less than 500 ms; at least 40 ms in Linux) hoping to piggyback it or cover a second segment' });
  }
  return hits;
};

/** Sending-side decisions: Nagle, the zero window, data released by an ACK. */
const sender: Rule = (f) => {
  const hits: RuleHit[] = [];
  const cause = f.step.cause;
  if (cause.kind === 'app' && cause.action.startsWith('read') && f.sent.some((s) => s.seg.from === cause.side && s.ack && s.windowBytes > 0)) {
    hits.push({ side: cause.side, cite: 'sws-receiver', text: 'the application read: the window reopens by at least an MSS → send a window update' });
  }
  if (cause.kind === 'app' && cause.action.startsWith('write')) {
    const out = f.sent.filter((s) => s.seg.from === cause.side && hasData(s));
    const before = f.step.before[cause.side]?.find((c) => c.state === 'ESTABLISHED');
    const inFlight = before ? before.sndNxt !== before.sndUna : false;
    if (out.length === 0 && inFlight) {
      hits.push({ side: cause.side, cite: 'nagle', also: ['linux-nagle'], text: 'Nagle: less than an MSS to send while data is unacknowledged → hold it until the ACK arrives' });
    } else if (out.length > 0) {
      hits.push({ side: cause.side, cite: 'send-call', also: ['iw'], text: `SEND: ${out.length} segment(s) of at most MSS, as many as min(cwnd, peer window) allows (initial window 10 MSS)` });
    } else if (f.sent.some((s) => s.seg.from === cause.side && s.ack && !s.syn && !s.fin)) {
      hits.push({ side: cause.side, cite: 'sws-receiver', text: 'the application read: the ACK owed (with the reopened window) goes out now' });
    }
  }
  if (cause.kind === 'arrive') {
    const me = cause.side;
    const newData = f.sent.filter((s) => s.seg.from === me && hasData(s) && !s.retransmit);
    const zero = f.arrived.some((s) => s.ack && s.windowBytes === 0);
    const opened = f.arrived.some((s) => s.ack && s.windowBytes > 0) && f.stopped.some((t) => t.side === me && t.timer === 'persist');
    if (f.armed.some((t) => t.side === me && t.timer === 'persist') && zero) {
      hits.push({ side: me, cite: 'zero-window-probe', text: 'the peer\'s window is zero with data waiting: start the persist timer' });
    } else if (opened && newData.length > 0) {
      hits.push({ side: me, cite: 'zero-window-probe', text: 'the window reopened: stop probing, send the waiting data' });
    } else if (newData.length > 0 && newData.every((s) => (s.seg.tcp?.len ?? 0) < 1448) && f.step.before[me]?.some((c) => c.sndNxt !== c.sndUna)) {
      hits.push({ side: me, cite: 'nagle', text: 'everything outstanding is acknowledged: the data Nagle held goes out as one segment' });
    }
  }
  return hits;
};

/** TIME-WAIT answering a retransmitted FIN; RST for a segment to nobody; challenge ACKs. */
const special: Rule = (f) => {
  const hits: RuleHit[] = [];
  const side = f.receiver;
  if (!side) return hits;
  const fin = arrivedWith(f, (s) => s.fin);
  const tw = f.step.before[side]?.find((c) => c.state === 'TIME_WAIT');
  if (fin && tw && sentBy(f, side, (s) => s.ack)) {
    hits.push({ side, cite: 'other', also: ['linux-tw'], text: 'TIME-WAIT: the peer retransmitted its FIN (our ACK was lost): ACK it again and restart the 2·MSL timeout' });
  }
  if (count(f, side, 'dropOutOfWindow') > 0) {
    const syn = f.arrived.some((s) => s.syn);
    hits.push({ side, cite: 'other', text: `first, check the sequence number: the segment is not acceptable (it lies before RCV.NXT${syn ? ': the SYN of a SYN,ACK we already answered' : ''} or beyond the window) → drop it and send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>` });
  }
  if (count(f, side, 'TCPChallengeACK') > 0) {
    const what = arrivedWith(f, (s) => s.syn) ? 'SYN' : arrivedWith(f, (s) => s.rst) ? 'RST not exactly at RCV.NXT' : 'segment';
    hits.push({ side, cite: 'other', also: ['syn-rst-attack'], text: `${what} in window on a synchronized connection → challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT> instead of acting on it` });
  }
  if (f.step.before[side]?.some((c) => c.state === 'SYN_SENT') && arrivedWith(f, (s) => s.ack && !s.syn && !s.rst) && sentBy(f, side, (s) => s.rst)) {
    hits.push({ side, cite: 'syn-sent', text: 'SYN-SENT: an ACK that does not acknowledge our SYN is unacceptable → send <SEQ=SEG.ACK><CTL=RST>, stay in SYN-SENT' });
  }
  const rst = sentBy(f, side, (s) => s.rst);
  if (rst && f.transitions.length === 0 && !f.step.before[side]?.some((c) => c.state !== 'LISTEN' && c.state !== 'TIME_WAIT')) {
    hits.push({ side, cite: 'closed', text: 'a segment for no connection: answer with RST' });
  }
  return hits;
};

/** IPv4 fragmentation on output and reassembly on input. */
const fragments: Rule = (f) => {
  const hits: RuleHit[] = [];
  const frags = f.step.segments.filter((s) => s.ip.mf || s.ip.fragOffset > 0);
  const bySender = new Set(frags.filter((s) => !(f.step.cause.kind === 'arrive' && f.step.cause.segments.includes(s.id))).map((s) => s.from));
  for (const side of bySender) {
    const n = frags.filter((s) => s.from === side).length;
    hits.push({ side, cite: 'ip-fragment', text: `datagram larger than the MTU and DF clear: ${n} fragments, same Identification, offsets in 8-byte units, MF on all but the last` });
  }
  if (f.receiver && (f.counters[f.receiver]['Ip.reasmOks'] ?? 0) > 0) {
    hits.push({ side: f.receiver, cite: 'ip-reassembly', text: 'the last hole is filled: the datagram is reassembled and handed up' });
  }
  return hits;
};

/** The plain ACK processing when nothing more specific applies. */
const plainAck: Rule = (f) => {
  const side = f.receiver;
  if (!side || f.transitions.length > 0) return [];
  const acks = f.arrived.filter((s) => s.ack && !s.syn && !hasData(s) && !s.fin && !s.rst && !s.dupAck);
  const before = f.step.before[side]?.find((c) => c.state !== 'LISTEN');
  const after = f.step.after[side]?.find((c) => c.key === before?.key);
  if (acks.length > 0 && before && after && after.sndUna !== before.sndUna) {
    return [{ side, cite: 'other', text: 'fifth, check the ACK field: SND.UNA advances, acknowledged data leaves the send buffer, RTT sampled' }];
  }
  if (f.arrived.some((s) => s.probe)) {
    return [{ side, cite: 'zero-window-probe', text: 'a window probe (SEQ one below RCV.NXT, unacceptable): answer with an ACK carrying the current window' }];
  }
  if (f.arrived.some((s) => s.ack && s.windowBytes === 0) && before?.timers.persist !== undefined) {
    return [{ side, cite: 'zero-window-probe', text: 'the window is still zero: keep the persist timer running' }];
  }
  const dup = f.arrived.filter((s) => s.dupAck);
  if (dup.length > 0 && before && after && after.caState === before.caState) {
    return [{ side, cite: 'fast-rtx', text: `duplicate ACK (${dup.some((s) => s.seg.tcp?.options.sack) ? 'with SACK' : 'no new data acknowledged'}): counted toward the loss threshold` }];
  }
  return [];
};

const RULES: Rule[] = [transitions, synOptions, synCookies, timerExpiry, lossRecovery, windowGrowth, receiverAcks, sender, special, fragments, ...PMTU_RULES, plainAck];

export function applyRules(f: StepFacts): RuleHit[] {
  const hits = RULES.flatMap((r) => r(f));
  const seen = new Set<string>();
  return hits.filter((h) => {
    const k = `${h.side}|${h.cite}|${h.text}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export { isSynOnly };
