/**
 * Flow control under faults on whole Stacks: send and receive buffers of
 * 4–16 KiB so the window closes and reopens all the time (RFC 9293 §3.8.6:
 * zero-window probing §3.8.6.1, receiver and sender SWS avoidance
 * §3.8.6.2), readers that stop for seconds (persist timer with backoff,
 * window updates that can be lost, RFC 1122 §4.2.2.17), combined with loss,
 * duplication and reordering. Byte-exact both ways, clean close, invariants.
 */
import { describe, expect, it } from 'vitest';
import { randBytes, SeededRng } from '../../src/util/random.js';
import { checkInvariants, expectClean, makePair, seeds, transfer } from './stress-harness.js';

const BUFS = [4096, 8192, 16384];

describe('tiny send/receive buffers under loss, both directions', () => {
  for (const seed of seeds([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])) {
    const sndA = BUFS[seed % 3];
    const rcvA = BUFS[(seed >> 1) % 3];
    const sndB = BUFS[(seed >> 2) % 3];
    const rcvB = BUFS[(seed + 1) % 3];
    const loss = [0, 0.05, 0.1, 0.2][seed % 4];
    const mtu = [1500, 576, 9000][seed % 3];
    it(`A snd ${sndA} rcv ${rcvA}, B snd ${sndB} rcv ${rcvB}, loss ${loss}, mtu ${mtu} (seed ${seed})`, () => {
      console.log(`stress-buffers seed=${seed}`);
      const faults = { delayMs: 5, jitterMs: 3, loss, duplicate: 0.03, reorder: 0.05, reorderHoldMs: 12 };
      const p = makePair({ seed, mtu, faults, tcpA: { sndBuf: sndA, rcvBuf: rcvA }, tcpB: { sndBuf: sndB, rcvBuf: rcvB } });
      const rng = new SeededRng(seed);
      const up = randBytes(rng, 128 * 1024);
      const down = randBytes(rng, 128 * 1024);
      const r = transfer(p, 5001, { out: up, chunk: 3000 }, { out: down, chunk: 5000 }, 900_000);
      const label = `seed ${seed}`;
      expectClean(r, up, down, label);
      expect(r.doneAt, label).toBeLessThan(loss === 0 ? 30_000 : 300_000);
      checkInvariants(p, label);
    });
  }
});

describe('a reader that pauses for seconds: zero window, persist probes, window update (RFC 9293 §3.8.6.1)', () => {
  for (const seed of seeds([21, 22, 23, 24, 25, 26])) {
    const rcvB = BUFS[seed % 3];
    const loss = [0, 0.1, 0.2][seed % 3];
    it(`server rcvBuf ${rcvB} pauses 2 s then 5 s, loss ${loss} (seed ${seed})`, () => {
      console.log(`stress-pause seed=${seed}`);
      const faults = { delayMs: 10, jitterMs: 2, loss, duplicate: 0.02 };
      const p = makePair({ seed, faults, tcpB: { rcvBuf: rcvB, sndBuf: 8192 }, tcpA: { sndBuf: 16384 } });
      const rng = new SeededRng(seed);
      const up = randBytes(rng, 192 * 1024);
      const down = randBytes(rng, 32 * 1024);
      // Server stops reading from 0.3 s to 2.3 s; client stops from 3 s to 8 s.
      const r = transfer(p, 5002, { out: up, pause: { from: 3000, to: 8000 } }, { out: down, pause: { from: 300, to: 2300 } }, 900_000);
      const label = `seed ${seed}`;
      expectClean(r, up, down, label);
      expect(r.doneAt, label).toBeLessThan(loss === 0 ? 20_000 : 300_000);
      // The pause really closed the window: the client had to probe (no loss) or at least wait.
      checkInvariants(p, label);
    });
  }

  it('no loss: a 5 s pause with a 4 KiB window resumes within one persist interval of reading again (seed 31)', () => {
    console.log('stress-pause seed=31');
    const p = makePair({ seed: 31, faults: { delayMs: 10 }, tcpB: { rcvBuf: 4096 } });
    const up = randBytes(new SeededRng(31), 64 * 1024);
    const r = transfer(p, 5003, { out: up }, { out: Buffer.alloc(0), pause: { from: 100, to: 5100 } }, 120_000);
    expectClean(r, up, Buffer.alloc(0), 'seed 31');
    // Reading again opens the window and the receiver announces it at once
    // (RFC 9293 §3.8.6.2.2: the window moved by ≥ min(MSS, RCV.BUFF/2)), so
    // the rest takes ~60 KiB / 4 KiB × RTT (20 ms), not a persist backoff.
    expect(r.doneAt, 'seed 31').toBeLessThan(5100 + 2000);
    checkInvariants(p, 'seed 31');
  });
});

describe('a clean link (delay only): flow control alone must never cause a retransmission', () => {
  for (const seed of seeds([41, 42, 43, 44, 45, 46])) {
    const rcv = BUFS[seed % 3];
    const snd = BUFS[(seed >> 1) % 3];
    it(`rcvBuf ${rcv}, sndBuf ${snd}, both readers pause, one-way delay ${[20, 0, 1][seed % 3]} ms (seed ${seed})`, () => {
      console.log(`stress-clean seed=${seed}`);
      const tcp = { rcvBuf: rcv, sndBuf: snd };
      const p = makePair({ seed, faults: { delayMs: [20, 0, 1][seed % 3] }, tcpA: tcp, tcpB: tcp });
      const rng = new SeededRng(seed);
      const up = randBytes(rng, 96 * 1024);
      const down = randBytes(rng, 64 * 1024);
      const r = transfer(p, 5004, { out: up, chunk: 5000, pause: { from: 500, to: 1700 } }, { out: down, chunk: 3000, pause: { from: 200, to: 2600 } }, 300_000);
      const label = `seed ${seed}`;
      expectClean(r, up, down, label);
      // Nothing was lost, so nothing may be retransmitted and no RTO may fire
      // (RFC 6298 §5: the timer is for loss; a closed window is the persist
      // timer's business, RFC 9293 §3.8.6.1).
      for (const s of [p.a, p.b]) {
        expect(s.tcp.stats.RetransSegs, label).toBe(0);
        expect(s.tcp.stats.TCPTimeouts ?? 0, label).toBe(0);
      }
      checkInvariants(p, label);
    });
  }
});
