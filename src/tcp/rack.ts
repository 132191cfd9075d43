/**
 * RACK (RFC 8985 §6): time-based loss detection. A segment is lost once a
 * segment sent after it has been delivered and a reordering window has
 * passed since; until then a timer waits out the window. Kept over original
 * transmissions in sequence order, whose send times are then non-decreasing,
 * so "sent before the latest delivered segment and older than RACK.rtt +
 * reo_wnd" is a prefix: the unSACKed bytes below one boundary. (A
 * retransmission that is lost again is found by sack-recovery.ts's
 * RetransmitLog.) Linux: tcp_rack_detect_loss, tcp_rack_reo_wnd.
 */
import { seqGt, seqLe, seqLt } from './seq.js';

/** Shared by every Rack with nothing recorded yet (frozen): no arrays per idle connection (bench/scale.ts). */
const NO_RECORDS: number[] = Object.freeze([]) as unknown as number[];
/** RFC 8985 §6.2 step 4: recoveries the widened window outlasts (Linux TCP_RACK_RECOVERY_THRESH). */
export const REO_WND_PERSIST = 16;

export class Rack {
  /** Original transmissions: [start, end) and send time, parallel arrays from `head`. */
  private starts: number[] = NO_RECORDS;
  private ends: number[] = NO_RECORDS;
  private ats: number[] = NO_RECORDS;
  private head = 0;
  /**
   * Records below this index were outstanding at the last RTO: their send
   * times no longer count (everything goes out again), but their boundaries
   * still say which segments a SACK block covers whole (sack-match.ts), as
   * Linux's retransmit queue keeps its skbs across tcp_timeout_mark_lost.
   */
  private live = 0;
  /** RACK.xmit_ts, RACK.end_seq, RACK.rtt of the most recently sent segment delivered (§6.2 step 2). */
  get xmitTs(): number {
    return this.xmit ?? -Infinity;
  }
  set xmitTs(v: number) {
    this.xmit = v === -Infinity ? null : v;
  }
  /** xmitTs and deadline when unset are null, not ±Infinity: no heap number per idle connection (bench/scale.ts). */
  private xmit: number | null = null;
  private due: number | null = null;
  endSeq = 0;
  rtt = 0;
  /** Reordering was observed on this connection (§6.2 step 3). */
  reorderSeen = false;
  /**
   * §6.2 step 4: RACK.reo_wnd_mult, raised by one per round trip in which a
   * D-SACK arrived, back to 1 after RACK.reo_wnd_persist recoveries without
   * one (Linux tcp_rack_update_reo_wnd: reo_wnd_steps, reo_wnd_persist).
   */
  reoWndMult = 1;
  reoWndPersist = 0;
  /** RACK.rtt_seq: D-SACKs before the ACK passes this belong to the round already counted; undefined: none pending. */
  private dsackRoundEnd: number | undefined;
  /** Unsacked bytes below this are lost; undefined if RACK marks nothing. */
  boundary: number | undefined;
  /** When the reordering window of the next candidate ends (§6.3 RACK timer); Infinity if none. */
  get deadline(): number {
    return this.due ?? Infinity;
  }
  set deadline(v: number) {
    this.due = v === Infinity ? null : v;
  }

  /** End of the highest retransmitted byte since the records began (Karn for sentAt); undefined: none. */
  private rtxHigh: number | undefined;

  /** End of the highest byte retransmitted (F-RTO's test for never-retransmitted data); undefined if none. */
  get retransmittedEnd(): number | undefined {
    return this.rtxHigh;
  }

  /** Bytes below `end` went out again (any retransmission: recovery, TLP, RTO). */
  onRetransmit(end: number): void {
    if (this.rtxHigh === undefined || seqGt(end, this.rtxHigh)) this.rtxHigh = end;
  }

  /**
   * When the segment holding byte `seq` was sent, if it was sent only once
   * and nothing above it went out again (Karn, RFC 6298 §3); else undefined.
   * Linux tcp_clean_rtx_queue times RTT samples so (first_ackt, in µs)
   * rather than by the timestamp echo, whose unit here is a millisecond.
   */
  sentAt(seq: number): number | undefined {
    if (this.rtxHigh !== undefined && seqLt(seq, this.rtxHigh)) return undefined;
    const i = this.find(seq);
    return i < this.live ? undefined : this.ats[i];
  }

  /** A segment of new data [start, end) left at `at`. */
  onSent(start: number, end: number, at: number): void {
    const n = this.ends.length;
    if (n > this.head && !seqGt(end, this.ends[n - 1])) return;
    if (this.ends === NO_RECORDS) {
      this.starts = [];
      this.ends = [];
      this.ats = [];
    }
    this.starts.push(start);
    this.ends.push(end);
    this.ats.push(at);
  }

  /** SND.UNA moved: forget what is acknowledged. */
  advance(una: number): void {
    while (this.head < this.ends.length && seqLe(this.ends[this.head], una)) this.head++;
    if (this.head > 0 && this.head === this.ends.length) {
      // Everything sent is acknowledged: release the arrays (an idle connection keeps none).
      this.starts = NO_RECORDS;
      this.ends = NO_RECORDS;
      this.ats = NO_RECORDS;
      this.head = 0;
      this.live = 0;
    } else if (this.head > 256 && this.head * 2 > this.ends.length) {
      this.starts = this.starts.slice(this.head);
      this.ends = this.ends.slice(this.head);
      this.ats = this.ats.slice(this.head);
      this.live = Math.max(0, this.live - this.head);
      this.head = 0;
    }
    if (this.boundary !== undefined && seqLe(this.boundary, una)) this.boundary = undefined;
  }

  /** The original transmission [start, end) holding byte `seq` (one skb as Linux sent it), or undefined. */
  segmentAt(seq: number): [number, number] | undefined {
    const i = this.find(seq);
    return i < 0 ? undefined : [this.starts[i], this.ends[i]];
  }

  /** Index of the record holding byte `seq`, or -1. */
  private find(seq: number): number {
    let lo = this.head;
    let hi = this.ends.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (seqLt(seq, this.starts[mid])) hi = mid - 1;
      else if (!seqLt(seq, this.ends[mid])) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** §6.2 step 2: byte `seq` (not retransmitted) was just delivered at `now`. Call before advance(). */
  delivered(seq: number, now: number): void {
    const i = this.find(seq);
    if (i < this.live) return;
    const at = this.ats[i];
    if (at > this.xmitTs || (at === this.xmitTs && seqGt(this.ends[i], this.endSeq))) {
      this.xmitTs = at;
      this.endSeq = this.ends[i];
    }
    if (at === this.xmitTs) this.rtt = now - at;
  }

  /**
   * §6.2 step 5 over the prefix: everything sent before RACK.xmit_ts (or at
   * it, lower in sequence) and older than RACK.rtt + reoWnd is lost; the
   * first younger one sets the timer.
   */
  detect(now: number, reoWnd: number): void {
    this.deadline = Infinity;
    if (this.xmitTs === -Infinity) return;
    // First record whose window has not passed (send times are non-decreasing). The
    // deadline itself is compared, not now − rtt, so a timer due now always finds it due.
    const wait = this.rtt + reoWnd;
    let lo = Math.max(this.head, this.live);
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ats[mid] + wait <= now) lo = mid + 1;
      else hi = mid;
    }
    if (lo > Math.max(this.head, this.live)) {
      const end = this.ends[lo - 1];
      const b = seqLt(this.endSeq, end) ? this.endSeq : end;
      if (this.boundary === undefined || seqGt(b, this.boundary)) this.boundary = b;
    }
    // Records up to RACK.end_seq still inside the window: wait for it to pass.
    if (lo < this.ends.length && seqLe(this.ends[lo], this.endSeq) && this.ats[lo] <= this.xmitTs) {
      this.deadline = this.ats[lo] + wait;
    }
  }

  /**
   * §6.2 step 4 on a D-SACK: a segment was delivered twice, so the window
   * was too small; widen it once per round trip (`una`/`sndMax`: where the
   * round stands). Linux also takes a D-SACK as reordering seen
   * (tcp_sacktag_one: state->reord, tcp_check_sack_reordering).
   */
  onDsack(una: number, sndMax: number): void {
    this.reorderSeen = true;
    if (this.dsackRoundEnd !== undefined && seqLt(una, this.dsackRoundEnd)) return;
    this.reoWndMult = Math.min(this.reoWndMult + 1, 0xff);
    this.reoWndPersist = REO_WND_PERSIST;
    this.dsackRoundEnd = sndMax;
  }

  /** §6.2 step 4: a loss recovery ended; after REO_WND_PERSIST of them without a D-SACK the multiplier returns to 1. */
  onRecoveryExit(): void {
    if (this.reoWndPersist > 0) this.reoWndPersist--;
    if (this.reoWndPersist === 0) this.reoWndMult = 1;
  }

  /** The original transmissions not yet acknowledged, [start, end) in sequence order (pmtu-retransmit.ts). */
  *sentSegments(): IterableIterator<[number, number]> {
    for (let i = this.head; i < this.ends.length; i++) yield [this.starts[i], this.ends[i]];
  }

  /** After a timeout everything outstanding is resent in order: its send times no longer count (§6.3, Linux tcp_timeout_mark_lost); its boundaries stay. */
  reset(): void {
    this.live = this.ends.length; // boundaries kept, send times void
    this.xmitTs = -Infinity;
    this.boundary = undefined;
    this.deadline = Infinity;
  }
}
