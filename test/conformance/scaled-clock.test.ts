/**
 * Wire mode's time dilation (src/conformance/wire/scaled-clock.ts): a
 * script-time millisecond lasts K real ones, timers fire at K times their
 * script time, and scale 1 is the clock itself.
 */
import { describe, expect, it } from 'vitest';
import { ScaledClock, scaleClock } from '../../src/conformance/wire/scaled-clock.js';
import { RealClock } from '../../src/time/real-clock.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';

describe('ScaledClock', () => {
  it('runs K times slower: now() and timers in script time over a real (here virtual) clock', () => {
    const inner = new VirtualClock(0);
    const c = new ScaledClock(inner, 4);
    const fired: number[] = [];
    c.setTimer(25, () => fired.push(inner.now()));
    c.setTimer(10, () => fired.push(inner.now()));
    inner.advance(99);
    expect(fired).toEqual([40]);
    expect(c.now()).toBeCloseTo(24.75);
    inner.advance(1);
    expect(fired).toEqual([40, 100]);
    expect(c.now()).toBe(25);
  });

  it('scales the timer slack with it, is the clock itself at scale 1, and refuses a speed-up', () => {
    const real = new RealClock();
    expect(new ScaledClock(real, 2).timerSlackMs).toBe(0.5);
    expect(scaleClock(real, 1)).toBe(real);
    expect(() => new ScaledClock(real, 0.5)).toThrow(/≥ 1/);
    real.stop();
  });
});
