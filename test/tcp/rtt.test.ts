import { describe, expect, it } from 'vitest';
import { RttEstimator, RttTiming } from '../../src/tcp/rtt.js';

// Expected values are what Linux tcp_rtt_estimator + __tcp_set_rto compute
// (integer µs, srtt_us = 8·SRTT, mdev_us = rttvar_us = 4·variation, rttvar
// floored at tcp_rto_min = 200 ms), worked by hand from the kernel code.
describe('RTO estimator (RFC 6298 §2 as Linux tcp_rtt_estimator)', () => {
  it('starts at the initial RTO (§2.1); first sample R: SRTT R, RTTVAR R/2, RTO R + max(2R, 200)', () => {
    const e = new RttEstimator(200, 120_000, 1000);
    expect(e.rto).toBe(1000);
    e.sample(100, 1, 1001);
    expect(e.srtt).toBe(100);
    expect(e.rttvar).toBe(50);
    expect(e.rto).toBe(300); // 100 + max(200, 200)
    const short = new RttEstimator(200, 120_000, 1000);
    short.sample(10, 1, 11);
    expect(short.rto).toBe(210); // RFC 6298 would round 30 up to 200; Linux keeps SRTT + 200
    const long = new RttEstimator(200, 120_000, 1000);
    long.sample(300, 1, 11);
    expect(long.rto).toBe(900); // "make sure rto = 3*rtt"
  });

  it('keeps RTO at SRTT + 200 ms on a steady path: 100 ms RTT gives 300 ms (RFC 6298 alone: 200 ms)', () => {
    const e = new RttEstimator(200, 120_000, 1000);
    for (let i = 1; i <= 200; i++) e.sample(100, i * 10, i * 10 + 10);
    expect(e.srtt).toBe(100);
    expect(e.rttvar).toBe(0); // mdev decays to zero...
    expect(e.rto).toBe(300); // ...but the variation term stays at tcp_rto_min
  });

  it('smooths a larger sample with alpha 1/8, beta 1/4 (§2.3)', () => {
    const e = new RttEstimator(200, 120_000, 1000);
    e.sample(100, 1, 101);
    e.sample(200, 102, 201);
    expect(e.srtt).toBe(112.5); // 7/8·100 + 1/8·200
    expect(e.rttvar).toBe(62.5); // 3/4·50 + 1/4·100
    expect(e.rto).toBe(363); // 112.5 + 4·62.5, rounded up to whole ms (jiffies)
  });

  it('lets a smaller sample move mdev with gain 1/32 (Linux, Eifel-like)', () => {
    const e = new RttEstimator(200, 120_000, 1000);
    e.sample(100, 1, 101);
    e.sample(20, 102, 201);
    expect(e.srtt).toBe(90); // 7/8·100 + 1/8·20
    // |error| 80 ms minus mdev 50 ms = 30 ms, times 1/8: 4·mdev grows by 3.75 ms
    expect(e.rttvar).toBe(50.937); // (200 + 3.75) ms / 4, truncated to µs as mdev_us >> 2
  });

  it('decays the variation term only once per window of data (rtt_seq)', () => {
    const e = new RttEstimator(200, 120_000, 1000);
    e.sample(100, 1, 101);
    e.sample(400, 102, 201); // spike: 4·mdev = 200 + (300 - 50) = 450 ms
    expect(e.rto).toBe(588); // 137.5 + 450, rounded up
    // Two samples in the same window (SND.UNA not past 201): no decay of rttvar.
    e.sample(137, 150, 300);
    e.sample(137, 190, 300);
    expect(e.rto).toBe(Math.ceil(e.srtt + 450));
    // Past the window: rttvar falls a quarter of the way to the window's largest mdev.
    e.sample(137, 202, 400);
    expect(e.rto - e.srtt).toBeLessThan(450);
    expect(e.rto - e.srtt).toBeGreaterThan(300);
  });

  it('doubles on timeout up to rtoMax (§5.5, §2.5) and never goes below rtoMin', () => {
    const e = new RttEstimator(200, 1000, 1000);
    e.sample(1, 1, 2);
    expect(e.rto).toBe(201);
    e.onTimeout();
    expect(e.rto).toBe(402);
    e.onTimeout();
    e.onTimeout();
    expect(e.rto).toBe(1000);
    e.resetBackoff();
    expect(e.rto).toBe(201);
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
