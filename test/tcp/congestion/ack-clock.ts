/**
 * A virtual-time ACK clock for controller tests: a sender that always fills
 * cwnd, one ACK per `perAck` segments spread evenly over each round trip.
 */
import type { AckEvent, CongestionController } from '../../../src/tcp/congestion/types.js';

export const MSS = 1000;

export function ackEvent(over: Partial<AckEvent>): AckEvent {
  return {
    now: 0,
    ackedSegs: 1,
    rtt: undefined,
    minRtt: Infinity,
    srtt: 0,
    priorInFlight: 10,
    cwndLimited: true,
    ack: 0,
    sndMax: 0,
    delivered: 0,
    deliveryRate: undefined,
    appLimited: false,
    mss: MSS,
    ...over,
  };
}

export interface Clock {
  now: number;
  seq: number;
}

/**
 * One round trip: floor(cwnd)/perAck ACKs, each acknowledging `perAck`
 * segments, at evenly spaced times; `rttOf(round)` gives the RTT sample.
 */
export function runRound(cc: CongestionController, clk: Clock, rtt: number, perAck = 1, sampleRtt = rtt): void {
  const n = Math.max(1, Math.floor(Math.floor(cc.cwnd) / perAck));
  const sndMax = clk.seq + Math.floor(cc.cwnd) * MSS;
  for (let i = 0; i < n; i++) {
    clk.now += rtt / n;
    clk.seq += perAck * MSS;
    const e = ackEvent({ now: clk.now, ackedSegs: perAck, rtt: sampleRtt, minRtt: rtt, srtt: rtt, ack: clk.seq, sndMax });
    cc.onAckSample?.(e);
    cc.congAvoid(e);
  }
  clk.seq = sndMax;
}
