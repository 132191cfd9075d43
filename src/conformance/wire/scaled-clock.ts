/**
 * Time dilation for wire mode on a slow machine (`--time-scale K`): a Clock
 * whose milliseconds each last K real ones. The runner schedules and stamps
 * in it, and the agent gives each script's stack one (the `start` request
 * carries K), so a script's 25 ms RACK window or 100 ms RTT lasts 25·K or
 * 100·K real ms on both sides, while the machine's own delays (a TCG guest
 * runs JavaScript ~20x slower) stay what they are: relative to the stack's
 * timers, the machine looks K times faster. Virtual-time dilation in
 * network emulation: Gupta et al., "To Infinity and Beyond: Time-Warped
 * Network Emulation", NSDI 2006. K = 1 is real time.
 */
import type { Clock, Timer } from '../../time/clock.js';

export class ScaledClock implements Clock {
  readonly timerSlackMs: number | undefined;

  constructor(
    private readonly inner: Clock,
    readonly scale: number,
  ) {
    if (!(scale >= 1)) throw new RangeError(`time scale must be ≥ 1 (got ${scale})`);
    this.timerSlackMs = inner.timerSlackMs === undefined ? undefined : inner.timerSlackMs / scale;
  }

  now(): number {
    return this.inner.now() / this.scale;
  }

  setTimer(at: number, fn: () => void): Timer {
    return this.inner.setTimer(at * this.scale, fn);
  }
}

/** `clock` itself at scale 1 (no wrapper on the common path), else its dilated view. */
export function scaleClock(clock: Clock, scale: number): Clock {
  return scale === 1 ? clock : new ScaledClock(clock, scale);
}
