/**
 * Delivery rate estimation (src/tcp/delivery-rate.ts) against
 * draft-cheng-iccrg-delivery-rate-estimation-02 §3 and Linux tcp_rate.c,
 * with hand-driven sends and ACKs in ms: the rate of a paced flow, ACK
 * compression not inflating it (§3.3: max of send and ACK intervals), SACK
 * delivering later data first, app-limited marking (§3.4), and the
 * shorter-than-min-RTT guard.
 */
import { describe, expect, it } from 'vitest';
import { DeliveryRate, type SackedLookup } from '../../src/tcp/delivery-rate.js';

const SEG = 1000;
const noSack: SackedLookup = { sackedEnd: () => undefined };

describe('delivery rate estimation', () => {
  it('measures a flow paced at one segment per ms over a 50 ms RTT as 1000 bytes/ms', () => {
    const r = new DeliveryRate();
    const rates: number[] = [];
    // Send segment i at t = i; its ACK comes back at t = i + 50.
    for (let t = 0; t < 300; t++) {
      if (t >= 50) {
        const rs = r.onAck((t - 50 + 1) * SEG, undefined, noSack, SEG, t, 50);
        if (rs.interval > 0) rates.push(rs.delivered / rs.interval);
      }
      r.onSent(t * SEG, (t + 1) * SEG, t, t < 50 ? t === 0 : false, false);
    }
    // The first round's samples start from the connection's first send; after one RTT, every sample is exact.
    for (const x of rates.slice(60)) expect(x).toBeCloseTo(1000, 6);
    expect(r.delivered).toBe(250 * SEG);
  });

  it('does not let ACK compression inflate the rate: the interval is the longer of the send and ACK phases', () => {
    const r = new DeliveryRate();
    r.onSent(0, SEG, 0, true, false);
    r.onAck(SEG, undefined, noSack, SEG, 50, 50);
    for (let i = 1; i <= 10; i++) r.onSent(i * SEG, (i + 1) * SEG, 50 + i * 10, false, false); // 100 bytes/ms
    // All ten ACKs arrive in one burst 50 ms after the last send.
    const rs = r.onAck(11 * SEG, undefined, noSack, 10 * SEG, 150, 50);
    expect(rs.delivered).toBe(10 * SEG);
    // Sampled from segment 10 (the most recently sent): its send phase runs from segment 0's
    // send (t = 0) to t = 150, longer than the ACK phase 50..150, so the burst reads 10 kB / 150 ms.
    expect(rs.interval).toBe(150);
    expect(rs.delivered / rs.interval).toBeLessThanOrEqual(100);
  });

  it('takes the sample from the most recently sent segment a SACK delivers, and not again when the hole fills', () => {
    const r = new DeliveryRate();
    for (let i = 0; i < 4; i++) r.onSent(i * SEG, (i + 1) * SEG, i, i === 0, false);
    // Segment 0 lost; SACK for segments 1..3 at t = 53.
    const sacked: SackedLookup = { sackedEnd: (s) => (s >= SEG && s < 4 * SEG ? 4 * SEG : undefined) };
    const rs = r.onAck(0, [[SEG, 4 * SEG]], sacked, 3 * SEG, 53, 50);
    expect(rs.delivered).toBe(3 * SEG);
    expect(rs.isRetrans).toBe(false);
    // The retransmission of segment 0 at t = 60 is delivered at t = 110: only it is sampled.
    r.onSent(0, SEG, 60, false, true);
    const rs2 = r.onAck(4 * SEG, undefined, sacked, SEG, 110, 50);
    expect(rs2.isRetrans).toBe(true);
    expect(rs2.priorDelivered).toBe(3 * SEG);
    expect(rs2.delivered).toBe(SEG);
    expect(r.outstanding).toBe(0);
  });

  it('marks samples app-limited until the data in flight when the application ran dry is delivered (§3.4)', () => {
    const r = new DeliveryRate();
    r.onSent(0, SEG, 0, true, false);
    r.onSent(SEG, 2 * SEG, 1, false, false);
    r.markAppLimited(2 * SEG);
    r.onSent(2 * SEG, 3 * SEG, 2, false, false);
    expect(r.onAck(SEG, undefined, noSack, SEG, 50, 50).isAppLimited).toBe(false);
    expect(r.onAck(2 * SEG, undefined, noSack, SEG, 51, 50).isAppLimited).toBe(false);
    expect(r.appLimitedUntil).toBe(2 * SEG);
    const rs = r.onAck(3 * SEG, undefined, noSack, SEG, 52, 50);
    expect(rs.isAppLimited).toBe(true); // sent while app-limited
    expect(r.appLimitedUntil).toBe(0); // delivered passed the mark: the period is over
  });

  it('rejects an interval shorter than the min RTT (Linux tcp_rate_gen)', () => {
    const r = new DeliveryRate();
    r.onSent(0, SEG, 0, true, false);
    const rs = r.onAck(SEG, undefined, noSack, SEG, 5, 20);
    expect(rs.interval).toBe(-1);
    const none = r.onAck(SEG, undefined, noSack, 0, 6, 20);
    expect(none.delivered).toBe(-1);
  });
});
