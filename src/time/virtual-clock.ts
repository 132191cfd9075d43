/**
 * Virtual time for tests: nothing happens until the test advances the clock,
 * then due timers fire in order, each seeing `now()` equal to its own due time.
 */
import type { Clock, Timer } from './clock.js';
import { TimerQueue } from './timer-queue.js';

export class VirtualClock implements Clock {
  private t: number;
  private readonly queue = new TimerQueue();

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(at: number, fn: () => void): Timer {
    return this.queue.push(Math.max(at, this.t), fn);
  }

  /** Due time of the next pending timer, if any. */
  nextAt(): number | undefined {
    return this.queue.peekAt();
  }

  /** Move time forward by `ms`, firing every timer due on the way, in order. */
  advance(ms: number): void {
    this.runUntil(this.t + ms);
  }

  /** Move time to `target` (absolute), firing due timers in order. */
  runUntil(target: number): void {
    for (;;) {
      const e = this.queue.popDue(target);
      if (!e) break;
      if (e.at > this.t) this.t = e.at;
      e.fn();
    }
    if (target > this.t) this.t = target;
  }

  /** Fire timers due now (zero-delay work such as deferred flushes). */
  runDue(): void {
    this.runUntil(this.t);
  }

  /**
   * Run until no timer is pending or `limitMs` of virtual time has passed.
   * Returns true if the queue drained.
   */
  runUntilIdle(limitMs = 3_600_000): boolean {
    const end = this.t + limitMs;
    for (;;) {
      const at = this.queue.peekAt();
      if (at === undefined) return true;
      if (at > end) {
        this.t = end;
        return false;
      }
      this.runUntil(at);
    }
  }
}
