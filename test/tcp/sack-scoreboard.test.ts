import { describe, expect, it } from 'vitest';
import { SackScoreboard } from '../../src/tcp/sack-scoreboard.js';

describe('SACK scoreboard (RFC 2018 §3, RFC 6675 §3)', () => {
  it('merges overlapping and adjacent blocks and drops ones outside (SND.UNA, SND.MAX]', () => {
    const b = new SackScoreboard();
    b.update(
      [
        [300, 400],
        [100, 200],
        [200, 250],
        [50, 90], // at or below SND.UNA=100: ignored
        [900, 1200], // beyond SND.MAX=1000: ignored
      ],
      100,
      1000,
    );
    expect(b.snapshot()).toEqual([
      [100, 250],
      [300, 400],
    ]);
    expect(b.sackedBytes).toBe(250);
  });

  it('answers where SACKed data ends and how far the next hole reaches', () => {
    const b = new SackScoreboard();
    b.update([[300, 400]], 100, 1000);
    expect(b.sackedEnd(350)).toBe(400);
    expect(b.sackedEnd(200)).toBeUndefined();
    expect(b.gapFrom(200)).toBe(100);
    expect(b.gapFrom(400)).toBe(Infinity);
    expect(b.sackedBelow(350)).toBe(50);
  });

  it('forgets cumulatively acknowledged ranges and trims a straddling one', () => {
    const b = new SackScoreboard();
    b.update(
      [
        [200, 300],
        [400, 500],
      ],
      100,
      1000,
    );
    b.advance(450);
    expect(b.snapshot()).toEqual([[450, 500]]);
  });

  it('works across sequence wrap-around', () => {
    const b = new SackScoreboard();
    b.update([[0xfffffff0, 0x10]], 0xffffff00, 0x100);
    expect(b.sackedEnd(0)).toBe(0x10);
    expect(b.sackedBytes).toBe(0x20);
  });
});
