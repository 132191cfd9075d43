/**
 * The congestion controller interface, modelled on Linux's
 * `tcp_congestion_ops` (ssthresh, cong_avoid, pkts_acked, cwnd_event,
 * undo_cwnd): a controller owns cwnd and ssthresh (and optionally a pacing
 * rate) and sees every ACK; loss detection and recovery accounting (RFC 6675,
 * PRR RFC 6937) live outside it in ../recovery.ts, as in Linux and gVisor.
 *
 * Windows are counted in segments of the connection's MSS, as Linux counts
 * snd_cwnd; cwnd may hold a fraction (RFC 9438 works in real numbers), and
 * the sender uses its integer part.
 */

import type { RateSample } from '../delivery-rate.js';

/** What one ACK told the sender (Linux `struct ack_sample` + `rate_sample`). */
export interface AckEvent {
  now: number;
  /** Segments newly acknowledged cumulatively or by SACK (Linux `acked`). */
  ackedSegs: number;
  /** RTT sample from this ACK, ms, or undefined (Karn / no timestamp). */
  rtt: number | undefined;
  /** Lowest RTT seen on the connection, ms (Infinity before the first sample). */
  minRtt: number;
  /** Smoothed RTT, ms (0 before the first sample). */
  srtt: number;
  /** Segments in flight before this ACK was processed (Linux prior_in_flight). */
  priorInFlight: number;
  /** The window was fully used in the last round (RFC 7661; Linux tcp_is_cwnd_limited). */
  cwndLimited: boolean;
  /** Cumulative ACK point after the ACK, and the highest sequence sent (round tracking). */
  ack: number;
  sndMax: number;
  /** Bytes delivered so far on the connection and the delivery rate sample, bytes/ms (BBR). */
  delivered: number;
  deliveryRate: number | undefined;
  appLimited: boolean;
  mss: number;
  /** For controllers with congControl (BBR): the rate sample, the loss-recovery state after the ACK, and segments in flight after it (Linux tcp_packets_in_flight). */
  rs?: RateSample;
  caState?: 'open' | 'disorder' | 'recovery' | 'loss';
  inFlight?: number;
}

export interface CongestionController {
  readonly name: string;
  /** Congestion window and slow start threshold, segments. */
  cwnd: number;
  ssthresh: number;
  /** Pacing rate, bytes per ms, if the controller paces (BBR); undefined: no pacing. */
  readonly pacingRate?: number;
  /** Linux pkts_acked: every ACK that acknowledged something (RTT samples feed HyStart++). */
  onAckSample?(e: AckEvent): void;
  /**
   * Linux cong_control (tcp_cong_control): a model-based controller sees
   * every ACK, after loss recovery updated its state, with the rate sample;
   * it then owns cwnd outright, in recovery too (no PRR, no congAvoid, no
   * cwnd = ssthresh when recovery ends, as Linux skips them for BBR).
   */
  congControl?(e: AckEvent): void;
  /** While true, the sender marks its delivery-rate samples app-limited (BBR PROBE_RTT sets tp->app_limited). */
  readonly wantsAppLimited?: boolean;
  /** Linux cong_avoid: grow cwnd on an ACK outside loss recovery while cwnd-limited. */
  congAvoid(e: AckEvent): void;
  /** Linux ssthresh(): a congestion event (loss, or an ECN echo: RFC 3168 §6.1.2, CA_EVENT_ECN_IS_CE); returns the new ssthresh. */
  onCongestion(now: number, cause?: 'loss' | 'ecn'): number;
  /** Linux CA_EVENT_LOSS: retransmission timeout (cwnd is set to 1 by the caller). */
  onRto(now: number): void;
  /** Linux CA_EVENT_TX_START: sending resumes after `idleMs` with nothing in flight. */
  onIdleRestart?(now: number, idleMs: number): void;
  /** Linux undo_cwnd: the last reduction was spurious; returns the cwnd to restore. */
  undoCwnd(priorCwnd: number): number;
  /** tcp_info-style fields the controller wants shown (BBR's model). */
  info?(): Record<string, number>;
}

export const INFINITE_SSTHRESH = 0x7fffffff;
