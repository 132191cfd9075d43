/**
 * BBR's pieces driven by hand-made ACK events (src/tcp/congestion/bbr.ts
 * against Linux tcp_bbr.c and lib/win_minmax.c): the bandwidth filter's
 * 10-round window, app-limited samples, packet conservation in recovery
 * and the restore after it, PROBE_RTT's trigger, and the tcp_bbr_info
 * units. The path-level behaviour is in bbr-path.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Bbr, BBR_BW_RTTS, BBR_HIGH_GAIN } from '../../../src/tcp/congestion/bbr.js';
import { WindowedMax } from '../../../src/tcp/congestion/minmax.js';
import { BBR_LT_BW_MAX_RTTS } from '../../../src/tcp/congestion/bbr-lt.js';
import type { RateSample } from '../../../src/tcp/delivery-rate.js';
import { SeededRng } from '../../../src/util/random.js';
import { MSS, ackEvent } from './ack-clock.js';

function sample(over: Partial<RateSample>): RateSample {
  return { delivered: MSS, interval: 10, priorDelivered: 0, isAppLimited: false, isRetrans: false, ackedSacked: MSS, losses: 0, isAckDelayed: false, ...over };
}

/**
 * A window-limited flow: `perRound` segments per `rtt`, one ACK each. The
 * segment an ACK delivers left when the flow had delivered `perRound`
 * segments fewer (its rate snapshot), so a round ends every `perRound` ACKs.
 */
function drive(cc: Bbr, from: { now: number; delivered: number }, rounds: number, perRound: number, rtt: number, lossEvery = 0): void {
  for (let n = 0; n < rounds * perRound; n++) {
    from.now += rtt / perRound;
    from.delivered += MSS;
    const prior = Math.max(0, from.delivered - perRound * MSS);
    const losses = lossEvery > 0 && n % lossEvery === lossEvery - 1 ? MSS : 0;
    const rs = sample({ delivered: from.delivered - prior, interval: rtt, priorDelivered: prior, losses });
    cc.congControl({ ...ackEvent({ now: from.now, rtt, minRtt: rtt, srtt: rtt, delivered: from.delivered, priorInFlight: perRound, inFlight: perRound, caState: 'open' }), rs });
  }
}

describe('BBR model', () => {
  it('windowed max filter: the best sample ages out after the window (lib/win_minmax.c)', () => {
    const f = new WindowedMax();
    f.update(BBR_BW_RTTS, 1, 100);
    for (let t = 2; t <= BBR_BW_RTTS; t++) expect(f.update(BBR_BW_RTTS, t, 50)).toBe(100);
    expect(f.update(BBR_BW_RTTS, BBR_BW_RTTS + 2, 50)).toBe(50);
  });

  it('STARTUP paces at 2/ln2 × the estimate; an app-limited sample below the estimate does not lower it', () => {
    const cc = new Bbr(10, new SeededRng(1));
    const st = { now: 0, delivered: 0 };
    drive(cc, st, 3, 10, 10);
    const bw = cc.btlBw;
    expect(bw).toBeCloseTo((10 * MSS) / 10, 6);
    expect(cc.pacingRate).toBeCloseTo(bw * BBR_HIGH_GAIN * 0.99, 6);
    cc.congControl({ ...ackEvent({ now: st.now + 1, rtt: 10, minRtt: 10, srtt: 10, delivered: st.delivered + MSS, inFlight: 1, caState: 'open' }), rs: sample({ delivered: MSS, interval: 100, priorDelivered: st.delivered, isAppLimited: true }) });
    expect(cc.btlBw).toBe(bw);
  });

  it('recovery: packet conservation for a round (cwnd = in flight + delivered), then the saved cwnd back', () => {
    const cc = new Bbr(10, new SeededRng(1));
    const st = { now: 0, delivered: 0 };
    drive(cc, st, 6, 20, 10);
    const before = cc.cwnd;
    expect(before).toBeGreaterThan(20);
    cc.onCongestion(); // bbr_ssthresh saves cwnd
    st.delivered += MSS;
    cc.congControl({ ...ackEvent({ now: st.now + 1, rtt: 10, minRtt: 10, srtt: 10, delivered: st.delivered, priorInFlight: 12, inFlight: 8, caState: 'recovery' }), rs: sample({ priorDelivered: st.delivered - 20 * MSS, delivered: 20 * MSS }) });
    expect(cc.cwnd).toBe(8 + 1);
    st.delivered += MSS;
    cc.congControl({ ...ackEvent({ now: st.now + 2, rtt: 10, minRtt: 10, srtt: 10, delivered: st.delivered, inFlight: 8, caState: 'open' }), rs: sample({ priorDelivered: st.delivered - 20 * MSS, delivered: 20 * MSS }) });
    expect(cc.cwnd).toBeGreaterThanOrEqual(before);
  });

  it('PROBE_RTT waits while new min RTTs keep arriving, and starts once the estimate is 10 s old', () => {
    const cc = new Bbr(10, new SeededRng(1));
    const st = { now: 0, delivered: 0 };
    let rtt = 10;
    while (st.now < 12_000) {
      drive(cc, st, 1, 10, rtt);
      rtt -= 1e-4; // ever so slightly lower: the filter never expires
    }
    expect(cc.mode).not.toBe('probe_rtt');
    const stamp = cc.minRttStamp;
    while (st.now + 10 <= stamp + 10_000) drive(cc, st, 1, 10, 10);
    expect(cc.mode).not.toBe('probe_rtt');
    drive(cc, st, 1, 10, 10);
    expect(cc.mode).toBe('probe_rtt');
    expect(cc.cwnd).toBe(4);
  });

  it('a delayed-ACK sample cannot refresh an expired min RTT, but may still lower it (bbr_update_min_rtt, is_ack_delayed)', () => {
    const cc = new Bbr(10, new SeededRng(1));
    const st = { now: 0, delivered: 0 };
    drive(cc, st, 4, 10, 10);
    expect(cc.minRtt).toBe(10);
    const ack = (rtt: number, isAckDelayed: boolean): void => {
      st.now += 1000; // chit-chat: one lone runt a second, ACKed alone
      st.delivered += 100;
      const rs = sample({ delivered: 100, interval: rtt, priorDelivered: st.delivered - 100, ackedSacked: 100, isAppLimited: true, isAckDelayed });
      cc.congControl({ ...ackEvent({ now: st.now, rtt, minRtt: 10, srtt: rtt, delivered: st.delivered, priorInFlight: 0.1, inFlight: 0, caState: 'open' }), rs });
    };
    while (st.now < cc.minRttStamp + 10_000) ack(50, true);
    ack(50, true); // the estimate is now 10 s old: a delayed ACK's 40 ms of timer must not become RTprop
    expect(cc.minRtt).toBe(10);
    ack(8, true); // but a lower sample is a lower sample, delayed or not
    expect(cc.minRtt).toBe(8);
    while (st.now < cc.minRttStamp + 10_000) ack(50, true);
    ack(30, false); // an expired estimate takes any undelayed sample
    expect(cc.minRtt).toBe(30);
  });

  it('detects a policer: two 4+-round intervals with ≥ 20 % loss at one rate → that rate at gain 1, for 48 rounds (bbr_lt_bw_sampling)', () => {
    const cc = new Bbr(10, new SeededRng(1));
    const st = { now: 0, delivered: 0 };
    drive(cc, st, 8, 20, 10); // 2 segments per ms, no loss: PROBE_BW at 2000 bytes/ms
    expect(cc.mode).toBe('probe_bw');
    expect(cc.lt.useBw).toBe(false);
    drive(cc, st, 3, 20, 10, 4); // one segment lost per four delivered (25 %)
    expect(cc.lt.useBw).toBe(false); // one interval needs 4 round trips
    let rounds = 3;
    while (!cc.lt.useBw && rounds < 20) {
      drive(cc, st, 1, 20, 10, 4);
      rounds++;
    }
    expect(rounds).toBeLessThanOrEqual(10); // two 4-round intervals (+ the first loss)
    expect(cc.lt.bw).toBeCloseTo(2 * MSS, 0);
    expect(cc.pacingGain).toBe(1);
    expect(cc.info().bbrBw).toBe(Math.round(cc.lt.bw * 1000));
    drive(cc, st, BBR_LT_BW_MAX_RTTS - 2, 20, 10);
    expect(cc.lt.useBw).toBe(true);
    drive(cc, st, 3, 20, 10);
    expect(cc.lt.useBw).toBe(false); // 48 rounds later the gain cycle probes again
  });

  it('reports its model in tcp_bbr_info units: bytes/s, µs, gains × 256', () => {
    const cc = new Bbr(10, new SeededRng(1));
    drive(cc, { now: 0, delivered: 0 }, 2, 10, 10);
    const i = cc.info();
    expect(i.bbrBw).toBe(1_000_000);
    expect(i.bbrMinRtt).toBe(10_000);
    expect(i.bbrPacingGain).toBe(739); // Linux bbr_high_gain = 2885 * 256 / 1000 + 1
    expect(i.bbrCwndGain).toBe(739);
  });
});
