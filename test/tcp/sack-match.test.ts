/** SACK blocks count only whole sent segments (RFC 6675 §4; Linux tcp_match_skb_to_sack). */
import { describe, expect, it } from 'vitest';
import { Rack } from '../../src/tcp/rack.js';
import { matchBlockToSegments, matchSackBlocks } from '../../src/tcp/sack-match.js';

const MSS = 1000;

/** Four 1000-byte segments 1:4001 sent at t = 0, or one 4000-byte GSO super-packet. */
function rack(gso = false): Rack {
  const k = new Rack();
  if (gso) k.onSent(1, 4001, 0);
  else for (let i = 0; i < 4; i++) k.onSent(1 + i * MSS, 1 + (i + 1) * MSS, 0);
  return k;
}

describe('matchBlockToSegments', () => {
  it('a block covering only the last byte of a segment SACKs nothing (upstream fr-4pkt-fack-last-byte)', () => {
    expect(matchBlockToSegments([4000, 4001], rack(), MSS)).toBeUndefined();
    expect(matchBlockToSegments([4000, 4001], rack(true), MSS)).toBeUndefined();
  });

  it('a block covering the last whole segment SACKs it, single segments or one GSO skb split at MSS multiples', () => {
    expect(matchBlockToSegments([3001, 4001], rack(), MSS)).toEqual([3001, 4001]);
    expect(matchBlockToSegments([3001, 4001], rack(true), MSS)).toEqual([3001, 4001]);
  });

  it('edges inside segments move inward to whole segments', () => {
    expect(matchBlockToSegments([1500, 3500], rack(), MSS)).toEqual([2001, 3001]);
    expect(matchBlockToSegments([1500, 3500], rack(true), MSS)).toEqual([2001, 3001]);
    expect(matchBlockToSegments([1001, 2500], rack(), MSS)).toEqual([1001, 2001]);
  });

  it('the short tail piece of a GSO skb counts once covered whole', () => {
    const k = new Rack();
    k.onSent(1, 2501, 0); // 2500 bytes: pieces 1:1001, 1001:2001, 2001:2501
    expect(matchBlockToSegments([2001, 2501], k, MSS)).toEqual([2001, 2501]);
    expect(matchBlockToSegments([2100, 2501], k, MSS)).toBeUndefined();
  });

  it('edges where no transmission is on record are taken as given', () => {
    expect(matchBlockToSegments([5000, 5001], rack(), MSS)).toEqual([5000, 5001]);
  });

  it('after an RTO the boundaries still hold, though the send times are void', () => {
    const k = rack();
    k.reset();
    expect(matchBlockToSegments([4000, 4001], k, MSS)).toBeUndefined();
    expect(k.sentAt(1)).toBeUndefined();
    k.delivered(3500, 10); // a stale record is no RACK delivery
    expect(k.xmitTs).toBe(-Infinity);
  });

  it('matchSackBlocks drops blocks that cover no whole segment and keeps the order of the rest', () => {
    expect(matchSackBlocks([[3001, 4001], [4000, 4001], [1001, 2001]], rack(), MSS)).toEqual([[3001, 4001], [1001, 2001]]);
  });
});
