/**
 * Receive side buffering: in-order bytes waiting for the application (the
 * read queue) and out-of-order bytes kept as sorted, non-overlapping ranges
 * (smoltcp's Assembler idea) until the hole before them fills. Payloads are
 * kept as the received subarrays (the link's buffer-lifetime rule allows it).
 * Sequence comparisons go through ../seq.ts.
 */
import { seqAdd, seqGe, seqGt, seqLe, seqLt, seqSub } from '../seq.js';

interface Range {
  seq: number;
  data: Buffer;
}

export class ReceiveBuffer {
  private queue: Buffer[] = [];
  private qHead = 0;
  /** In-order bytes not yet read by the application. */
  queued = 0;
  private ooo: Range[] = [];
  /** Out-of-order bytes held. */
  oooBytes = 0;

  /** Append in-order data to the read queue. */
  pushInOrder(data: Buffer): void {
    if (data.length === 0) return;
    this.queue.push(data);
    this.queued += data.length;
  }

  read(): Buffer | null {
    if (this.qHead >= this.queue.length) return null;
    const b = this.queue[this.qHead++];
    this.queued -= b.length;
    if (this.qHead > 64 && this.qHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.qHead);
      this.qHead = 0;
    }
    return b;
  }

  get hasOutOfOrder(): boolean {
    return this.ooo.length > 0;
  }

  /**
   * Keep data that starts beyond RCV.NXT. Parts already held are not stored
   * twice: the new segment is cut around existing ranges.
   */
  insertOutOfOrder(seq: number, data: Buffer): void {
    let s = seq;
    let d = data;
    let i = 0;
    while (d.length > 0) {
      while (i < this.ooo.length && seqLe(seqAdd(this.ooo[i].seq, this.ooo[i].data.length), s)) i++;
      if (i === this.ooo.length) {
        this.ooo.push({ seq: s, data: d });
        this.oooBytes += d.length;
        return;
      }
      const r = this.ooo[i];
      if (seqLt(s, r.seq)) {
        // Part before range r is new.
        const take = Math.min(d.length, seqSub(r.seq, s));
        this.ooo.splice(i, 0, { seq: s, data: d.subarray(0, take) });
        this.oooBytes += take;
        i++;
        s = seqAdd(s, take);
        d = d.subarray(take);
      } else {
        // Overlaps r: skip what r already holds.
        const skip = Math.min(d.length, seqSub(seqAdd(r.seq, r.data.length), s));
        s = seqAdd(s, skip);
        d = d.subarray(skip);
      }
    }
  }

  /**
   * Move out-of-order ranges that became contiguous with `rcvNxt` to the
   * read queue; returns the new RCV.NXT.
   */
  drain(rcvNxt: number): number {
    let nxt = rcvNxt;
    while (this.ooo.length > 0) {
      const r = this.ooo[0];
      if (seqGt(r.seq, nxt)) break;
      this.ooo.shift();
      this.oooBytes -= r.data.length;
      const end = seqAdd(r.seq, r.data.length);
      if (seqGt(end, nxt)) {
        this.pushInOrder(r.data.subarray(seqSub(nxt, r.seq)));
        nxt = end;
      }
    }
    return nxt;
  }

  /**
   * SACK blocks describing the out-of-order data (RFC 2018 §4), adjacent
   * ranges merged, at most `max`, lowest first.
   */
  sackBlocks(max: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const r of this.ooo) {
      const end = seqAdd(r.seq, r.data.length);
      const last = out[out.length - 1];
      if (last && seqGe(last[1], r.seq)) last[1] = end;
      else {
        if (out.length === max) break;
        out.push([r.seq, end]);
      }
    }
    return out;
  }

  clear(): void {
    this.queue = [];
    this.qHead = 0;
    this.queued = 0;
    this.ooo = [];
    this.oooBytes = 0;
  }
}
