/**
 * Slow start with Appropriate Byte Counting (RFC 5681 §3.1, RFC 3465 §2.2
 * with L = 2 SMSS), counted in acknowledged segments as Linux
 * tcp_slow_start does: with delayed ACKs (one ACK per two segments) cwnd
 * still doubles per round trip. Returns the segments left over once cwnd
 * reached ssthresh, for congestion avoidance to use (Linux does the same).
 */
import type { CongestionController } from './types.js';

/** RFC 3465 §2.2: at most L = 2 SMSS of growth per ACK. */
export const ABC_LIMIT = 2;

export function slowStart(cc: CongestionController, ackedSegs: number, divisor = 1): number {
  const acked = Math.min(ackedSegs, ABC_LIMIT);
  const room = Math.max(0, cc.ssthresh - cc.cwnd);
  const grow = Math.min(acked / divisor, room);
  cc.cwnd += grow;
  return Math.max(0, ackedSegs - grow * divisor);
}

/** In slow start (RFC 5681 §3.1: cwnd < ssthresh). */
export function inSlowStart(cc: CongestionController): boolean {
  return cc.cwnd < cc.ssthresh;
}
