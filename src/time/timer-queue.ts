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
  constructor(
    readonly at: number,
    readonly seq: number,
    public fn: () => void,
  ) {}
  /**
   * Lazy: the entry stays in the heap until its time, but lets go of its
   * callback now, so a cancelled keepalive or TIME_WAIT wake-up does not keep
   * a closed connection's memory alive for hours (found by bench:scale).
   */
  cancel(): void {
    this.cancelled = true;
    this.fn = NOOP;
  }
}

export class TimerQueue {
  private heap: TimerEntry[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, fn: () => void): TimerEntry {
    const e = new TimerEntry(at, this.seq++, fn);
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

  private dropCancelledHead(): void {
    while (this.heap.length && this.heap[0].cancelled) this.pop();
  }

  private pop(): TimerEntry {
    const h = this.heap;
    const top = h[0];
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
