/**
 * Both directions at once over harsh seeded links (up to 20% loss, plus
 * duplication, reordering and corruption), small and large buffers, then a
 * close from both sides. Regression cover for two bugs this found: pure ACKs
 * sent with a rewound SND.NXT after go-back-N were unacceptable to the peer
 * (deadlock until ETIMEDOUT), and timestamp echoes of pre-backoff
 * transmissions inflating the RTO to rtoMax.
 */
import { describe, expect, it } from 'vitest';
import { randBytes, SeededRng } from '../../src/util/random.js';
import { makeConnPair } from './conn-pair.js';

describe('bidirectional transfer under heavy faults', () => {
  for (let seed = 1; seed <= 24; seed++) {
    const loss = [0, 0.05, 0.1, 0.2][seed % 4];
    it(`seed ${seed}: loss ${loss}, both directions byte-exact, both sides closed cleanly`, () => {
      const p = makeConnPair(
        seed,
        { delayMs: 1 + (seed % 30), loss, duplicate: 0.05, reorder: 0.1, reorderMs: 30, corrupt: 0.02 },
        { rcvBuf: [4096, 65536, 262144][seed % 3], sndBuf: [3000, 65536][seed % 2] },
      );
      p.clock.runUntil(30_000);
      expect([p.a.state, p.b.state], `seed ${seed}`).toEqual(['ESTABLISHED', 'ESTABLISHED']);
      const data = randBytes(new SeededRng(seed), 100_000 + seed * 1000);
      const back = randBytes(new SeededRng(seed + 1000), 30_000);
      let off = 0;
      let off2 = 0;
      const w = () => {
        while (off < data.length) {
          const n = p.a.send(data.subarray(off, off + 7000));
          if (!n) return;
          off += n;
        }
        p.a.shutdownWrite();
      };
      const w2 = () => {
        while (off2 < back.length) {
          const n = p.b.send(back.subarray(off2, off2 + 3000));
          if (!n) return;
          off2 += n;
        }
        p.b.shutdownWrite();
      };
      p.ha.onWritableHook = w;
      p.hb.onWritableHook = w2;
      w();
      w2();
      p.clock.runUntil(p.clock.now() + 1_800_000);
      expect(Buffer.concat(p.hb.received).equals(data), `seed ${seed}: a→b`).toBe(true);
      expect(Buffer.concat(p.ha.received).equals(back), `seed ${seed}: b→a`).toBe(true);
      expect([...p.ha.errors, ...p.hb.errors], `seed ${seed}`).toEqual([]);
      expect([p.ha.closed, p.hb.closed], `seed ${seed}`).toEqual([true, true]);
    });
  }
});
