import { describe, expect, it } from 'vitest';
import { NewReno } from '../../../src/tcp/congestion/newreno.js';
import type { CongestionControl } from '../../../src/tcp/congestion/types.js';

const MSS = 1000;

describe('NewReno congestion control (RFC 5681, RFC 6582)', () => {
  it('slow start grows by at most one SMSS per ACK (RFC 5681 §3.1 eq. 2)', () => {
    const cc: CongestionControl = new NewReno(10 * MSS);
    cc.onAck(2 * MSS, MSS, 0);
    expect(cc.window).toBe(11 * MSS);
    cc.onAck(500, MSS, 0);
    expect(cc.window).toBe(11 * MSS + 500);
  });

  it('congestion avoidance grows by one SMSS per window acked (RFC 5681 §3.1)', () => {
    const cc: CongestionControl = new NewReno(10 * MSS);
    cc.onRto(8 * MSS, MSS, true, 0); // ssthresh 4 MSS, cwnd 1 MSS
    expect([cc.ssthresh, cc.window]).toEqual([4 * MSS, MSS]);
    for (let i = 0; i < 3; i++) cc.onAck(MSS, MSS, 0);
    expect(cc.window).toBe(4 * MSS);
    for (let i = 0; i < 3; i++) cc.onAck(MSS, MSS, 0);
    expect(cc.window).toBe(4 * MSS);
    cc.onAck(MSS, MSS, 0);
    expect(cc.window).toBe(5 * MSS);
  });

  it('RTO: ssthresh = max(flight/2, 2 SMSS) once, cwnd = 1 SMSS (RFC 5681 §3.1 eq. 4)', () => {
    const cc: CongestionControl = new NewReno(10 * MSS);
    cc.onRto(3 * MSS, MSS, true, 0);
    expect(cc.ssthresh).toBe(2 * MSS);
    cc.onRto(MSS, MSS, false, 0);
    expect(cc.ssthresh).toBe(2 * MSS);
    expect(cc.window).toBe(MSS);
  });

  it('fast recovery: ssthresh + 3 SMSS, inflate, deflate to ssthresh on the full ACK (RFC 5681 §3.2, RFC 6582 §3.2 option 2, as Linux)', () => {
    const cc: CongestionControl = new NewReno(20 * MSS);
    cc.onLoss(20 * MSS, MSS, 0);
    expect([cc.ssthresh, cc.window]).toEqual([10 * MSS, 13 * MSS]);
    cc.onDupAck(MSS, 0);
    expect(cc.window).toBe(14 * MSS);
    cc.onPartialAck(3 * MSS, MSS, 0);
    expect(cc.window).toBe(12 * MSS);
    // Not min(ssthresh, FlightSize + SMSS): that collapses cwnd when the full ACK covers everything.
    cc.onRecoveryExit(0, MSS, 0);
    expect(cc.window).toBe(10 * MSS);
  });
});
