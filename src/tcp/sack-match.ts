/**
 * Which bytes of a SACK block count as SACKed on the sender (RFC 2018 §4,
 * RFC 6675 §4 "a segment is SACKed ... if it is fully covered"): only whole
 * segments as they were sent. Linux tcp_match_skb_to_sack / tcp_sacktag_walk
 * mark an skb SACKed only when a block covers all of it, and split a
 * multi-MSS (TSO) skb only at MSS multiples from its start (tcp_fragment),
 * so a block that covers part of a segment — the last byte, say — SACKs
 * nothing of it. A block edge inside a sent segment therefore moves to that
 * segment's edge: its start up to the next MSS piece, its end down to the
 * piece it falls in. Where no original transmission is on record (after an
 * RTO, rack.ts reset()), the edge is taken as given.
 */
import type { Rack } from './rack.js';
import { seqAdd, seqLt, seqMin, seqSub } from './seq.js';

type Block = readonly [number, number];

/** The block's edges moved to whole MSS pieces of the segments they fall in; undefined if nothing is left. */
export function matchBlockToSegments(block: Block, rack: Rack, mss: number): Block | undefined {
  const [l, r] = block;
  if (!seqLt(l, r) || mss <= 0) return undefined;
  let start = l;
  const first = rack.segmentAt(l);
  if (first && first[0] !== l) {
    // Round up: the piece holding `l` is only partly covered.
    const pieces = Math.ceil(seqSub(l, first[0]) / mss);
    start = seqMin(seqAdd(first[0], pieces * mss), first[1]);
  }
  let end = r;
  const last = rack.segmentAt((r - 1) >>> 0);
  if (last && last[1] !== r) {
    // Round down to the start of the piece holding r − 1 (its tail is not covered).
    end = seqAdd(last[0], Math.floor(seqSub(r, last[0]) / mss) * mss);
  }
  return seqLt(start, end) ? [start, end] : undefined;
}

/** Every block matched to segments (RFC 2018 §4 order kept; a block that covers no whole segment is dropped). */
export function matchSackBlocks(blocks: ReadonlyArray<Block>, rack: Rack, mss: number): Block[] {
  const out: Block[] = [];
  for (const b of blocks) {
    const m = matchBlockToSegments(b, rack, mss);
    if (m) out.push(m);
  }
  return out;
}
