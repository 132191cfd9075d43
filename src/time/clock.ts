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
}
