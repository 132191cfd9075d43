/**
 * BBR's ACK-aggregation allowance (src/tcp/congestion/bbr-ack-aggr.ts,
 * Linux tcp_bbr.c bbr_update_ack_aggregation / bbr_ack_aggregation_cwnd):
 * the estimator by hand-made ACKs, then a bulk flow in virtual time whose
 * receiver's ACKs leave in bursts every 40 ms (a Wi-Fi-like uplink) on a
 * 10 ms path — with the allowance the flow keeps the link busy through the
 * ACK silences; without it (gain 0) cwnd runs dry and throughput collapses.
 */
import { describe, expect, it } from 'vitest';
import { AckAggregation, BBR_EXTRA_ACKED_MAX_MS, BBR_EXTRA_ACKED_WIN_RTTS } from '../../../src/tcp/congestion/bbr-ack-aggr.js';
import { Bbr } from '../../../src/tcp/congestion/bbr.js';
import { PAYLOAD_RATE, bottleneckPath, type Path } from './bottleneck.js';

const MSS = 1000;
const BIG = 1 << 30;

function bbrOf(p: Path): Bbr {
  const cc = p.sender.cc;
  if (!(cc instanceof Bbr)) throw new Error(`sender runs ${cc.name}, not bbr`);
  return cc;
}

describe('ACK aggregation estimator (bbr_update_ack_aggregation)', () => {
  it('counts data acknowledged beyond bw × epoch length, and starts a new epoch when ACKs fall behind the estimate', () => {
    const a = new AckAggregation();
    const bw = 10; // bytes/ms
    a.update({ now: 0, roundStart: false, bw, ackedSacked: 5000, cwndBytes: BIG, mss: MSS });
    expect(a.extraAcked).toBe(5000); // a burst at the epoch start: all of it is extra
    a.update({ now: 100, roundStart: false, bw, ackedSacked: 1000, cwndBytes: BIG, mss: MSS });
    expect(a.extraAcked).toBe(5000); // 6000 acked, 1000 expected over 100 ms
    a.update({ now: 150, roundStart: false, bw, ackedSacked: 4000, cwndBytes: BIG, mss: MSS });
    expect(a.extraAcked).toBe(8500); // 10000 acked, 1500 expected
    a.update({ now: 2000, roundStart: false, bw, ackedSacked: 1000, cwndBytes: BIG, mss: MSS });
    expect(a.extraAcked).toBe(8500); // 20 000 expected > 10 000 acked: new epoch, the max stays
    a.update({ now: 2001, roundStart: false, bw, ackedSacked: 50_000, cwndBytes: 20_000, mss: MSS });
    expect(a.extraAcked).toBe(20_000); // never more than cwnd
  });

  it('keeps its max over 5 to 10 round trips (two halves of bbr_extra_acked_win_rtts)', () => {
    const a = new AckAggregation();
    a.update({ now: 0, roundStart: false, bw: 10, ackedSacked: 9000, cwndBytes: BIG, mss: MSS });
    let now = 1000;
    const round = (): void => {
      now += 1000; // ACKs at the estimated rate: no extra beyond the new epoch's first ACK
      a.update({ now, roundStart: true, bw: 10, ackedSacked: 1000, cwndBytes: BIG, mss: MSS });
    };
    for (let r = 0; r < BBR_EXTRA_ACKED_WIN_RTTS; r++) round();
    expect(a.extraAcked).toBe(9000); // the other half took over, this one still counts
    for (let r = 0; r < BBR_EXTRA_ACKED_WIN_RTTS - 1; r++) round();
    expect(a.extraAcked).toBe(9000);
    round();
    expect(a.extraAcked).toBe(1000); // 10 rounds on, the burst's half was reset
  });

  it('adds the allowance only once STARTUP filled the pipe, capped at 100 ms of bandwidth', () => {
    const a = new AckAggregation();
    a.update({ now: 0, roundStart: false, bw: 100, ackedSacked: 50_000, cwndBytes: BIG, mss: MSS });
    expect(a.cwndSegments(100, MSS, false)).toBe(0);
    expect(a.cwndSegments(1000, MSS, true)).toBe(50);
    expect(a.cwndSegments(100, MSS, true)).toBe((100 * BBR_EXTRA_ACKED_MAX_MS) / MSS); // 10 000 bytes: 10 segments
    a.gain = 0;
    expect(a.cwndSegments(1000, MSS, true)).toBe(0);
  });
});

/** Goodput over 1–2.5 s as a fraction of the link, and the controller at the end. */
function aggregatedFlow(rtt: number, ackBatchMs: number | undefined, gain: number): { share: number; bbr: Bbr; mss: number } {
  const p = bottleneckPath({ cc: 'bbr', rttMs: rtt, queueBdp: 2, ackBatchMs });
  while (p.step(3 * rtt + (ackBatchMs ?? 0))); // past the handshake: Connection.setMss made the controller
  const bbr = bbrOf(p);
  bbr.aggr.gain = gain;
  while (p.step(1000));
  const rx0 = p.received();
  while (p.step(2500));
  return { share: (p.received() - rx0) / 1500 / PAYLOAD_RATE, bbr, mss: p.sender.tcb.mss };
}

describe('BBR with aggregated ACKs (virtual time)', () => {
  it('raises the cwnd target by the measured extra-acked and keeps the link busy, where without it throughput collapses', () => {
    const rtt = 10;
    const plain = aggregatedFlow(rtt, undefined, 1);
    const on = aggregatedFlow(rtt, 40, 1);
    const off = aggregatedFlow(rtt, 40, 0);
    const mss = on.mss;
    console.log(
      `10 ms path, ACKs every 40 ms: with the allowance ${(on.share * 100).toFixed(1)} % of the link (cwnd ${on.bbr.cwnd}, extra_acked ${Math.round(on.bbr.aggr.extraAcked / mss)} segs), ` +
        `without ${(off.share * 100).toFixed(1)} % (cwnd ${off.bbr.cwnd}); no aggregation ${(plain.share * 100).toFixed(1)} % (cwnd ${plain.bbr.cwnd})`,
    );
    // The allowance is what separates the target from bbr_inflight at the same gain.
    const b = on.bbr;
    const allowance = b.aggr.cwndSegments(b.modelBw, mss, true);
    expect(allowance).toBeGreaterThan(0);
    expect(allowance).toBeLessThanOrEqual((b.modelBw * BBR_EXTRA_ACKED_MAX_MS) / mss);
    expect(b.cwndTarget(b.modelBw, b.cwndGain) - b.inflightTarget(b.modelBw, b.cwndGain)).toBe(allowance);
    expect(b.cwnd).toBeGreaterThan(b.inflightTarget(b.modelBw, b.cwndGain));
    // Without aggregation the allowance stays a couple of segments: cwnd ≈ 2 BDP as before.
    expect(plain.bbr.aggr.cwndSegments(plain.bbr.modelBw, mss, true)).toBeLessThanOrEqual(4);
    expect(plain.share).toBeGreaterThan(0.95);
    expect(on.share).toBeGreaterThan(0.9);
    expect(off.share).toBeLessThan(0.6);
  }, 120_000);
});
