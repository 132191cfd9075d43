/**
 * Option negotiation under faults, on whole Stacks: every combination of
 * timestamps / SACK / window scaling offered or declined by either side
 * (RFC 7323 §2.2, §3.2: used only if both SYNs carry it; RFC 2018 §2: SACK
 * only if SACK-permitted was in both SYNs), across MTUs 576..9000 and
 * mismatched MSS (RFC 9293 §3.7.1: send no more than the peer's MSS, and
 * RFC 1122 §4.2.2.6: our options come out of that MSS). Data both ways,
 * byte-exact, then the invariants of stress-harness.ts.
 */
import { describe, expect, it } from 'vitest';
import type { TcpOptions } from '../../src/tcp/api.js';
import { randBytes, SeededRng } from '../../src/util/random.js';
import { checkInvariants, makePair, seeds, transfer } from './stress-harness.js';

const FAULTS = { delayMs: 10, jitterMs: 4, loss: 0.1, duplicate: 0.03, reorder: 0.05, reorderHoldMs: 15, corrupt: 0.01 };
const MTUS = [576, 1280, 1500, 9000];

function opts(bits: number): Partial<TcpOptions> {
  return { timestamps: (bits & 1) !== 0, sack: (bits & 2) !== 0, windowScaling: (bits & 4) !== 0 };
}
function name(o: Partial<TcpOptions>): string {
  return `ts=${o.timestamps ? 1 : 0},sack=${o.sack ? 1 : 0},ws=${o.windowScaling ? 1 : 0}`;
}

describe('option combinations × MTU under 10% loss, both directions (virtual time)', () => {
  for (let combo = 0; combo < 64; combo++) {
    const tcpA = opts(combo & 7);
    const tcpB = opts(combo >> 3);
    const mtu = MTUS[combo % 4];
    const seed = 1000 + combo;
    it(`A[${name(tcpA)}] B[${name(tcpB)}] mtu ${mtu}: 96 KiB each way byte-exact (seed ${seed})`, () => {
      console.log(`stress-options seed=${seed}`);
      const p = makePair({ seed, mtu, faults: FAULTS, tcpA, tcpB });
      const rng = new SeededRng(seed);
      const up = randBytes(rng, 96 * 1024);
      const down = randBytes(rng, 96 * 1024);
      const r = transfer(p, 80, { out: up }, { out: down }, 600_000);
      const label = `seed ${seed}`;
      expect(r.server.received().equals(up), `${label}: a→b bytes`).toBe(true);
      expect(r.client.received().equals(down), `${label}: b→a bytes`).toBe(true);
      expect(r.client.events, label).toEqual(['eof', 'close']);
      expect(r.server.events, label).toEqual(['eof', 'close']);
      // With 10% loss and 20 ms RTT, 96 KiB takes seconds, not minutes of RTO backoff.
      expect(r.doneAt, label).toBeLessThan(60_000);
      checkInvariants(p, label);
    });
  }
});

describe('mismatched MSS and MTU extremes (RFC 9293 §3.7.1)', () => {
  const cases: { mtu: number; mssA?: number; mssB?: number }[] = [
    { mtu: 1500, mssA: 536 },
    { mtu: 1500, mssB: 536 },
    { mtu: 1500, mssA: 1000, mssB: 1400 },
    { mtu: 9000, mssA: 1460 },
    { mtu: 576, mssB: 88 },
    { mtu: 1280, mssA: 1240, mssB: 1240 },
  ];
  for (const [i, c] of cases.entries()) {
    for (const seed of seeds([7 + i * 100, 8 + i * 100])) {
      it(`mtu ${c.mtu} mssA ${c.mssA ?? 'auto'} mssB ${c.mssB ?? 'auto'}: 128 KiB each way (seed ${seed})`, () => {
        console.log(`stress-mss seed=${seed}`);
        const p = makePair({ seed, mtu: c.mtu, faults: FAULTS, tcpA: { mss: c.mssA }, tcpB: { mss: c.mssB } });
        const rng = new SeededRng(seed);
        const up = randBytes(rng, 128 * 1024);
        const down = randBytes(rng, 128 * 1024);
        const r = transfer(p, 80, { out: up }, { out: down }, 600_000);
        const label = `seed ${seed}`;
        expect(r.server.received().equals(up), `${label}: a→b bytes`).toBe(true);
        expect(r.client.received().equals(down), `${label}: b→a bytes`).toBe(true);
        expect([...r.client.events, ...r.server.events], label).toEqual(['eof', 'close', 'eof', 'close']);
        expect(r.doneAt, label).toBeLessThan(120_000);
        checkInvariants(p, label);
      });
    }
  }
});
