/**
 * withFaults in virtual time: a fault-free MemoryLink pair carries the
 * packets, and the wrapper on one end applies the shared fault model to what
 * that end sends (tx) and receives (rx). Every randomized test prints its seed.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng } from '../../src/util/random.js';
import { createMemoryLinkPair } from '../../src/link/memory.js';
import { parseFaultSpec, withFaults, type LinkFaults } from '../../src/link/faults.js';
import type { Link, ReceiveHandler } from '../../src/link/link.js';

function setup(seed: number, faults: { tx?: LinkFaults; rx?: LinkFaults } = {}) {
  console.log(`withFaults test seed ${seed}`);
  const clock = new VirtualClock();
  // The pair itself is fault-free; its rng is separate so only the wrapper's draws matter.
  const [a, b] = createMemoryLinkPair({ clock, rng: new SeededRng(seed ^ 0x5555) });
  const w = withFaults(a, { clock, rng: new SeededRng(seed), ...faults });
  const atPeer: Array<{ at: number; p: Buffer }> = [];
  const atUs: Array<{ at: number; p: Buffer; batch: number }> = [];
  let peerBatches = 0;
  let ourBatches = 0;
  b.onReceive((ps) => {
    peerBatches++;
    for (const p of ps) atPeer.push({ at: clock.now(), p });
  });
  w.onReceive((ps) => {
    ourBatches++;
    for (const p of ps) atUs.push({ at: clock.now(), p, batch: ourBatches });
  });
  return { clock, a, b, w, atPeer, atUs, peerBatches: () => peerBatches, ourBatches: () => ourBatches };
}

function pkt(i: number, len = 100): Buffer {
  const p = Buffer.alloc(len, 0xa5);
  p.writeUInt32BE(i, 0);
  return p;
}

const ids = (xs: Array<{ p: Buffer }>) => xs.map((x) => x.p.readUInt32BE(0));

describe('withFaults: the shared fault model on any Link (virtual time)', () => {
  it('without faults passes the same Buffers through, batches intact, and counts them', () => {
    const t = setup(1);
    const p = pkt(7);
    t.w.send(p);
    t.clock.runDue();
    expect(t.atPeer[0].p).toBe(p);
    for (let i = 0; i < 5; i++) t.b.send(pkt(i));
    t.clock.runDue();
    expect(ids(t.atUs)).toEqual([0, 1, 2, 3, 4]);
    expect(t.ourBatches()).toBe(1);
    expect(t.w.counters.tx.packets).toBe(1);
    expect(t.w.counters.tx.passed).toBe(1);
    expect(t.w.counters.rx.packets).toBe(5);
    expect(t.w.counters.rx.passed).toBe(5);
    expect(t.w.counters.rx.held).toBe(0);
  });

  it('tx loss drops about p of N sent packets', () => {
    const N = 5000;
    const t = setup(2, { tx: { loss: 0.1 } });
    for (let i = 0; i < N; i++) t.w.send(pkt(i));
    t.clock.runUntilIdle();
    const c = t.w.counters.tx;
    expect(c.lost + t.atPeer.length).toBe(N);
    expect(Math.abs(c.lost / N - 0.1)).toBeLessThan(0.015);
    expect(t.w.counterGroups!.Faults.txLost).toBe(c.lost);
  });

  it('rx loss applies per packet of each batch and keeps the survivors as one batch', () => {
    const t = setup(3, { rx: { loss: 0.3 } });
    const N = 40;
    for (let b = 0; b < 50; b++) {
      for (let i = 0; i < N; i++) t.b.send(pkt(b * N + i));
      t.clock.runDue();
    }
    const c = t.w.counters.rx;
    expect(c.packets).toBe(50 * N);
    expect(c.lost + t.atUs.length).toBe(50 * N);
    expect(Math.abs(c.lost / (50 * N) - 0.3)).toBeLessThan(0.04);
    // Fifty batches in, at most fifty out (a batch that lost everything is not delivered),
    // and order within the survivors is kept.
    expect(t.ourBatches()).toBeLessThanOrEqual(50);
    const got = ids(t.atUs);
    expect([...got].sort((x, y) => x - y)).toEqual(got);
  });

  it('draws the same decisions as MemoryLink for the same seed (one fault model)', () => {
    const faults: LinkFaults = { loss: 0.2, duplicate: 0.1, corrupt: 0.05 };
    const seed = 4;
    console.log(`withFaults test seed ${seed}`);
    const clock = new VirtualClock();
    const [m, mPeer] = createMemoryLinkPair({ clock, rng: new SeededRng(seed), faults });
    const viaMemory: Buffer[] = [];
    mPeer.onReceive((ps) => viaMemory.push(...ps));
    const t = setup(seed, { tx: faults });
    for (let i = 0; i < 500; i++) {
      m.send(pkt(i));
      t.w.send(pkt(i));
    }
    clock.runUntilIdle();
    t.clock.runUntilIdle();
    expect(viaMemory.length).toBe(t.atPeer.length);
    expect(Buffer.concat(viaMemory).equals(Buffer.concat(t.atPeer.map((x) => x.p)))).toBe(true);
    expect(t.w.counters.tx.lost).toBe(m.counters.lost);
    expect(t.w.counters.tx.duplicated).toBe(m.counters.duplicated);
  });

  it('rx duplication delivers a copy, not the same Buffer, with the same bytes', () => {
    const t = setup(5, { rx: { duplicate: 1 } });
    const p = pkt(1);
    t.b.send(p);
    t.clock.runDue();
    expect(t.atUs).toHaveLength(2);
    expect(t.atUs[0].p).toBe(p);
    expect(t.atUs[1].p).not.toBe(p);
    expect(t.atUs[1].p.equals(p)).toBe(true);
    expect(t.w.counters.rx.duplicated).toBe(1);
  });

  it('reordering holds a received packet back by reorderHoldMs; later packets overtake it', () => {
    const t = setup(6, { rx: { reorder: 0.2, reorderHoldMs: 3 } });
    for (let i = 0; i < 200; i++) {
      t.b.send(pkt(i));
      t.clock.advance(0.5);
    }
    t.clock.runUntilIdle();
    const got = ids(t.atUs);
    expect(got).toHaveLength(200);
    let inversions = 0;
    for (let i = 1; i < got.length; i++) if (got[i] < got[i - 1]) inversions++;
    expect(t.w.counters.rx.reordered).toBeGreaterThan(20);
    expect(t.w.counters.rx.held).toBe(t.w.counters.rx.reordered);
    expect(inversions).toBeGreaterThan(0);
    // Each packet arrives exactly when sent (0.5 ms apart from time 0), or 3 ms later if held.
    for (const g of t.atUs) {
      const sentAt = g.p.readUInt32BE(0) * 0.5;
      expect([sentAt, sentAt + 3]).toContain(g.at);
    }
  });

  it('held received packets due at one instant form one batch, and survive later batches unchanged', () => {
    const t = setup(7, { rx: { delayMs: 2 } });
    for (let i = 0; i < 4; i++) t.b.send(pkt(i));
    t.clock.runDue();
    expect(t.atUs).toHaveLength(0);
    t.clock.advance(2);
    expect(ids(t.atUs)).toEqual([0, 1, 2, 3]);
    expect(t.ourBatches()).toBe(1);
    const kept = t.atUs[0].p;
    const copy = Buffer.from(kept);
    for (let i = 10; i < 20; i++) t.b.send(pkt(i));
    t.clock.advance(5);
    expect(kept.equals(copy)).toBe(true);
  });

  it('tx delay sends at exactly now + delayMs', () => {
    const t = setup(8, { tx: { delayMs: 5 } });
    t.w.send(pkt(1));
    t.clock.advance(4.999);
    expect(t.atPeer).toHaveLength(0);
    t.clock.advance(0.001);
    expect(t.atPeer.map((x) => x.at)).toEqual([5]);
    expect(t.w.counters.tx.held).toBe(1);
  });

  it('corruption flips one bit of a copy and leaves the original alone', () => {
    const t = setup(9, { tx: { corrupt: 1 } });
    const p = pkt(3);
    const orig = Buffer.from(p);
    t.w.send(p);
    t.clock.runDue();
    expect(p.equals(orig)).toBe(true);
    const got = t.atPeer[0].p;
    let bits = 0;
    for (let i = 0; i < got.length; i++) for (let x = got[i] ^ orig[i]; x; x &= x - 1) bits++;
    expect(bits).toBe(1);
    expect(t.w.counters.tx.corrupted).toBe(1);
  });

  it('faults can be changed mid-run', () => {
    const t = setup(10);
    t.w.faults.tx.loss = 1;
    t.w.send(pkt(1));
    t.w.faults.tx.loss = 0;
    t.w.send(pkt(2));
    t.clock.runDue();
    expect(ids(t.atPeer)).toEqual([2]);
  });

  it('after close nothing held is sent or delivered', async () => {
    const t = setup(11, { tx: { delayMs: 1 }, rx: { delayMs: 1 } });
    t.w.send(pkt(1));
    t.b.send(pkt(2));
    t.clock.runDue();
    await t.w.close();
    t.clock.runUntilIdle();
    expect(t.atPeer).toHaveLength(0);
    expect(t.atUs).toHaveLength(0);
  });

  it("forwards the wrapped link's counter groups and adds Faults", () => {
    let h: ReceiveHandler | undefined;
    const inner: Link = {
      mtu: 1400,
      counterGroups: { Link: { rxPackets: 3 } },
      send() {},
      onReceive(fn) {
        h = fn;
      },
      async close() {},
    };
    const w = withFaults(inner, { clock: new VirtualClock(), rng: new SeededRng(12), rx: { loss: 1 } });
    w.onReceive(() => {
      throw new Error('everything is lost');
    });
    h!([pkt(1), pkt(2)]);
    expect(w.mtu).toBe(1400);
    expect(w.counterGroups!.Link).toEqual({ rxPackets: 3 });
    expect(w.counterGroups!.Faults).toMatchObject({ rxPackets: 2, rxLost: 2, txPackets: 0 });
  });
});

describe('parseFaultSpec (TUNSTACK_FAULTS of tunstack up)', () => {
  it('accepts per-direction faults and a seed', () => {
    expect(parseFaultSpec('{"tx":{"loss":0.05,"reorder":0.02,"reorderHoldMs":3},"rx":{"duplicate":0.02},"seed":7}')).toEqual({
      tx: { loss: 0.05, reorder: 0.02, reorderHoldMs: 3 },
      rx: { duplicate: 0.02 },
      seed: 7,
    });
  });

  it('names what is wrong instead of running with a typo', () => {
    expect(parseFaultSpec('not json')).toMatch(/not JSON/);
    expect(parseFaultSpec('[1]')).toMatch(/object/);
    expect(parseFaultSpec('{"tx":{"los":0.1}}')).toMatch(/unknown fault 'tx.los'/);
    expect(parseFaultSpec('{"rx":{"loss":5}}')).toMatch(/probability/);
    expect(parseFaultSpec('{"rx":{"delayMs":-1}}')).toMatch(/>= 0/);
    expect(parseFaultSpec('{"both":{}}')).toMatch(/unknown fault spec field 'both'/);
    expect(parseFaultSpec('{"seed":1.5}')).toMatch(/integer/);
  });
});
