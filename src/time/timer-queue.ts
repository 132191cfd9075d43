/**
 * A min-heap of one-shot timers ordered by (due time, insertion order).
 *
 * Why a heap and not a hashed wheel: virtual-time tests need exact firing
 * order at exact instants, and the number of live wake-ups is small because
 * connections keep deadlines as fields and arm at most one wake-up each
 * (gVisor `tcp/timer.go`): moving a deadline later never touches the queue,
 * an early wake-up just re-arms. Cancellation is lazy (O(1)).
 */
import type { Timer } from './clock.js';

const NOOP = (): void => {};

export class TimerEntry implements Timer {
  cancelled = false;
  /** Still in its queue's heap (not yet popped or compacted away). */
  queued = true;
  constructor(
    readonly at: number,
    readonly seq: number,
    public fn: () => void,
    private readonly owner: TimerQueue,
  ) {}
  /**
   * Lazy: the entry stays in the heap until its time, but lets go of its
   * callback now, so a cancelled keepalive or TIME_WAIT wake-up does not keep
   * a closed connection's memory alive for hours (found by bench:scale).
   */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.fn = NOOP;
    if (this.queued) this.owner.noteCancelled();
  }
}

/** Cancelled entries tolerated in the heap before it may be compacted. */
const COMPACT_MIN = 256;

export class TimerQueue {
  private heap: TimerEntry[] = [];
  private seq = 0;
  /** Cancelled entries still in the heap. */
  private cancelled = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, fn: () => void): TimerEntry {
    const e = new TimerEntry(at, this.seq++, fn, this);
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      const t = h[i];
      h[i] = h[p];
      h[p] = t;
      i = p;
    }
    return e;
  }

  /** Due time of the earliest live timer, or undefined if none. */
  peekAt(): number | undefined {
    this.dropCancelledHead();
    return this.heap.length ? this.heap[0].at : undefined;
  }

  /** Remove and return the earliest live timer if it is due at or before `now`. */
  popDue(now: number): TimerEntry | undefined {
    this.dropCancelledHead();
    const h = this.heap;
    if (!h.length || h[0].at > now) return undefined;
    return this.pop();
  }

  /**
   * An entry in the heap was cancelled. Once cancelled entries are most of
   * the heap they are dropped all at once: a timer set and cancelled per
   * connection (a socket's idle timeout, 30 s away) would otherwise pile up
   * for its whole delay — hundreds of thousands of entries at a high
   * connection rate, each push and pop paying for them (bench/conn-rate.ts).
   */
  noteCancelled(): void {
    this.cancelled++;
    if (this.cancelled > COMPACT_MIN && this.cancelled * 2 > this.heap.length) this.compact();
  }

  private compact(): void {
    const live: TimerEntry[] = [];
    for (const e of this.heap) {
      if (e.cancelled) e.queued = false;
      else live.push(e);
    }
    // A sorted array is a valid heap; (at, seq) order keeps firing order exact.
    live.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    this.heap = live;
    this.cancelled = 0;
  }

  private dropCancelledHead(): void {
    while (this.heap.length && this.heap[0].cancelled) this.pop();
  }

  private pop(): TimerEntry {
    const h = this.heap;
    const top = h[0];
    top.queued = false;
    if (top.cancelled) this.cancelled--;
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        const t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
      }
    }
    return top;
  }
}

function before(a: TimerEntry, b: TimerEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
