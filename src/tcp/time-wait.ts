/**
 * TIME_WAIT as a compact table of records instead of whole connections
 * (as Linux's inet_timewait_sock): enough to re-ACK a retransmitted FIN and to
 * judge a new SYN. A record lives exactly 2·MSL (RFC 9293 §3.4.2) after the
 * last FIN it acknowledged, on the injected clock.
 *
 * Compact because a busy server holds tens of thousands of them: each record
 * is a row of a shared Uint32Array slab (tuple, SND.NXT, RCV.NXT, window,
 * timestamps) plus its deadline in a Float64Array; the demux table maps the
 * tuple to the row number. Every record lasts the same 2·MSL, so expiry is a
 * FIFO of row numbers behind one clock wake-up for the whole table (a
 * restarted record is queued again; a stale queue entry is skipped). No
 * object and no timer per record (bench:scale measures the bytes).
 */
import type { Clock, Timer } from '../time/clock.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpRepr } from '../wire/tcp.js';
import type { FourTuple, TimeWaitRecord } from './env.js';
import { seqGt } from './seq.js';
import { TupleTable } from './demux.js';
import { bump } from './stats.js';

const EMPTY = Buffer.alloc(0);

// Row layout in the slab (u32 each).
const LADDR = 0;
const RADDR = 1;
const PORTS = 2; // localPort << 16 | remotePort
const SND_NXT = 3;
const RCV_NXT = 4;
const WINDOW = 5;
const TS_RECENT = 6;
const TS_OFFSET = 7;
const FLAGS = 8; // bit 0: live, bit 1: timestamps in use
const ROW = 9;
const LIVE = 1;
const HAS_TS = 2;

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
  private readonly index = new TupleTable<number>();
  private slab = new Uint32Array(ROW * 64);
  private deadlines = new Float64Array(64);
  private readonly free: number[] = [];
  private rows = 0;
  /** Rows in expiry order (may hold stale entries for restarted or freed rows). */
  private fifo: number[] = [];
  /** Deadline each FIFO entry had when queued (non-decreasing). */
  private fifoAt: number[] = [];
  private fifoHead = 0;
  private timer: Timer | undefined;
  private timerAt = Infinity;

  constructor(private readonly host: TimeWaitHost) {}

  get size(): number {
    return this.index.size;
  }

  has(t: FourTuple): boolean {
    return this.index.has(t);
  }

  /** Is there a record for this tuple? (allocation-free, for the receive path) */
  contains(localAddr: number, localPort: number, remoteAddr: number, remotePort: number): boolean {
    return this.index.get(localAddr, localPort, remoteAddr, remotePort) !== undefined;
  }

  get(localAddr: number, localPort: number, remoteAddr: number, remotePort: number): TimeWaitRecord | undefined {
    const row = this.index.get(localAddr, localPort, remoteAddr, remotePort);
    return row === undefined ? undefined : this.record(row);
  }

  *records(): IterableIterator<TimeWaitRecord> {
    for (const row of this.index.values()) yield this.record(row);
  }

  /** Each record with its 2·MSL deadline (for observers: stat -i, explain). */
  *entries(): IterableIterator<{ rec: TimeWaitRecord; deadline: number }> {
    for (const row of this.index.values()) yield { rec: this.record(row), deadline: this.deadlines[row] };
  }

  /** Take over a connection entering TIME_WAIT (it replaces any older record for the tuple). */
  add(rec: TimeWaitRecord): void {
    let row = this.index.getTuple(rec);
    if (row === undefined) {
      row = this.allocRow();
      this.index.set(rec, row);
    }
    const s = this.slab;
    const o = row * ROW;
    s[o + LADDR] = rec.localAddr;
    s[o + RADDR] = rec.remoteAddr;
    s[o + PORTS] = ((rec.localPort << 16) | rec.remotePort) >>> 0;
    s[o + SND_NXT] = rec.sndNxt;
    s[o + RCV_NXT] = rec.rcvNxt;
    s[o + WINDOW] = rec.window;
    s[o + TS_RECENT] = rec.tsRecent ?? 0;
    s[o + TS_OFFSET] = rec.tsOffset ?? 0;
    s[o + FLAGS] = LIVE | (rec.tsRecent !== undefined ? HAS_TS : 0);
    bump(this.host.stats, 'TW');
    this.restart(row);
  }

  /** Forget a record early (reopened by a new SYN, or the layer is shutting down). */
  remove(t: FourTuple): void {
    const row = this.index.getTuple(t);
    if (row === undefined) return;
    this.index.delete(t);
    this.freeRow(row);
  }

  private record(row: number): TimeWaitRecord {
    const s = this.slab;
    const o = row * ROW;
    const rec: TimeWaitRecord = {
      localAddr: s[o + LADDR],
      localPort: s[o + PORTS] >>> 16,
      remoteAddr: s[o + RADDR],
      remotePort: s[o + PORTS] & 0xffff,
      sndNxt: s[o + SND_NXT],
      rcvNxt: s[o + RCV_NXT],
      window: s[o + WINDOW],
    };
    if (s[o + FLAGS] & HAS_TS) {
      rec.tsRecent = s[o + TS_RECENT];
      rec.tsOffset = s[o + TS_OFFSET];
    }
    return rec;
  }

  private allocRow(): number {
    const r = this.free.pop();
    if (r !== undefined) return r;
    if (this.rows === this.deadlines.length) {
      const slab = new Uint32Array(this.slab.length * 2);
      slab.set(this.slab);
      this.slab = slab;
      const d = new Float64Array(this.deadlines.length * 2);
      d.set(this.deadlines);
      this.deadlines = d;
    }
    return this.rows++;
  }

  private freeRow(row: number): void {
    this.slab[row * ROW + FLAGS] = 0;
    this.free.push(row);
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
    const row = this.index.get(localAddr, seg.dstPort, remoteAddr, seg.srcPort);
    if (row === undefined) return 'reopen';
    const rec = this.record(row);
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
      this.slab[row * ROW + TS_RECENT] = rec.tsRecent;
    }
    if (seg.flags & TCP_FIN) {
      this.sendAck(rec);
      this.restart(row);
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

  /** (Re)start a record's 2·MSL: queue it (again) at the FIFO's tail and make sure the table's one wake-up is armed. */
  private restart(row: number): void {
    const at = this.host.clock.now() + this.host.twDurationMs;
    this.deadlines[row] = at;
    this.fifo.push(row);
    this.fifoAt.push(at);
    this.arm(at);
  }

  private arm(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.host.clock.setTimer(at, this.wake);
  }

  /** Expire every due record at the FIFO's head; skip entries of restarted or freed rows. */
  private readonly wake = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.host.clock.now();
    const q = this.fifo;
    while (this.fifoHead < q.length) {
      const due = this.fifoAt[this.fifoHead];
      if (due > now) {
        this.arm(due);
        break;
      }
      const row = q[this.fifoHead++];
      const o = row * ROW;
      // A freed row, or one restarted since this entry was queued (its later entry decides).
      if ((this.slab[o + FLAGS] & LIVE) === 0 || this.deadlines[row] > now) continue;
      const s = this.slab;
      const ports = s[o + PORTS];
      this.index.remove(s[o + LADDR], ports >>> 16, s[o + RADDR], ports & 0xffff);
      this.freeRow(row);
    }
    if (this.fifoHead > 1024 && this.fifoHead * 2 > q.length) {
      this.fifo = q.slice(this.fifoHead);
      this.fifoAt = this.fifoAt.slice(this.fifoHead);
      this.fifoHead = 0;
    }
  };
}

