/**
 * A one-way packet pipe in virtual time with seeded faults (smoltcp's
 * FaultInjector): loss, duplication, reordering (extra delay), corruption,
 * and a fixed one-way delay. Reusable by any sim test: pass the packet and
 * the function that delivers it at the far end.
 */
import type { Clock } from '../../src/time/clock.js';
import { randFloat, randInt, type Rng } from '../../src/util/random.js';

export interface FaultOptions {
  /** One-way delay, ms. */
  delayMs: number;
  /** Probabilities in [0, 1). */
  loss?: number;
  duplicate?: number;
  /** Probability that a packet is held back by up to `reorderMs` extra. */
  reorder?: number;
  reorderMs?: number;
  /** Probability of flipping one random bit. */
  corrupt?: number;
}

export class FaultPipe {
  readonly counts = { sent: 0, lost: 0, duplicated: 0, reordered: 0, corrupted: 0, delivered: 0 };
  /** Set false to drop everything (a cut cable). */
  up = true;

  constructor(
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly opts: FaultOptions,
  ) {}

  carry(packet: Buffer, deliver: (p: Buffer) => void): void {
    this.counts.sent++;
    const o = this.opts;
    if (!this.up || (o.loss && randFloat(this.rng) < o.loss)) {
      this.counts.lost++;
      return;
    }
    const copies = o.duplicate && randFloat(this.rng) < o.duplicate ? 2 : 1;
    if (copies === 2) this.counts.duplicated++;
    for (let i = 0; i < copies; i++) {
      let p = packet;
      if (o.corrupt && randFloat(this.rng) < o.corrupt && p.length > 0) {
        p = Buffer.from(p);
        p[randInt(this.rng, p.length)] ^= 1 << randInt(this.rng, 8);
        this.counts.corrupted++;
      }
      let at = this.clock.now() + o.delayMs;
      if (o.reorder && randFloat(this.rng) < o.reorder) {
        at += 1 + randInt(this.rng, o.reorderMs ?? 10);
        this.counts.reordered++;
      }
      this.clock.setTimer(at, () => {
        this.counts.delivered++;
        deliver(p);
      });
    }
  }
}
