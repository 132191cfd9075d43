/**
 * The one place that touches real time: a monotonic clock from
 * `performance.now()` and a single unref'd Node timer armed for the earliest
 * pending wake-up. Everything else schedules through the Clock interface.
 */
import { performance } from 'node:perf_hooks';
import type { Clock, Timer } from './clock.js';
import { TimerQueue } from './timer-queue.js';

export class RealClock implements Clock {
  /** Node's setTimeout counts whole milliseconds (and fires at least 1 ms out). */
  readonly timerSlackMs = 1;
  private readonly queue = new TimerQueue();
  private armed: NodeJS.Timeout | undefined;
  private armedAt = Infinity;

  now(): number {
    return performance.now();
  }

  setTimer(at: number, fn: () => void): Timer {
    const e = this.queue.push(at, fn);
    if (at < this.armedAt) this.arm();
    return e;
  }

  /** Stop the underlying Node timer (pending timers will not fire). */
  stop(): void {
    if (this.armed) clearTimeout(this.armed);
    this.armed = undefined;
    this.armedAt = Infinity;
  }

  private arm(): void {
    if (this.armed) clearTimeout(this.armed);
    const at = this.queue.peekAt();
    if (at === undefined) {
      this.armed = undefined;
      this.armedAt = Infinity;
      return;
    }
    this.armedAt = at;
    this.armed = setTimeout(() => this.fire(), Math.max(0, at - this.now()));
    this.armed.unref();
  }

  private fire(): void {
    this.armed = undefined;
    this.armedAt = Infinity;
    const now = this.now();
    for (let e = this.queue.popDue(now); e; e = this.queue.popDue(now)) e.fn();
    this.arm();
  }
}
