/**
 * Pacing (Linux's EDT model, tcp_output.c tcp_pacing_check /
 * tcp_update_skb_after_send): when the congestion controller sets a pacing
 * rate (BBR does; CUBIC and NewReno do not, and Linux paces those only
 * under the fq qdisc), each data segment moves the earliest departure of the
 * next one on by its length over the rate, and transmit() waits for it on
 * the connection's pacing deadline — a wake-up through the injected clock's
 * timer queue like every other connection timer, never a timer of its own.
 */
import type { Connection } from './connection.js';

/** Linux tcp_update_skb_after_send: the first 10 data segments go unpaced (data_segs_out >= 10). */
const UNPACED_SEGMENTS = 10;

export class Pacer {
  /** Earliest departure time of the next segment, ms (Linux tcp_wstamp_ns). */
  nextAt = 0;
  /** Null when not armed: a field holding Infinity is a 16-byte heap number per connection (bench/scale.ts). */
  private at: number | null = null;
  /** The pacing wake-up (Linux pacing_timer), Infinity when not armed. */
  get timerAt(): number {
    return this.at ?? Infinity;
  }
  set timerAt(v: number) {
    this.at = v === Infinity ? null : v;
  }
  /** Data segments sent (Linux data_segs_out). */
  segsOut = 0;
}

function rateOf(c: Connection): number | undefined {
  const r = c.cc.pacingRate;
  return r !== undefined && r > 0 ? r : undefined;
}

/**
 * Linux tcp_pacing_check: true if the next segment must wait; arms the
 * pacing wake-up for when it may go. A clock whose timers are coarse
 * (Clock.timerSlackMs) lets segments leave up to that much early, like fq's
 * timer_slack, so the rate survives millisecond wake-ups.
 */
export function pacingHold(c: Connection): boolean {
  if (rateOf(c) === undefined) return false;
  const p = c.pacer;
  const slack = c.env.clock.timerSlackMs ?? 0;
  if (p.nextAt <= c.env.clock.now() + slack) return false;
  if (p.timerAt !== p.nextAt - slack) {
    p.timerAt = p.nextAt - slack;
    c.schedule();
  }
  return true;
}

/**
 * Linux tcp_update_skb_after_send: `bytes` of payload left now; the next
 * departure is len/rate later. A wake-up that came late earns credit for up
 * to half a segment's time ("take into account OS jitter"), so timer slack
 * does not lower the rate.
 */
export function onPacedSend(c: Connection, bytes: number): void {
  const p = c.pacer;
  p.segsOut += Math.max(1, Math.ceil(bytes / Math.max(1, c.tcb.mss)));
  const rate = rateOf(c);
  if (rate === undefined || p.segsOut < UNPACED_SEGMENTS || bytes <= 0) return;
  const now = c.env.clock.now();
  const credit = Math.max(0, now - p.nextAt);
  p.nextAt = Math.max(p.nextAt, now);
  const len = bytes / rate;
  p.nextAt += len - Math.min(len / 2, credit);
}

/** The pacing deadline came (connection.ts onWake): send what may go now. */
export function pacingDue(c: Connection, now: number): boolean {
  if (c.pacer.timerAt > now) return false;
  c.pacer.timerAt = Infinity;
  return true;
}
