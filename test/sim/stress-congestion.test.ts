/**
 * Congestion on whole Stacks: a rate-limited link with a small tail-drop
 * queue (the losses are caused by our own sending, as on a real bottleneck),
 * so slow start overshoots, fast retransmit / NewReno (RFC 5681 §3.2, RFC
 * 6582) or SACK recovery (RFC 6675) repair bursts of drops and the RTO with
 * backoff (RFC 6298 §5) covers lost retransmissions. Also long delays with
 * jitter that reorders. Byte-exact, clean close, invariants, and a time
 * bound against the bottleneck's serialization time: a transfer that stalls
 * in RTO backoff is a bug, not bad luck.
 */
import { describe, expect, it } from 'vitest';
import { randBytes, SeededRng } from '../../src/util/random.js';
import { checkInvariants, expectClean, makePair, seeds, transfer } from './stress-harness.js';

describe('bottleneck with a small tail-drop queue (RFC 5681, RFC 6582, RFC 6675)', () => {
  const rates = [250_000, 1_000_000, 4_000_000];
  for (const seed of seeds([1, 2, 3, 4, 5, 6, 7, 8, 9])) {
    const rate = rates[seed % 3];
    const queue = [8 * 1024, 16 * 1024, 32 * 1024][(seed >> 1) % 3];
    const sack = seed % 2 === 0;
    const ts = seed % 4 < 2;
    it(`rate ${rate} B/s, queue ${queue} B, sack ${sack}, ts ${ts}, delay 20 ms: 512 KiB one way + 64 KiB back (seed ${seed})`, () => {
      console.log(`stress-congestion seed=${seed}`);
      const faults = { delayMs: 20, jitterMs: 1, rateBytesPerSec: rate, queueLimitBytes: queue };
      const tcp = { sack, timestamps: ts };
      const p = makePair({ seed, faults, tcpA: tcp, tcpB: tcp });
      const rng = new SeededRng(seed);
      const up = randBytes(rng, 512 * 1024);
      const down = randBytes(rng, 64 * 1024);
      const r = transfer(p, 9000, { out: up }, { out: down }, 600_000);
      const label = `seed ${seed}`;
      expectClean(r, up, down, label);
      // At the slower rates the queue really overflows: recovery is exercised.
      if (rate <= 1_000_000) expect(p.la.counters.queueDropped, label).toBeGreaterThan(0);
      // Serialization alone takes up.length / rate; allow 4× plus a few
      // seconds of slow start and RTOs. Minutes would mean a stall.
      const ideal = (up.length / rate) * 1000;
      expect(r.doneAt, `${label}: ideal ${ideal.toFixed(0)} ms`).toBeLessThan(4 * ideal + 5000);
      checkInvariants(p, label);
    });
  }
});

describe('bottleneck plus random loss, both directions loaded', () => {
  for (const seed of seeds([11, 12, 13, 14])) {
    it(`1 MB/s, 16 KiB queue, 5% loss, 256 KiB each way (seed ${seed})`, () => {
      console.log(`stress-congestion seed=${seed}`);
      const faults = { delayMs: 15, jitterMs: 2, rateBytesPerSec: 1_000_000, queueLimitBytes: 16 * 1024, loss: 0.05, duplicate: 0.01 };
      const p = makePair({ seed, faults });
      const rng = new SeededRng(seed);
      const up = randBytes(rng, 256 * 1024);
      const down = randBytes(rng, 256 * 1024);
      const r = transfer(p, 9001, { out: up }, { out: down }, 600_000);
      const label = `seed ${seed}`;
      expectClean(r, up, down, label);
      expect(r.doneAt, label).toBeLessThan(60_000);
      checkInvariants(p, label);
    });
  }
});

describe('long delay with reordering jitter (200 ms ± 40 ms)', () => {
  for (const seed of seeds([21, 22, 23, 24])) {
    const loss = seed % 2 === 0 ? 0.05 : 0;
    it(`RTT ~400 ms, jitter reorders, loss ${loss}, 256 KiB each way (seed ${seed})`, () => {
      console.log(`stress-delay seed=${seed}`);
      const faults = { delayMs: 200, jitterMs: 40, loss, reorder: 0.05, reorderHoldMs: 60 };
      const p = makePair({ seed, faults });
      const rng = new SeededRng(seed);
      const up = randBytes(rng, 256 * 1024);
      const down = randBytes(rng, 256 * 1024);
      const r = transfer(p, 9002, { out: up }, { out: down }, 900_000);
      const label = `seed ${seed}`;
      expectClean(r, up, down, label);
      // Slow start from 10 segments to 256 KiB is ~5 RTTs (2 s). Jitter of
      // 40 ms reorders back-to-back segments, and NewReno (dupthresh 3, no
      // reordering detection or undo: Linux tp->reordering, RFC 3708 DSACK
      // undo, RFC 8985 RACK are not implemented) halves cwnd on each spurious
      // fast retransmit, so ~15 s is expected. Minutes would be a stall.
      expect(r.doneAt, label).toBeLessThan(loss === 0 ? 30_000 : 60_000);
      checkInvariants(p, label);
    });
  }
});
