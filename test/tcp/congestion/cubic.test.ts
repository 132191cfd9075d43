import { describe, expect, it } from 'vitest';
import { CUBIC_BETA, Cubic, cubicK, wCubic } from '../../../src/tcp/congestion/cubic.js';
import { NewReno } from '../../../src/tcp/congestion/newreno.js';
import { ackEvent, runRound } from './ack-clock.js';

/** A CUBIC flow at `w` segments that just left recovery after one loss (cwnd = ssthresh). */
function afterLoss(w: number): Cubic {
  const cc = new Cubic(10);
  cc.cwnd = w;
  cc.ssthresh = cc.onCongestion(0);
  cc.cwnd = cc.ssthresh;
  return cc;
}

describe('CUBIC (RFC 9438)', () => {
  it('on a loss: ssthresh = β·cwnd, W_max = cwnd (§4.6)', () => {
    const cc = afterLoss(100);
    expect(cc.ssthresh).toBe(Math.floor(100 * CUBIC_BETA));
    expect(cc.wMax).toBe(100);
  });

  it('fast convergence: a second loss below W_max sets W_max = cwnd·(1+β)/2 (§4.7)', () => {
    const cc = afterLoss(100);
    cc.cwnd = 80;
    cc.onCongestion(0);
    expect(cc.wMax).toBeCloseTo((80 * (1 + CUBIC_BETA)) / 2, 9);
  });

  for (const rtt of [100, 200]) {
    it(`after a loss, cwnd tracks W_cubic(t) within one segment through the concave and convex regions (RTT ${rtt} ms, §4.2)`, () => {
      const cc = afterLoss(200);
      const clk = { now: 0, seq: 0 };
      const k = cubicK(200, cc.cwnd);
      let maxErr = 0;
      // The epoch starts at the first ACK of congestion avoidance: measure t from there.
      runRound(cc, clk, rtt);
      const t0 = cc.epochStart;
      while (clk.now - t0 < 2 * k * 1000) {
        runRound(cc, clk, rtt);
        const t = (clk.now - t0) / 1000;
        maxErr = Math.max(maxErr, Math.abs(cc.cwnd - wCubic(t, k, 200)));
      }
      expect(cc.cwnd).toBeGreaterThan(200); // past the plateau: probing (convex)
      expect(maxErr).toBeLessThanOrEqual(1);
    });
  }

  it('in the Reno-friendly region (short RTT, small window) grows at least as fast as AIMD with α_cubic (§4.3)', () => {
    const cc = afterLoss(20);
    const clk = { now: 0, seq: 0 };
    const start = cc.cwnd;
    for (let i = 0; i < 20; i++) runRound(cc, clk, 1);
    // α_cubic = 3(1−β)/(1+β) ≈ 0.53 segments per RTT while below W_max; cubic alone would stay near W_max.
    const alpha = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);
    expect(cc.cwnd).toBeGreaterThanOrEqual(start + 20 * alpha - 1);
  });

  it('does not grow while application-limited (RFC 7661, §5.8)', () => {
    const cc = afterLoss(100);
    const w = cc.cwnd;
    for (let i = 1; i <= 50; i++) cc.congAvoid(ackEvent({ now: i * 10, cwndLimited: false, minRtt: 10, srtt: 10 }));
    expect(cc.cwnd).toBe(w);
  });

  it('an idle period shifts the epoch so the curve does not jump ahead (§5.8, Linux bictcp_cwnd_event)', () => {
    const cc = afterLoss(100);
    cc.congAvoid(ackEvent({ now: 1000, minRtt: 10, srtt: 10 }));
    const start = cc.epochStart;
    cc.onIdleRestart(5000, 3000);
    expect(cc.epochStart).toBe(start + 3000);
  });

  it('after a timeout the next epoch starts at its own cwnd: K = 0, W_max = cwnd (§4.8)', () => {
    const cc = afterLoss(100);
    cc.onRto();
    cc.cwnd = 30;
    cc.ssthresh = 30;
    cc.congAvoid(ackEvent({ now: 10, minRtt: 10, srtt: 10 }));
    expect(cc.k).toBe(0);
    expect(cc.origin).toBeGreaterThanOrEqual(30);
  });
});

describe('slow start with ABC (RFC 3465 L = 2, Linux tcp_slow_start)', () => {
  for (const make of [() => new NewReno(10), () => new Cubic(10)]) {
    it(`${make().name}: with one ACK per two segments cwnd doubles per round trip`, () => {
      const cc = make();
      const clk = { now: 0, seq: 0 };
      const seen = [cc.cwnd];
      for (let i = 0; i < 4; i++) {
        runRound(cc, clk, 50, 2);
        seen.push(cc.cwnd);
      }
      expect(seen).toEqual([10, 20, 40, 80, 160]);
    });
  }

  it('an ACK for many segments (a stretch ACK) grows cwnd by at most L = 2 segments', () => {
    const cc = new NewReno(10);
    cc.congAvoid(ackEvent({ ackedSegs: 8 }));
    expect(cc.cwnd).toBe(12);
  });

  it('stops at ssthresh and continues in congestion avoidance with what is left over', () => {
    const cc = new NewReno(10);
    cc.ssthresh = 11;
    cc.congAvoid(ackEvent({ ackedSegs: 2 }));
    expect(cc.cwnd).toBe(11);
  });
});
