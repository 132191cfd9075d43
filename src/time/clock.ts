/**
 * Time as the stack sees it. Nothing below `stack.ts` reads the wall clock or
 * calls `setTimeout`: it asks an injected Clock (smoltcp's `poll(timestamp)`,
 * gVisor's `stack.Options.Clock`). Tests inject a VirtualClock and run whole
 * TCP lifetimes in milliseconds; the real driver injects a RealClock.
 */

export interface Timer {
  /** Cancel if not yet fired; cancelling twice or after firing is harmless. */
  cancel(): void;
}

export interface Clock {
  /** Milliseconds on a monotonic time line with an arbitrary origin. */
  now(): number;
  /**
   * Call `fn` once, when the time line reaches `at` (ms, absolute). Timers due
   * at the same instant fire in the order they were set.
   */
  setTimer(at: number, fn: () => void): Timer;
  /**
   * How late a timer may fire (ms): the resolution of the wake-ups behind
   * it. Pacing lets a segment leave this much ahead of its departure time,
   * as fq's timer_slack does, or a 1 ms timer would cap the rate at one
   * burst per wake-up. Absent: exact (virtual time).
   */
  readonly timerSlackMs?: number;
}
