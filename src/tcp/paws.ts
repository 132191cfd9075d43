/**
 * Timestamps on receipt (RFC 7323 §4.3, §5.3): when TS.Recent may move, and
 * PAWS, the test that drops old duplicates by their TSval. Both follow Linux
 * (tcp_paws_discard, tcp_disordered_ack, tcp_replace_ts_recent), which
 * differs from the RFC's text in three places noted below.
 */
import { TCP_FIN, TCP_RST, TCP_SYN, type TcpRepr } from '../wire/tcp.js';
import type { Connection } from './connection.js';
import { seqGe, seqGt, seqLe, seqSub } from './seq.js';

/** RFC 7323 §5.5: TS.Recent older than 24 days is invalid for PAWS (Linux TCP_PAWS_24DAYS). */
const PAWS_IDLE_MS = 24 * 24 * 3600 * 1000;
/** Linux TCP_PAWS_WINDOW: a TSval one tick behind TS.Recent still passes. */
const PAWS_WINDOW = 1;

/**
 * RFC 7323 §5.3 R1 with Linux's exemptions: true if `seg` fails PAWS and
 * must be dropped (after a duplicate ACK). RSTs are never PAWS-rejected.
 */
export function pawsRejects(c: Connection, seg: TcpRepr): boolean {
  const t = c.tcb;
  const ts = seg.options.timestamp;
  if (!t.tsOk || !ts || seg.flags & TCP_RST) return false;
  if (seqSub(t.tsRecent, ts.val) <= PAWS_WINDOW) return false;
  if (c.env.clock.now() - t.tsRecentAt >= PAWS_IDLE_MS) return false;
  return !disorderedAck(c, seg, seqSub(t.tsRecent, ts.val));
}

/**
 * Linux tcp_disordered_ack: a pure duplicate ACK that changes nothing
 * (SEG.SEQ = RCV.NXT, SEG.ACK = SND.UNA, no window update) and whose TSval
 * lags by less than about one RTO was merely reordered behind a newer
 * segment; dropping it would lose its SACK information for nothing.
 */
function disorderedAck(c: Connection, seg: TcpRepr, lag: number): boolean {
  const t = c.tcb;
  if (seg.payload.length > 0 || seg.flags & (TCP_SYN | TCP_FIN) || seg.seq !== t.rcvNxt || seg.ack !== t.sndUna) return false;
  const wnd = seg.window * 2 ** t.sndWscale;
  // tcp_may_update_window, negated.
  if (seqGt(seg.seq, t.sndWl1) || (seg.seq === t.sndWl1 && wnd > t.sndWnd)) return false;
  // tcp_tsval_replay: RTO in TS ticks (our ticks are milliseconds; Linux scales by 1024/1000).
  return lag <= Math.ceil((c.rtt.rto * 1024) / 1000);
}

/**
 * RFC 7323 §4.3 (Linux tcp_replace_ts_recent): remember the peer's TSval,
 * called only once the segment's ACK was found acceptable — an in-window
 * segment acknowledging unsent data must not move TS.Recent, or one blind
 * injected segment with a far-future TSval makes every later legitimate
 * segment fail PAWS. Only a segment at or below Last.ACK.sent counts
 * (Linux: !after(seq, rcv_wup)), and TS.Recent never moves back.
 */
export function replaceTsRecent(c: Connection, seg: TcpRepr): void {
  const t = c.tcb;
  const ts = seg.options.timestamp;
  if (!t.tsOk || !ts || !seqLe(seg.seq, t.lastAckSent)) return;
  const now = c.env.clock.now();
  if (seqGe(ts.val, t.tsRecent) || now - t.tsRecentAt >= PAWS_IDLE_MS) {
    t.tsRecent = ts.val;
    t.tsRecentAt = now;
  }
}
