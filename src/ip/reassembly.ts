/**
 * IPv4 fragment reassembly (RFC 791 §3.2 "Reassembly", RFC 815).
 *
 * Datagrams are keyed by (src, dst, protocol, ident) (RFC 791 §2.3). Each
 * pending datagram keeps its received data as sorted, non-overlapping pieces
 * (the complement of RFC 815's hole list). An overlapping fragment only fills
 * the holes it covers: bytes already received win. RFC 791 lets the later copy
 * win; Linux (since the 2018 FragmentSmack fixes) drops the whole queue on
 * overlap. First-wins is the choice of RFC 815-style implementations (BSD
 * trims the new fragment the same way) and keeps reassembly working when a
 * retransmitted duplicate arrives, while never letting a later fragment
 * rewrite bytes already accepted.
 *
 * Fragment bytes are copied once on arrival, so the memory accounted for is
 * the memory held (received batches are not pinned by a stray fragment). Each
 * piece is also charged a fixed overhead so floods of tiny fragments consume
 * budget like Linux's truesize accounting does.
 *
 * Timeout: Linux's net.ipv4.ipfrag_time (30 s); RFC 1122 §3.3.2 leaves it to
 * the implementation. On expiry, if fragment 0 had arrived, the caller is given
 * it to quote in an ICMP time exceeded, code 1 (RFC 792, RFC 1122 §3.3.2).
 */
import type { Clock, Timer } from '../time/clock.js';
import { IPV4_MAX_DATAGRAM, Ipv4Packet } from '../wire/ipv4.js';
import type { IpCounters } from './counters.js';

const PIECE_OVERHEAD = 64;
const IPPROTO_TCP_FRAG = 6;
const TCP_MIN_HEADER = 20;

interface Piece {
  off: number;
  data: Buffer;
}

interface Pending {
  key: string;
  pieces: Piece[];
  /** Bytes charged to the global budget for this datagram. */
  bytes: number;
  /** Distinct payload bytes received. */
  received: number;
  /** Highest end offset seen so far. */
  maxEnd: number;
  /** Payload length, known once the last fragment (MF=0) arrives; -1 before. */
  totalLen: number;
  /** Copy of fragment 0's header (options included). */
  header: Buffer | undefined;
  timer: Timer;
}

export interface ReassemblyOptions {
  clock: Clock;
  timeoutMs: number;
  /** Budget across all pending datagrams; over it, the oldest are dropped. */
  maxBytes: number;
  counters: IpCounters;
  /** Called when a datagram times out, with fragment 0 (header + its data) if it had arrived. */
  onTimeout(firstFragment: Buffer | undefined): void;
}

export class Reassembler {
  /** Insertion order is age order: Map iteration gives the oldest first. */
  private readonly pending = new Map<string, Pending>();
  private totalBytes = 0;

  constructor(private readonly opts: ReassemblyOptions) {}

  /** Bytes currently held by pending reassemblies. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Number of datagrams being reassembled. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Add one fragment. Returns the whole datagram (fresh buffer, header
   * rewritten as unfragmented with a valid checksum) once complete.
   */
  insert(p: Ipv4Packet): Buffer | undefined {
    const c = this.opts.counters;
    const off = p.fragOffset;
    const data = p.payload;
    const end = off + data.length;
    const more = p.moreFrags;
    // Ping of death: a datagram may not extend past 65535 bytes (RFC 791 §3.1).
    if (p.headerLen + end > IPV4_MAX_DATAGRAM) {
      c.reasmTooBig++;
      return undefined;
    }
    // Every fragment but the last carries a non-empty multiple of 8 bytes (RFC 791 §3.2).
    if (more && (data.length === 0 || (data.length & 7) !== 0)) {
      c.badFragment++;
      return undefined;
    }
    // RFC 1858 §3-4: a TCP first fragment too short to hold the TCP header, or
    // a fragment at offset 8 (FO=1), exists only to split or rewrite the
    // header behind a filter's back; no sender with a 68-byte MTU needs either.
    if (p.protocol === IPPROTO_TCP_FRAG && ((off === 0 && more && data.length < TCP_MIN_HEADER) || off === 8)) {
      c.tinyFragment++;
      return undefined;
    }
    c.reasmReqds++;
    const key = `${p.src}:${p.dst}:${p.protocol}:${p.ident}`;
    let e = this.pending.get(key);
    if (!e) e = this.create(key);
    if (!this.checkBounds(e, end, more)) {
      this.fail(e);
      return undefined;
    }
    if (off === 0 && !e.header) {
      e.header = Buffer.from(p.buf.subarray(0, p.headerLen));
      e.bytes += e.header.length;
      this.totalBytes += e.header.length;
    }
    this.addPiece(e, off, data);
    this.enforceBudget();
    if (!this.pending.has(key)) return undefined;
    if (e.header && e.totalLen >= 0 && e.received === e.totalLen) return this.complete(e);
    return undefined;
  }

  private create(key: string): Pending {
    const e: Pending = {
      key,
      pieces: [],
      bytes: 0,
      received: 0,
      maxEnd: 0,
      totalLen: -1,
      header: undefined,
      timer: this.opts.clock.setTimer(this.opts.clock.now() + this.opts.timeoutMs, () => this.expire(key)),
    };
    this.pending.set(key, e);
    return e;
  }

  /** A last fragment fixes the length; nothing may lie beyond it, and it may not change. */
  private checkBounds(e: Pending, end: number, more: boolean): boolean {
    if (!more) {
      if (e.totalLen >= 0 && e.totalLen !== end) return false;
      if (e.maxEnd > end) return false;
      e.totalLen = end;
    } else if (e.totalLen >= 0 && end > e.totalLen) {
      return false;
    }
    if (end > e.maxEnd) e.maxEnd = end;
    return true;
  }

  /** Copy in the parts of [off, off+len) not yet received, keeping pieces sorted. */
  private addPiece(e: Pending, off: number, data: Buffer): void {
    const end = off + data.length;
    const ps = e.pieces;
    let cursor = off;
    let i = 0;
    let overlapped = false;
    while (i < ps.length && ps[i].off + ps[i].data.length <= cursor) i++;
    while (cursor < end) {
      const next = i < ps.length ? ps[i] : undefined;
      if (next && next.off <= cursor) {
        overlapped = true;
        cursor = next.off + next.data.length;
        i++;
        continue;
      }
      const gapEnd = next && next.off < end ? next.off : end;
      if (next && next.off < end) overlapped = true;
      const copy = Buffer.from(data.subarray(cursor - off, gapEnd - off));
      ps.splice(i, 0, { off: cursor, data: copy });
      i++;
      e.received += copy.length;
      e.bytes += copy.length + PIECE_OVERHEAD;
      this.totalBytes += copy.length + PIECE_OVERHEAD;
      cursor = gapEnd;
    }
    if (overlapped) this.opts.counters.reasmOverlaps++;
  }

  private enforceBudget(): void {
    for (const e of this.pending.values()) {
      if (this.totalBytes <= this.opts.maxBytes) break;
      this.remove(e);
      this.opts.counters.reasmEvicted++;
      this.opts.counters.reasmFails++;
    }
  }

  private complete(e: Pending): Buffer | undefined {
    const header = e.header!;
    const hl = header.length;
    this.remove(e);
    if (hl + e.totalLen > IPV4_MAX_DATAGRAM) {
      this.opts.counters.reasmTooBig++;
      this.opts.counters.reasmFails++;
      return undefined;
    }
    const out = Buffer.allocUnsafe(hl + e.totalLen);
    header.copy(out, 0);
    for (const piece of e.pieces) piece.data.copy(out, hl + piece.off);
    const v = Ipv4Packet.over(out);
    v.totalLen = out.length;
    v.setFlagsFrag(v.dontFrag, false, 0);
    v.fillChecksum();
    this.opts.counters.reasmOks++;
    return out;
  }

  private expire(key: string): void {
    const e = this.pending.get(key);
    if (!e) return;
    this.remove(e);
    this.opts.counters.reasmTimeout++;
    this.opts.counters.reasmFails++;
    let first: Buffer | undefined;
    if (e.header) {
      const p0 = e.pieces.length && e.pieces[0].off === 0 ? e.pieces[0].data : Buffer.alloc(0);
      first = Buffer.concat([e.header, p0]);
    }
    this.opts.onTimeout(first);
  }

  private fail(e: Pending): void {
    this.remove(e);
    this.opts.counters.reasmFails++;
  }

  private remove(e: Pending): void {
    e.timer.cancel();
    this.pending.delete(e.key);
    this.totalBytes -= e.bytes;
  }

  /** Drop everything (layer shutdown). */
  clear(): void {
    for (const e of this.pending.values()) this.remove(e);
  }
}
