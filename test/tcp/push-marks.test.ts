/**
 * PSH marks decided at write time as Linux tcp_sendmsg_locked does
 * (tcp_push on the write's tail, forced_push every half window over skbs
 * of size_goal), kept per skb end.
 */
import { describe, expect, it } from 'vitest';
import { markWrite } from '../../src/tcp/push-marks.js';
import { FakeEnv, PLAIN, established } from './helpers.js';

describe('markWrite (Linux tcp_mark_push / forced_push)', () => {
  function conn(maxSndWnd: number): ReturnType<typeof established>['c'] {
    const { c } = established(new FakeEnv(PLAIN));
    c.tcb.maxSndWnd = maxSndWnd;
    c.pushEnds.length = 0;
    return c;
  }

  it("marks the write's tail, and inside a long write the first skb end past half the peer's window, again and again", () => {
    const c = conn(32896); // half: 16448
    const una = c.tcb.sndUna;
    c.pushedSeq = una;
    markWrite(c, una + 200000, 200000, 2000);
    const rel = c.pushEnds.map((e) => e - una);
    // skbs of 2000 from 0: the first end past 16448 is 18000, then past 34448 is 36000, ...
    expect(rel.slice(0, 3)).toEqual([18000, 36000, 54000]);
    expect(rel[rel.length - 1]).toBe(200000);
    expect(c.pushedSeq).toBe(una + 200000);
  });

  it('a write that finds the tail skb unsent and not full appends to it: the PSH moves to the new end', () => {
    const c = conn(65535);
    const una = c.tcb.sndUna;
    c.tcb.sndMax = una; // nothing sent yet
    markWrite(c, una + 500, 500, 2000);
    expect(c.pushEnds.map((e) => e - una)).toEqual([500]);
    markWrite(c, una + 1000, 500, 2000);
    expect(c.pushEnds.map((e) => e - una)).toEqual([1000]);
  });

  it('a sent tail, or a full one, keeps its PSH and the write starts a new skb', () => {
    const c = conn(65535);
    const una = c.tcb.sndUna;
    markWrite(c, una + 500, 500, 2000);
    c.tcb.sndMax = una + 500; // sent
    markWrite(c, una + 1000, 500, 2000);
    expect(c.pushEnds.map((e) => e - una)).toEqual([500, 1000]);
    c.tcb.sndMax = una + 1000;
    markWrite(c, una + 3000, 2000, 2000); // a full skb
    markWrite(c, una + 3100, 100, 2000);
    expect(c.pushEnds.map((e) => e - una)).toEqual([500, 1000, 3000, 3100]);
  });
});
