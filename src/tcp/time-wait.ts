/**
 * TIME_WAIT as a compact table of records instead of whole connections
 * (as Linux's inet_timewait_sock): enough to re-ACK a retransmitted FIN and to
 * judge a new SYN. A record lives exactly 2·MSL (RFC 9293 §3.4.2) after the
 * last FIN it acknowledged, on the injected clock.
 */
import type { Clock, Timer } from '../time/clock.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpRepr } from '../wire/tcp.js';
import type { FourTuple, TimeWaitRecord } from './env.js';
import { seqGt } from './seq.js';
import { TupleTable } from './demux.js';
import { bump } from './stats.js';

const EMPTY = Buffer.alloc(0);

interface TwEntry {
  rec: TimeWaitRecord;
  /** Absolute expiry; the armed wake-up re-arms if this moved later. */
  deadline: number;
  timer: Timer | undefined;
}

/** What the table needs from its owner (the layer). */
export interface TimeWaitHost {
  readonly clock: Clock;
  readonly stats: Record<string, number>;
  /** 2·MSL, ms. */
  readonly twDurationMs: number;
  /** RFC 1337 fix on (options.rfc1337, Linux tcp_rfc1337): read per segment, the sysctl is live. */
  readonly rfc1337: boolean;
  sendSegment(seg: TcpRepr, localAddr: number, remoteAddr: number): void;
}

/** Outcome of a segment that hit a TIME_WAIT record. */
export type TimeWaitVerdict = 'done' | 'reopen';

export class TimeWaitTable {
  private readonly table = new TupleTable<TwEntry>();

  constructor(private readonly host: TimeWaitHost) {}

  get size(): number {
    return this.table.size;
  }

  has(t: FourTuple): boolean {
    return this.table.has(t);
  }

  get(localAddr: number, localPort: number, remoteAddr: number, remotePort: number): TimeWaitRecord | undefined {
    return this.table.get(localAddr, localPort, remoteAddr, remotePort)?.rec;
  }

  records(): IterableIterator<TimeWaitRecord> {
    return mapIter(this.table.values(), (e) => e.rec);
  }

  /** Each record with its 2·MSL deadline (for observers: stat -i, explain). */
  entries(): IterableIterator<{ rec: TimeWaitRecord; deadline: number }> {
    return mapIter(this.table.values(), (e) => ({ rec: e.rec, deadline: e.deadline }));
  }

  /** Take over a connection entering TIME_WAIT (it replaces any older record for the tuple). */
  add(rec: TimeWaitRecord): void {
    const old = this.table.getTuple(rec);
    old?.timer?.cancel();
    const e: TwEntry = { rec: { ...rec }, deadline: 0, timer: undefined };
    this.table.set(rec, e);
    bump(this.host.stats, 'TW');
    this.restart(e);
  }

  /** Forget a record early (reopened by a new SYN, or the layer is shutting down). */
  remove(t: FourTuple): void {
    const e = this.table.getTuple(t);
    if (!e) return;
    e.timer?.cancel();
    this.table.delete(t);
  }

  /**
   * RFC 9293 §3.10.7.4 for the TIME-WAIT state, on a segment for `rec`'s tuple:
   *  - RST: ignored (RFC 1337 "TIME-WAIT assassination" fix) while
   *    options.rfc1337; with it off, as Linux's default tcp_rfc1337 = 0
   *    (tcp_timewait_state_process), the RST kills the record.
   *  - SYN with a sequence number above RCV.NXT (or a newer timestamp): the
   *    tuple may be reused as Linux does (RFC 6191 / RFC 1122 §4.2.2.13) →
   *    'reopen', the record is gone and the caller hands the SYN to the
   *    listener. Any other SYN gets an ACK (RFC 5961 §4 style, as Linux).
   *  - FIN (a retransmission: our ACK was lost): ACK it and restart 2·MSL.
   *  - anything else unacceptable or carrying data: ACK; a plain in-order ACK: nothing.
   */
  input(localAddr: number, remoteAddr: number, seg: TcpRepr): TimeWaitVerdict {
    const e = this.table.get(localAddr, seg.dstPort, remoteAddr, seg.srcPort);
    if (!e) return 'reopen';
    const rec = e.rec;
    if (seg.flags & TCP_RST) {
      if (this.host.rfc1337) bump(this.host.stats, 'dropTimeWaitRst');
      else {
        bump(this.host.stats, 'TWKilledByRst');
        this.remove(rec);
      }
      return 'done';
    }
    if (seg.flags & TCP_SYN) {
      if (!(seg.flags & TCP_ACK) && this.mayReopen(rec, seg)) {
        this.remove(rec);
        bump(this.host.stats, 'TCPTimeWaitReuse');
        return 'reopen';
      }
      this.sendAck(rec);
      return 'done';
    }
    if (seg.options.timestamp && rec.tsRecent !== undefined && seqGt(seg.options.timestamp.val, rec.tsRecent)) {
      rec.tsRecent = seg.options.timestamp.val;
    }
    if (seg.flags & TCP_FIN) {
      this.sendAck(rec);
      this.restart(e);
      return 'done';
    }
    if (seg.payload.length > 0 || seg.seq !== rec.rcvNxt) this.sendAck(rec);
    return 'done';
  }

  /** RFC 6191 §2 / Linux tcp_timewait_state_process: newer timestamp, or (without timestamps) a higher ISN. */
  private mayReopen(rec: TimeWaitRecord, seg: TcpRepr): boolean {
    const ts = seg.options.timestamp;
    if (rec.tsRecent !== undefined && ts) return seqGt(ts.val, rec.tsRecent);
    return seqGt(seg.seq, rec.rcvNxt);
  }

  private sendAck(rec: TimeWaitRecord): void {
    const options =
      rec.tsRecent !== undefined
        ? { timestamp: { val: (this.host.clock.now() + (rec.tsOffset ?? 0)) >>> 0, ecr: rec.tsRecent } }
        : {};
    this.host.sendSegment(
      {
        srcPort: rec.localPort,
        dstPort: rec.remotePort,
        seq: rec.sndNxt,
        ack: rec.rcvNxt,
        flags: TCP_ACK,
        window: rec.window,
        urgent: 0,
        options,
        payload: EMPTY,
      },
      rec.localAddr,
      rec.remoteAddr,
    );
  }

  /** (Re)start the 2·MSL timer. Only the first arming sets a clock timer; a later deadline re-arms on wake-up. */
  private restart(e: TwEntry): void {
    e.deadline = this.host.clock.now() + this.host.twDurationMs;
    if (!e.timer) e.timer = this.host.clock.setTimer(e.deadline, () => this.wake(e));
  }

  private wake(e: TwEntry): void {
    e.timer = undefined;
    if (this.table.getTuple(e.rec) !== e) return;
    if (this.host.clock.now() < e.deadline) {
      e.timer = this.host.clock.setTimer(e.deadline, () => this.wake(e));
      return;
    }
    this.table.delete(e.rec, e);
  }
}

function* mapIter<A, B>(it: Iterable<A>, f: (a: A) => B): IterableIterator<B> {
  for (const a of it) yield f(a);
}
