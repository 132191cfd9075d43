import { describe, expect, it } from 'vitest';
import { RttEstimator, RttTiming } from '../../src/tcp/rtt.js';

describe('RFC 6298 estimator', () => {
  it('starts at the initial RTO (§2.1) and takes the first sample as SRTT=R, RTTVAR=R/2 (§2.2)', () => {
    const e = new RttEstimator(200, 120_000, 1000);
    expect(e.rto).toBe(1000);
    e.sample(100);
    expect(e.srtt).toBe(100);
    expect(e.rttvar).toBe(50);
    expect(e.rto).toBe(300); // 100 + 4*50
  });

  it('smooths later samples with alpha 1/8, beta 1/4 (§2.3)', () => {
    const e = new RttEstimator(1, 120_000, 1000);
    e.sample(100);
    e.sample(200);
    expect(e.rttvar).toBeCloseTo(0.75 * 50 + 0.25 * 100);
    expect(e.srtt).toBeCloseTo(0.875 * 100 + 0.125 * 200);
    expect(e.rto).toBeCloseTo(e.srtt + 4 * e.rttvar);
  });

  it('rounds up to rtoMin (§2.4) and doubles on timeout up to rtoMax (§5.5, §2.5)', () => {
    const e = new RttEstimator(200, 1000, 1000);
    e.sample(10);
    expect(e.rto).toBe(200);
    e.onTimeout();
    expect(e.rto).toBe(400);
    e.onTimeout();
    e.onTimeout();
    expect(e.rto).toBe(1000);
    e.resetBackoff();
    expect(e.rto).toBe(200);
  });
});

describe("Karn's algorithm (RFC 6298 §3)", () => {
  it('samples the timed segment when covered, once', () => {
    const k = new RttTiming();
    k.start(100, 0);
    k.start(200, 5); // already timing: ignored
    expect(k.onAck((s) => s <= 50, 10)).toBeUndefined();
    expect(k.onAck((s) => s <= 150, 30)).toBe(30);
    expect(k.onAck((s) => s <= 150, 40)).toBeUndefined();
  });

  it('discards the measurement after a retransmission', () => {
    const k = new RttTiming();
    k.start(100, 0);
    k.invalidate();
    expect(k.onAck(() => true, 30)).toBeUndefined();
  });
});
