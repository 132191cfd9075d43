/**
 * The ACK step's effects once an ACK is known acceptable (RFC 9293
 * §3.10.7.4 fifth): advancing SND.UNA with RTT sampling (RFC 6298, RFC 7323
 * §4), congestion and loss-recovery updates (RFC 5681, RFC 6582), and the
 * state changes caused by our FIN being acknowledged.
 */
import type { TcpRepr } from '../wire/tcp.js';
import type { Connection } from './connection.js';
import { seqGt, seqLe, seqLt, seqSub } from './seq.js';

/**
 * Delivery rate for `stat -i`: bytes acknowledged over one round trip
 * (at least SRTT) — Linux's tcpi_delivery_rate is per-ACK
 * (tcp_rate_gen); one sample per round is enough for the ss view.
 */
function sampleDeliveryRate(c: Connection, now: number): void {
  const t = c.tcb;
  if (t.rateRoundAt < 0) {
    t.rateRoundAt = now;
    t.rateRoundBytes = t.bytesAcked;
    return;
  }
  const elapsed = now - t.rateRoundAt;
  // Until the first full round, a partial sample (short transfers never complete one).
  if (elapsed > 0 && t.deliveryRate === 0) t.deliveryRate = Math.round(((t.bytesAcked - t.rateRoundBytes) * 1000) / elapsed);
  if (elapsed > 0 && elapsed >= c.rtt.srtt) {
    t.deliveryRate = Math.round(((t.bytesAcked - t.rateRoundBytes) * 1000) / elapsed);
    t.rateRoundAt = now;
    t.rateRoundBytes = t.bytesAcked;
  }
}

/** SND.UNA advances (RFC 9293 §3.10.7.4 fifth, RFC 6298 §5.2–5.3, RFC 5681, RFC 6582). */
export function onNewAck(c: Connection, seg: TcpRepr): void {
  const t = c.tcb;
  const now = c.env.clock.now();
  const acked = seqSub(seg.ack, t.sndUna);
  const firstSentAt = c.recovery.rack.sentAt(t.sndUna);
  c.snd.consume(Math.min(acked, c.snd.length));
  t.sndUna = seg.ack;
  t.bytesAcked += acked;
  sampleDeliveryRate(c, now);
  if (seqLt(t.sndNxt, t.sndUna)) t.sndNxt = t.sndUna;
  const ts = seg.options.timestamp;
  // Linux tcp_ack_update_rtt: the send time of the oldest newly acknowledged
  // segment (clock resolution) when none was retransmitted, else the echo (ms).
  if (firstSentAt !== undefined) c.rtt.sample(now - firstSentAt);
  else if (t.tsOk && ts && ts.ecr !== 0) c.sampleTs(ts.ecr);
  else {
    const r = c.timing.onAck((s) => seqLe(s, seg.ack), now);
    if (r !== undefined) c.rtt.sample(r);
  }
  c.rtt.resetBackoff();
  t.retransmits = 0;
  c.probeOut = false; // RFC 8985 §7.4: progress ends the probe episode
  c.sack.advance(seg.ack);
  // Congestion control and loss recovery run once the whole ACK is applied (recovery.ts endAck).
  if (t.sndUna === t.sndMax) {
    if (c.rtxKind === 'rtx') {
      c.rtxKind = 'none';
      c.rtxAt = Infinity;
    }
  } else {
    c.headSentAt = now;
    c.armRetransmit(true);
  }
  if (c.wantWritable && c.sendSpace > 0 && !t.finQueued) {
    c.wantWritable = false;
    c.handler.onWritable();
  }
}

export function finAcked(c: Connection): boolean {
  const t = c.tcb;
  return t.finSeq >= 0 && seqGt(t.sndUna, t.finSeq);
}

/** State changes caused by our FIN being acknowledged. Returns false if the connection ended. */
export function afterAckStateChanges(c: Connection): boolean {
  const t = c.tcb;
  if (!finAcked(c)) return true;
  switch (t.state) {
    case 'FIN_WAIT_1':
      t.state = 'FIN_WAIT_2';
      // Linux tcp_fin_timeout: only an orphaned (fully closed) socket times out in FIN_WAIT_2.
      if (t.fullyClosed) c.setSlot('finwait2', c.env.clock.now() + c.env.options.finWait2Timeout);
      return true;
    case 'CLOSING':
      c.finishTimeWait();
      return false;
    case 'LAST_ACK':
      c.finish(undefined, false);
      return false;
    default:
      return true;
  }
}
