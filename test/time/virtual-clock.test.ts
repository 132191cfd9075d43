import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { TimerQueue } from '../../src/time/timer-queue.js';

describe('VirtualClock', () => {
  it('fires timers in due order, each seeing its own due time', () => {
    const c = new VirtualClock();
    const seen: Array<[string, number]> = [];
    c.setTimer(300, () => seen.push(['c', c.now()]));
    c.setTimer(100, () => seen.push(['a', c.now()]));
    c.setTimer(200, () => seen.push(['b', c.now()]));
    c.advance(250);
    expect(seen).toEqual([
      ['a', 100],
      ['b', 200],
    ]);
    expect(c.now()).toBe(250);
    c.advance(100);
    expect(seen.at(-1)).toEqual(['c', 300]);
  });

  it('keeps insertion order for equal due times and runs timers set while firing', () => {
    const c = new VirtualClock();
    const seen: string[] = [];
    c.setTimer(10, () => {
      seen.push('x');
      c.setTimer(10, () => seen.push('z')); // due now: must still run in this advance
    });
    c.setTimer(10, () => seen.push('y'));
    c.advance(10);
    expect(seen).toEqual(['x', 'y', 'z']);
  });

  it('cancelled timers never fire', () => {
    const c = new VirtualClock();
    let fired = false;
    const t = c.setTimer(5, () => (fired = true));
    t.cancel();
    c.advance(10);
    expect(fired).toBe(false);
    expect(c.nextAt()).toBeUndefined();
  });

  it('runUntilIdle stops at the limit when timers keep re-arming', () => {
    const c = new VirtualClock();
    const tick = (): void => void c.setTimer(c.now() + 1000, tick);
    tick();
    expect(c.runUntilIdle(10_000)).toBe(false);
    expect(c.now()).toBe(10_000);
  });

  it('a timer set in the past fires at the current time', () => {
    const c = new VirtualClock(500);
    let at = -1;
    c.setTimer(100, () => (at = c.now()));
    c.runDue();
    expect(at).toBe(500);
  });
});

describe('TimerQueue', () => {
  it('pops in (time, insertion) order across many entries', () => {
    const q = new TimerQueue();
    const order: number[] = [];
    for (let i = 0; i < 100; i++) q.push((i * 37) % 10, () => order.push(i));
    for (let e = q.popDue(100); e; e = q.popDue(100)) e.fn();
    const expected = [...Array(100).keys()].sort((a, b) => ((a * 37) % 10) - ((b * 37) % 10) || a - b);
    expect(order).toEqual(expected);
  });

  it('drops cancelled entries once they are most of the heap, keeping the firing order', () => {
    const q = new TimerQueue();
    const order: number[] = [];
    const entries: Array<ReturnType<TimerQueue['push']>> = [];
    for (let i = 0; i < 2000; i++) entries.push(q.push(1000 + ((i * 7919) % 500), () => order.push(i)));
    // Cancel three in four: a timeout set and cleared per connection.
    for (let i = 0; i < 2000; i++) if (i % 4 !== 0) entries[i].cancel();
    expect(q.size).toBeLessThan(1000);
    entries[0].cancel(); // cancelling again, or after a compaction, is harmless
    entries[1].cancel();
    for (let e = q.popDue(5000); e; e = q.popDue(5000)) e.fn();
    const expected = [...Array(2000).keys()]
      .filter((i) => i % 4 === 0 && i !== 0)
      .sort((a, b) => ((a * 7919) % 500) - ((b * 7919) % 500) || a - b);
    expect(order).toEqual(expected);
    expect(q.size).toBe(0);
  });
});
