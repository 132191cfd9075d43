/**
 * The sender's record of what the peer reported holding out of order through
 * SACK blocks (RFC 2018 §3; RFC 6675 §3 scoreboard, reduced to ranges), so
 * retransmission after an RTO skips data the receiver already has, as Linux
 * does (tcp_timeout_mark_lost keeps SACKed segments). RFC 2018 §8 allows the
 * receiver to renege; the connection clears the board on a repeated timeout.
 */
import { seqAdd, seqGe, seqGt, seqLe, seqLt, seqMax, seqMin, seqSub } from './seq.js';

/** Shared by every empty scoreboard (frozen; the ranges are only ever replaced): no array per idle connection. */
const NO_RANGES: Array<[number, number]> = Object.freeze([]) as unknown as Array<[number, number]>;

export class SackScoreboard {
  /** Sorted, disjoint [start, end) ranges above SND.UNA. */
  private ranges: Array<[number, number]> = NO_RANGES;

  get sackedBytes(): number {
    let n = 0;
    for (const [s, e] of this.ranges) n += seqSub(e, s);
    return n;
  }

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  /**
   * Merge SACK blocks, ignoring any not within (SND.UNA, SND.MAX] (RFC 2018 §3,
   * D-SACKs included). Returns how many bytes were SACKed for the first time:
   * RFC 6675 §2 counts an ACK as a duplicate only if it brings new SACK
   * information.
   */
  update(blocks: ReadonlyArray<readonly [number, number]>, sndUna: number, sndMax: number): number {
    let added = 0;
    for (const [l, r] of blocks) {
      if (!seqLt(l, r) || seqLe(r, sndUna) || seqGt(r, sndMax)) continue;
      const before = this.sackedBytes;
      this.add(seqMax(l, sndUna), r);
      added += this.sackedBytes - before;
    }
    return added;
  }

  private add(l: number, r: number): void {
    const out: Array<[number, number]> = [];
    let s = l;
    let e = r;
    let placed = false;
    for (const cur of this.ranges) {
      if (seqLt(cur[1], s)) out.push(cur);
      else if (seqGt(cur[0], e)) {
        if (!placed) {
          out.push([s, e]);
          placed = true;
        }
        out.push(cur);
      } else {
        s = seqMin(s, cur[0]);
        e = seqMax(e, cur[1]);
      }
    }
    if (!placed) out.push([s, e]);
    this.ranges = out;
  }

  /** SND.UNA advanced: forget what is now cumulatively acknowledged. */
  advance(sndUna: number): void {
    while (this.ranges.length > 0 && seqLe(this.ranges[0][1], sndUna)) this.ranges.shift();
    if (this.ranges.length > 0 && seqLt(this.ranges[0][0], sndUna)) this.ranges[0][0] = sndUna;
    else if (this.ranges.length === 0) this.ranges = NO_RANGES; // all acknowledged: release the array
  }

  /** SACKed bytes below `seq`. */
  sackedBelow(seq: number): number {
    let n = 0;
    for (const [s, e] of this.ranges) {
      if (seqGe(s, seq)) break;
      n += seqSub(seqMin(e, seq), s);
    }
    return n;
  }

  /** If `seq` lies in a SACKed range, that range's end; otherwise undefined. */
  sackedEnd(seq: number): number | undefined {
    for (const [s, e] of this.ranges) {
      if (seqGt(s, seq)) return undefined;
      if (seqLt(seq, e)) return e;
    }
    return undefined;
  }

  /** Bytes from `seq` to the next SACKed range (for cutting a retransmission short), or Infinity. */
  gapFrom(seq: number): number {
    for (const [s] of this.ranges) if (seqGe(s, seq)) return seqSub(s, seq);
    return Infinity;
  }

  /**
   * RFC 6675 §4 IsLost, reduced to ranges: the sequence number below which
   * every byte not SACKed is deemed lost — DupThresh discontiguous SACKed
   * ranges, or more than (DupThresh − 1)·SMSS SACKed bytes, lie above it.
   * `floor` (SND.UNA) if nothing is lost.
   */
  lostBoundary(floor: number, mss: number, dupThresh: number): number {
    let above = 0;
    for (let i = this.ranges.length - 1; i >= 0; i--) {
      above += seqSub(this.ranges[i][1], this.ranges[i][0]);
      if (above > (dupThresh - 1) * mss || this.ranges.length - i >= dupThresh) return seqMax(floor, this.ranges[i][0]);
    }
    return floor;
  }

  /** The first byte at or after `seq`, below `limit`, that is not SACKed; undefined if none. */
  nextUnsacked(seq: number, limit: number): number | undefined {
    let s = seq;
    for (const [rs, re] of this.ranges) {
      if (seqLe(re, s)) continue;
      if (seqGt(rs, s)) break;
      s = re;
    }
    return seqLt(s, limit) ? s : undefined;
  }

  /** SACKed bytes within [from, to). */
  sackedWithin(from: number, to: number): number {
    let n = 0;
    for (const [s, e] of this.ranges) {
      const a = seqMax(s, from);
      const b = seqMin(e, to);
      if (seqLt(a, b)) n += seqSub(b, a);
    }
    return n;
  }

  /** End of the highest SACKed range, or undefined if nothing is SACKed. */
  get highestEnd(): number | undefined {
    const n = this.ranges.length;
    return n > 0 ? this.ranges[n - 1][1] : undefined;
  }

  clear(): void {
    this.ranges = NO_RANGES;
  }

  /** Count of ranges (for tests and info). */
  get size(): number {
    return this.ranges.length;
  }

  /** Exposed for tests: the ranges as [start, end) pairs. */
  snapshot(): Array<[number, number]> {
    return this.ranges.map(([s, e]) => [s, seqAdd(e, 0)]);
  }
}
