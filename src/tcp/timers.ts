/**
 * What happens when a connection's timer slots expire: retransmission
 * (RFC 6298 §5, RFC 5681 §3.1), zero-window persist (RFC 9293 §3.8.6.1) and
 * keepalive (RFC 1122 §4.2.3.6). The single wake-up that calls these is
 * timer-slots.ts fireDueTimers.
 */
import type { Connection } from './connection.js';
import { sendProbe, sendRst, sendSyn, transmit } from './output.js';
import { seqAdd } from './seq.js';
import { bump } from './stats.js';
import { probeTimeout, sendLossProbe } from './loss-probe.js';
import { enterLoss, noteLossRetransmit, onReorderTimeout } from './recovery.js';

function giveUp(c: Connection, now: number, limit: number): boolean {
  if (c.userTimeout > 0) return now - c.headSentAt >= c.userTimeout;
  return c.tcb.retransmits >= limit;
}

/** RFC 6298 §5.4–5.7 with go-back-N from SND.UNA and RFC 5681 §3.1 eq. 4. */
export function onRetransmitTimeout(c: Connection, now: number): void {
  if (c.reoAt <= now && onReorderTimeout(c, now)) return;
  // The slot also serves the RACK timer: a wake-up for a reordering deadline that has
  // since moved is no timeout (rtoAt is the RTO's own deadline).
  if (!c.probeArmed && c.rtoAt > now) {
    c.setSlot('rtx', Math.min(c.rtoAt, c.reoAt));
    return;
  }
  if (c.probeArmed) {
    c.probeArmed = false;
    if (probeTimeout(c) !== Infinity) {
      sendLossProbe(c);
      return;
    }
    // Since the probe was armed, duplicate ACKs or SACK blocks arrived: back to the RTO deadline.
    if (c.rtoAt > now) {
      c.setSlot('rtx', c.rtoAt);
      return;
    }
  }
  const t = c.tcb;
  const o = c.env.options;
  // Our SYN still unacknowledged: also FIN-WAIT-1 entered by close() in SYN-RECEIVED.
  const handshake = t.state === 'SYN_SENT' || t.state === 'SYN_RECEIVED' || t.sndUna === t.iss;
  if (giveUp(c, now, handshake ? o.synRetries : o.maxRetries)) {
    bump(c.env.stats, 'TCPAbortOnTimeout');
    // Linux tcp_write_err: the soft error an ICMP left, if any, names the cause.
    c.fail(c.softError ?? 'ETIMEDOUT');
    return;
  }
  const first = t.retransmits === 0;
  t.retransmits++;
  t.totalRetrans++;
  c.rtt.onTimeout();
  c.timing.invalidate();
  if (handshake) {
    bump(c.env.stats, 'TCPSynRetrans');
    bump(c.env.stats, 'RetransSegs');
    // In FIN-WAIT-1 from SYN-RECEIVED the SYN-ACK alone goes again; the FIN
    // waits until the SYN is acknowledged (as Linux, which resends its head skb).
    sendSyn(c);
    c.armRetransmit(true);
    return;
  }
  bump(c.env.stats, 'TCPTimeouts');
  enterLoss(c, first);
  // RFC 2018 §8: the receiver may have reneged; after a second timeout trust no SACK information.
  if (!first) c.sack.clear();
  t.sndNxt = t.sndUna;
  c.armRetransmit(true);
  transmit(c);
  noteLossRetransmit(c);
  // The peer shrank its window to zero under data we had sent, so the
  // go-back-N above sent nothing, and with data outstanding the persist timer
  // is not armed: without a segment here the window update, if lost, is
  // never asked for again and every RTO fires in silence until ETIMEDOUT
  // (found by test/sim/stress-buffers.test.ts, paused reader, "seed 50").
  // Linux (tcp_retransmit_timer, __tcp_retransmit_skb) lets this
  // retransmission serve as the zero-window probe (RFC 9293 §3.8.6.1); ours
  // is the persist timer's <SEQ=SND.UNA-1>, which the peer must ACK.
  if (t.sndNxt === t.sndUna && t.sndMax !== t.sndUna && t.sndWnd === 0) sendProbe(c, seqAdd(t.sndUna, -1));
}

/**
 * Zero-window probe: Linux sends <SEQ=SND.UNA-1> with no data, which forces
 * an ACK carrying the window. Answered probes do not count toward giving up
 * (RFC 1122 §4.2.2.17), but TCP_USER_TIMEOUT bounds the whole episode,
 * answered or not (Linux tcp_probe_timer: icsk_probes_tstamp).
 */
export function onPersistTimeout(c: Connection, now: number): void {
  const t = c.tcb;
  if (t.sndWnd > 0) {
    transmit(c);
    return;
  }
  if (c.probesStartedAt < 0) c.probesStartedAt = now;
  else if (c.userTimeout > 0 && now - c.probesStartedAt >= c.userTimeout) {
    bump(c.env.stats, 'TCPAbortOnTimeout');
    c.fail(c.softError ?? 'ETIMEDOUT');
    return;
  }
  if (c.probesOut >= c.env.options.maxRetries) {
    c.fail('ETIMEDOUT');
    return;
  }
  c.probesOut++;
  c.persistBackoff++;
  sendProbe(c, seqAdd(t.sndUna, -1));
  c.armPersist();
}

/** RFC 1122 §4.2.3.6: probe with SEG.SEQ = SND.NXT-1 (SND.MAX-1 here, see sendAck) after idle, then every interval, then give up. */
export function onKeepaliveTimeout(c: Connection, now: number): void {
  const t = c.tcb;
  c.kaAt = Infinity;
  if (!c.keepAlive || !c.isSynchronized() || t.state === 'SYN_RECEIVED') return;
  if (t.sndMax !== t.sndUna || c.snd.length > 0) {
    c.kaAt = now + c.keepAliveIdle; // data outstanding: the RTO is in charge
    return;
  }
  if (c.kaProbes >= c.keepAliveProbes) {
    // Linux tcp_keepalive_timer: tcp_send_active_reset, then tcp_write_err.
    bump(c.env.stats, 'TCPKeepAliveAbort');
    sendRst(c, t.sndMax, true);
    c.fail(c.softError ?? 'ETIMEDOUT');
    return;
  }
  c.kaProbes++;
  bump(c.env.stats, 'TCPKeepAlive');
  sendProbe(c, seqAdd(t.sndMax, -1));
  c.kaAt = now + c.keepAliveInterval;
}
