/**
 * Receive side buffering: in-order bytes waiting for the application (the
 * read queue) and out-of-order bytes kept as sorted, non-overlapping ranges
 * (smoltcp's Assembler idea) until the hole before them fills. Payloads are
 * kept as the received subarrays (the link's buffer-lifetime rule allows it).
 * Sequence comparisons go through ../seq.ts.
 */
import { seqAdd, seqGe, seqGt, seqLe, seqLt, seqSub } from '../seq.js';
import type { MemoryAccount } from '../memory.js';

interface Range {
  seq: number;
  data: Buffer;
}

/**
 * Shared by every empty receive buffer (frozen: a push would throw): an idle
 * connection holds no arrays of its own, and a drained read queue lets go of
 * its array (bench/scale.ts).
 */
const NO_BUFFERS: Buffer[] = Object.freeze([]) as unknown as Buffer[];
const NO_RANGES: Range[] = Object.freeze([]) as unknown as Range[];
const NO_SEQS: number[] = Object.freeze([]) as unknown as number[];

export class ReceiveBuffer {
  private queue: Buffer[] = NO_BUFFERS;
  private qHead = 0;
  /** In-order bytes not yet read by the application. */
  queued = 0;
  private ooo: Range[] = NO_RANGES;
  /** Out-of-order bytes held. */
  oooBytes = 0;
  /**
   * A sequence number inside each of the most recently changed out-of-order
   * blocks, most recent first (Linux selective_acks[], at most 4): RFC 2018
   * §4 MUST report the block holding the latest segment first.
   */
  private recent: number[] = NO_SEQS;
  /** RFC 2883 D-SACK block owed in the next ACK: a duplicate segment that arrived. */
  private dsack: [number, number] | undefined;
  /** The layer's tcp_mem account (memory.ts), charged as bytes come and go. */
  account: MemoryAccount | undefined;

  /** Append in-order data to the read queue. */
  pushInOrder(data: Buffer): void {
    if (data.length === 0) return;
    if (this.queue === NO_BUFFERS) this.queue = [];
    this.queue.push(data);
    this.queued += data.length;
    this.account?.charge(data.length);
  }

  read(): Buffer | null {
    if (this.qHead >= this.queue.length) return null;
    const b = this.queue[this.qHead++];
    this.queued -= b.length;
    this.account?.charge(-b.length);
    if (this.qHead === this.queue.length) {
      this.queue = NO_BUFFERS; // drained: release the array
      this.qHead = 0;
    } else if (this.qHead > 64 && this.qHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.qHead);
      this.qHead = 0;
    }
    return b;
  }

  /** Copy up to `max` in-order bytes from the head of the read queue without dequeuing them (MSG_PEEK). */
  peek(max: number): Buffer {
    const parts: Buffer[] = [];
    let got = 0;
    for (let i = this.qHead; i < this.queue.length && got < max; i++) {
      const b = this.queue[i];
      const use = Math.min(b.length, max - got);
      parts.push(use < b.length ? b.subarray(0, use) : b);
      got += use;
    }
    return Buffer.concat(parts, got);
  }

  get hasOutOfOrder(): boolean {
    return this.ooo.length > 0;
  }

  /**
   * Keep data that starts beyond RCV.NXT. Parts already held are not stored
   * twice: the new segment is cut around existing ranges, and the bytes that
   * were already there become the D-SACK block (RFC 2883 §4 case 2; Linux
   * tcp_data_queue_ofo: tcp_dsack_set / tcp_dsack_extend).
   */
  insertOutOfOrder(seq: number, data: Buffer): void {
    let s = seq;
    let d = data;
    let i = 0;
    let dupStart: number | undefined;
    let dupEnd = seq;
    while (d.length > 0) {
      while (i < this.ooo.length && seqLe(seqAdd(this.ooo[i].seq, this.ooo[i].data.length), s)) i++;
      if (i === this.ooo.length) {
        if (this.ooo === NO_RANGES) this.ooo = [];
        this.ooo.push({ seq: s, data: d });
        this.oooBytes += d.length;
        this.account?.charge(d.length);
        break;
      }
      const r = this.ooo[i];
      if (seqLt(s, r.seq)) {
        // Part before range r is new.
        const take = Math.min(d.length, seqSub(r.seq, s));
        this.ooo.splice(i, 0, { seq: s, data: d.subarray(0, take) });
        this.oooBytes += take;
        this.account?.charge(take);
        i++;
        s = seqAdd(s, take);
        d = d.subarray(take);
      } else {
        // Overlaps r: skip what r already holds.
        const skip = Math.min(d.length, seqSub(seqAdd(r.seq, r.data.length), s));
        dupStart ??= s;
        s = seqAdd(s, skip);
        dupEnd = s;
        d = d.subarray(skip);
      }
    }
    if (dupStart !== undefined) this.noteDuplicate(dupStart, dupEnd);
    this.touch(seq);
  }

  /** Linux tcp_sack_new_ofo_skb: the block now holding `seq` moves to the front. */
  private touch(seq: number): void {
    const block = this.blockHolding(seq, this.mergedBlocks());
    this.recent = [seq, ...this.recent.filter((x) => !(block && seqInBlock(x, block)))].slice(0, 4);
  }

  /**
   * RFC 2883 §4: a duplicate segment [start, end) arrived (below RCV.NXT or
   * inside a held block); the next ACK reports it first. Several duplicates
   * before that ACK widen the one block (Linux tcp_dsack_extend).
   */
  noteDuplicate(start: number, end: number): void {
    if (!seqLt(start, end)) return;
    const cur = this.dsack;
    if (cur && seqLe(start, cur[1]) && seqLe(cur[0], end)) {
      this.dsack = [seqLt(start, cur[0]) ? start : cur[0], seqGt(end, cur[1]) ? end : cur[1]];
    } else this.dsack = [start, end];
  }

  /** True if the next ACK carries SACK information (out-of-order data or a D-SACK). */
  get hasSackInfo(): boolean {
    return this.ooo.length > 0 || this.dsack !== undefined;
  }

  /**
   * Move out-of-order ranges that became contiguous with `rcvNxt` to the
   * read queue; returns the new RCV.NXT.
   */
  drain(rcvNxt: number): number {
    let nxt = rcvNxt;
    if (this.ooo.length === 0) return nxt;
    while (this.ooo.length > 0) {
      const r = this.ooo[0];
      if (seqGt(r.seq, nxt)) break;
      this.ooo.shift();
      this.oooBytes -= r.data.length;
      this.account?.charge(-r.data.length);
      const end = seqAdd(r.seq, r.data.length);
      // Held bytes the in-order segment brought again: a D-SACK (Linux tcp_ofo_queue).
      if (seqLt(r.seq, nxt)) this.noteDuplicate(r.seq, seqLt(end, nxt) ? end : nxt);
      if (seqGt(end, nxt)) {
        this.pushInOrder(r.data.subarray(seqSub(nxt, r.seq)));
        nxt = end;
      }
    }
    if (this.ooo.length === 0) this.ooo = NO_RANGES; // the hole is filled: release the array
    return nxt;
  }

  /** Held out-of-order data as merged [start, end) blocks, lowest first. */
  private mergedBlocks(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const r of this.ooo) {
      const end = seqAdd(r.seq, r.data.length);
      const last = out[out.length - 1];
      if (last && seqGe(last[1], r.seq)) last[1] = end;
      else out.push([r.seq, end]);
    }
    return out;
  }

  private blockHolding(seq: number, blocks: Array<[number, number]>): [number, number] | undefined {
    return blocks.find((b) => seqInBlock(seq, b));
  }

  /**
   * The SACK blocks for the next segment, at most `max` (RFC 2018 §4): the
   * D-SACK block first when one is owed and `dsack` allows it (RFC 2883 §4,
   * reported once), then the block holding the most recently received
   * segment, then the other recently changed blocks in recency order, then
   * any remaining ones lowest first (RFC 2018 §4: repeat earlier blocks).
   */
  takeSackBlocks(max: number, dsack: boolean): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    if (this.dsack && dsack) out.push(this.dsack);
    this.dsack = undefined;
    const blocks = this.mergedBlocks();
    const used = new Set<[number, number]>();
    for (const seq of this.recent) {
      const b = this.blockHolding(seq, blocks);
      if (b && !used.has(b)) used.add(b);
    }
    this.recent = this.recent.filter((seq) => this.blockHolding(seq, blocks) !== undefined);
    for (const b of used) if (out.length < max) out.push(b);
    for (const b of blocks) if (out.length < max && !used.has(b)) out.push(b);
    return out;
  }

  clear(): void {
    this.account?.charge(-(this.queued + this.oooBytes));
    this.queue = NO_BUFFERS;
    this.qHead = 0;
    this.queued = 0;
    this.ooo = NO_RANGES;
    this.oooBytes = 0;
    this.recent = NO_SEQS;
    this.dsack = undefined;
  }
}

function seqInBlock(seq: number, b: [number, number]): boolean {
  return seqGe(seq, b[0]) && seqLt(seq, b[1]);
}
