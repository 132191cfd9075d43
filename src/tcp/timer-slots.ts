/**
 * Arming a connection's timer slots and serving its one wake-up. The slot
 * deadlines live on the connection (rtxAt/rtxKind, delackAt, kaAt); the
 * connection keeps at most one clock timer armed for the earliest of them
 * (Connection.schedule). What each expiry does is timers.ts.
 */
import type { Connection } from './connection.js';
import { onDelayedAckTimeout } from './ack-policy.js';
import { finishConnection } from './lifecycle.js';
import { probeTimeout } from './loss-probe.js';
import { sendAck, transmit } from './output.js';
import { pacingDue } from './pacing.js';
import { bump } from './stats.js';
import { onKeepaliveTimeout, onPersistTimeout, onRetransmitTimeout } from './timers.js';

/** RFC 6298 §5.1 (start if not running) / §5.3 (restart). */
export function armRetransmit(c: Connection, restart: boolean): void {
  const now = c.env.clock.now();
  if (c.rtxKind !== 'rtx' || restart) {
    if (c.rtxKind !== 'rtx' && c.tcb.retransmits === 0) c.headSentAt = now;
    c.rtxKind = 'rtx';
    c.rtoAt = now + c.rtt.rto;
    // Linux tcp_clamp_rto_to_user_timeout: fire no later than the user timeout.
    if (c.userTimeout > 0) c.rtoAt = Math.max(now, Math.min(c.rtoAt, c.headSentAt + c.userTimeout));
    c.rtxAt = c.rtoAt;
    c.probeArmed = false;
  }
  // RFC 8985 §7.2: (re)start the tail loss probe after sending; it fires
  // first from the same slot while the RTO deadline keeps running (loss-probe.ts).
  const pto = probeTimeout(c);
  if (now + pto < c.rtoAt) {
    c.probeArmed = true;
    c.rtxAt = now + pto;
  }
  if (c.reoAt < c.rtxAt) c.rtxAt = c.reoAt;
}

/** RFC 9293 §3.8.6.1 persist timer, backing off like the RTO. */
export function armPersist(c: Connection): void {
  if (c.rtxKind === 'persist' || c.rtxKind === 'rtx') return;
  let wait = Math.min(c.env.options.rtoMax, c.rtt.rto * 2 ** c.persistBackoff);
  // Linux tcp_clamp_probe0_to_user_timeout: the next probe no later than the user timeout (at least TCP_TIMEOUT_MIN, 2 ms).
  if (c.userTimeout > 0 && c.probesStartedAt >= 0) {
    wait = Math.min(wait, Math.max(2, c.probesStartedAt + c.userTimeout - c.env.clock.now()));
  }
  c.rtxKind = 'persist';
  c.rtxAt = c.env.clock.now() + wait;
}

/** The wake-up: run every slot whose deadline has passed (delayed ACK, then rtx/persist/FIN_WAIT_2, then keepalive). */
export function fireDueTimers(c: Connection): void {
  const now = c.env.clock.now();
  if (c.delackAt <= now) {
    c.delackAt = Infinity;
    bump(c.env.stats, 'DelayedACKs');
    onDelayedAckTimeout(c);
    if (c.isSynchronized()) sendAck(c);
  }
  if (!c.isClosed && c.rtxAt <= now) {
    const kind = c.rtxKind;
    c.rtxKind = 'none';
    c.rtxAt = Infinity;
    if (kind === 'rtx') onRetransmitTimeout(c, now);
    else if (kind === 'persist') onPersistTimeout(c, now);
    else if (kind === 'finwait2') finishConnection(c, undefined, false);
  }
  if (!c.isClosed && c.kaAt <= now) onKeepaliveTimeout(c, now);
  if (!c.isClosed && pacingDue(c, now)) transmit(c); // pacing.ts
}
