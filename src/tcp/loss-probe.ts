/**
 * Tail loss probe (RFC 8985 §7, Linux tcp_schedule_loss_probe): when the
 * last segments of a flight — or the ACKs for them — are lost, no duplicate
 * ACKs can come, and only the RTO (200 ms at least) would notice. A probe
 * after about two round trips sends one segment, and the ACK it elicits
 * (with SACK blocks) lets fast recovery repair the tail instead. Found by
 * test/linux/stack-loss-linux.test.ts: with 5% loss both ways, a cwnd-limited
 * flight whose last ACKs were lost stalled for a full RTO dozens of times
 * per 16 MiB.
 */
import type { Connection } from './connection.js';
import { sendDataAt } from './output.js';
import { seqAdd, seqGe, seqGt, seqSub } from './seq.js';
import { bump } from './stats.js';

/** RFC 8985 §7.2 WCDelAckT: the peer may hold its ACK for a lone segment this long (Linux adds TCP_RTO_MIN). */
const WORST_CASE_DELAYED_ACK_MS = 200;
/** Otherwise Linux adds TCP_TIMEOUT_MIN (2 ms) so a sub-ms SRTT does not probe at once. */
const MIN_EXTRA_MS = 2;

/**
 * Milliseconds until a probe is due, or Infinity if none should be armed.
 * RFC 8985 §7.2 requires SACK, an RTT sample and no recovery in progress
 * (nor Loss, e.g. after a path MTU drop); like Linux (tcp_schedule_loss_probe:
 * TCP_CA_Open only) we also wait while
 * SACK blocks or duplicate ACKs are already telling what is missing, and
 * send one probe per episode (until SND.UNA advances). tcp_early_retrans
 * other than 3 or 4 turns the probe off, as in Linux.
 */
export function probeTimeout(c: Connection): number {
  const t = c.tcb;
  // Linux tcp_schedule_loss_probe: TLP only when tcp_early_retrans is 3 (the default) or 4.
  const er = c.env.options.earlyRetrans;
  if (er !== 3 && er !== 4) return Infinity;
  if (!t.sackOk || c.probeOut || c.recovery.caState === 'recovery' || c.recovery.caState === 'loss' || c.recovery.dupAcks > 0 || !c.sack.isEmpty) return Infinity;
  if (t.retransmits > 0 || !c.rtt.hasSample || !c.isSynchronized() || t.state === 'SYN_RECEIVED') return Infinity;
  const lone = seqSub(t.sndMax, t.sndUna) <= t.mss;
  return 2 * c.rtt.srtt + (lone ? WORST_CASE_DELAYED_ACK_MS : MIN_EXTRA_MS);
}

/**
 * The probe (RFC 8985 §7.3): one new segment if the peer's window allows,
 * otherwise the last segment sent again; then the full RTO is re-armed.
 */
export function sendLossProbe(c: Connection): void {
  const t = c.tcb;
  bump(c.env.stats, 'TCPLossProbes');
  c.trace?.sample(c, 'tlp');
  c.probeOut = true;
  const flight = seqSub(t.sndMax, t.sndUna);
  const unsent = c.snd.length - seqSub(t.sndNxt, t.sndUna);
  if (unsent > 0 && seqGe(t.sndNxt, t.sndMax) && t.sndWnd - flight >= Math.min(t.mss, unsent)) {
    t.sndNxt = seqAdd(t.sndNxt, sendDataAt(c, t.sndNxt, t.mss, true));
    if (seqGt(t.sndNxt, t.sndMax)) t.sndMax = t.sndNxt;
  } else {
    // The data end (our FIN, if sent, goes with the last segment).
    const end = t.finSeq >= 0 && seqGt(t.sndMax, t.finSeq) ? t.finSeq : t.sndMax;
    const len = Math.min(t.mss, seqSub(end, t.sndUna));
    if (len > 0 || end !== t.sndMax) {
      t.totalRetrans++; // a retransmission, counted as Linux's __tcp_retransmit_skb does
      sendDataAt(c, seqAdd(end, -len), len, true);
    }
  }
  c.armRetransmit(true);
}
