import { describe, expect, it } from 'vitest';
import { Cubic } from '../../../src/tcp/congestion/cubic.js';
import { NewReno } from '../../../src/tcp/congestion/newreno.js';
import { INFINITE_SSTHRESH } from '../../../src/tcp/congestion/types.js';
import { runRound } from './ack-clock.js';

describe('HyStart++ (RFC 9406)', () => {
  for (const make of [() => new Cubic(10), () => new NewReno(10)]) {
    it(`${make().name}: a steady RTT keeps slow start going`, () => {
      const cc = make();
      const clk = { now: 0, seq: 0 };
      for (let i = 0; i < 6; i++) runRound(cc, clk, 40, 2);
      expect(cc.ssthresh).toBe(INFINITE_SSTHRESH);
      expect(cc.cwnd).toBe(640);
    });

    it(`${make().name}: an RTT increase of more than max(4 ms, RTT/8) enters CSS (growth / 4) and, CSS_ROUNDS later, congestion avoidance`, () => {
      const cc = make();
      const clk = { now: 0, seq: 0 };
      runRound(cc, clk, 40, 2);
      runRound(cc, clk, 40, 2);
      expect(cc.cwnd).toBe(40);
      // The queue builds: the RTT samples of this round rise by 10 ms > 40/8.
      runRound(cc, clk, 40, 2, 50);
      expect(cc.cwnd).toBeLessThan(80);
      expect(cc.ssthresh).toBe(INFINITE_SSTHRESH);
      for (let i = 0; i < 5; i++) runRound(cc, clk, 40, 2, 50);
      expect(cc.ssthresh).toBeLessThan(INFINITE_SSTHRESH);
      // Congestion avoidance now: another round adds a segment or two, not a doubling.
      const w = cc.cwnd;
      runRound(cc, clk, 40, 2, 50);
      expect(cc.cwnd - w).toBeLessThan(3);
    });
  }

  it('a delay increase that goes away again resumes slow start', () => {
    const cc = new Cubic(10);
    const clk = { now: 0, seq: 0 };
    runRound(cc, clk, 40, 2);
    runRound(cc, clk, 40, 2);
    runRound(cc, clk, 40, 2, 50);
    expect(cc.hystart.inCss).toBe(true);
    runRound(cc, clk, 40, 2, 40);
    runRound(cc, clk, 40, 2, 40);
    expect(cc.hystart.inCss).toBe(false);
    expect(cc.ssthresh).toBe(INFINITE_SSTHRESH);
  });
});
