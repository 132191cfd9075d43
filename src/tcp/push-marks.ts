/**
 * Where Linux puts PSH on data it sends (RFC 9293 §3.9.1 SEND "PUSH flag"
 * leaves it to the implementation): on the skb that ends each write
 * (tcp_push → tcp_mark_push), and, inside a long write, on the skb that
 * takes the written data more than half the peer's largest window past the
 * last push (tcp_sendmsg_locked: forced_push → tcp_mark_push). Both are
 * decided when the application writes, over skbs of size_goal bytes
 * (tcp_xmit_size_goal: whole segments, at most half the peer's window), so
 * they are recorded here at write time as sequence numbers (c.pushEnds);
 * a segment ending at one carries PSH, and so does its retransmission.
 * A write that finds the last skb still unsent appends to it (Linux copies
 * into tcp_write_queue_tail), so that skb's PSH moves to the new end.
 */
import type { Connection } from './connection.js';
import { seqAdd, seqGt, seqSub } from './seq.js';

/**
 * Record the PSH marks of a write of `n` bytes that ended the queue at
 * `queuedEnd` (sequence number past its last byte); `sizeGoal` is the skb
 * size in bytes (whole segments).
 */
export function markWrite(c: Connection, queuedEnd: number, n: number, sizeGoal: number): void {
  const t = c.tcb;
  const ends = c.pushEnds;
  const writeStart = seqSub(queuedEnd, n) >>> 0;
  // The tail skb, if unsent and not full, takes the start of this write (its PSH moves to the new end).
  let skbStart = writeStart;
  if (seqGt(writeStart, t.sndMax) && ends.length > 0 && ends[ends.length - 1] === writeStart) {
    const before = ends.length > 1 && seqGt(ends[ends.length - 2], t.sndMax) ? ends[ends.length - 2] : t.sndMax;
    const inTail = seqSub(writeStart, before) % sizeGoal; // skbs of size_goal since the last skb end known
    if (inTail > 0) {
      ends.pop();
      skbStart = seqSub(writeStart, inTail) >>> 0;
    }
  }
  // Every skb this write fills, but its last, may take a forced push: the first
  // skb end more than half the peer's largest window past pushed_seq, again and again.
  const half = Math.floor(t.maxSndWnd / 2);
  for (let from = skbStart; ; ) {
    const pushAt = seqAdd(c.pushedSeq, half); // an skb end must lie beyond this
    const low = seqGt(pushAt, writeStart) ? pushAt : writeStart;
    const k = seqGt(low, from) ? Math.floor(seqSub(low, from) / sizeGoal) + 1 : 1;
    const skbEnd = seqAdd(from, k * sizeGoal);
    if (!seqGt(queuedEnd, skbEnd)) break;
    mark(c, skbEnd);
    from = skbEnd;
  }
  mark(c, queuedEnd); // tcp_push: the write's tail
}

function mark(c: Connection, end: number): void {
  const ends = c.pushEnds;
  if (ends.length === 0 || seqGt(end, ends[ends.length - 1])) ends.push(end);
  c.pushedSeq = end;
}

/** Index of the first mark above `seq` in the ascending c.pushEnds (binary search: a long transfer keeps many in flight). */
function firstAbove(ends: readonly number[], seq: number): number {
  let lo = 0;
  let hi = ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (seqGt(ends[mid], seq)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The first PSH mark above `seq` (an skb end Linux never sends across), or undefined. */
export function nextMark(c: Connection, seq: number): number | undefined {
  const ends = c.pushEnds;
  const i = firstAbove(ends, seq);
  return i < ends.length ? ends[i] : undefined;
}

/** Whether a segment ending at `end` ends a marked skb. */
export function endsAtMark(c: Connection, end: number): boolean {
  const ends = c.pushEnds;
  const i = firstAbove(ends, (end - 1) >>> 0);
  return i < ends.length && ends[i] === end;
}
