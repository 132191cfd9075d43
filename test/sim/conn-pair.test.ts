import { describe, expect, it } from 'vitest';
import { randBytes, SeededRng } from '../../src/util/random.js';
import { makeConnPair, type ConnPair } from './conn-pair.js';
import type { FaultOptions } from './fault-pipe.js';

/** Push `data` from a to b, respecting send-buffer backpressure; then shutdownWrite. */
function pump(p: ConnPair, data: Buffer): void {
  let off = 0;
  const write = () => {
    while (off < data.length) {
      const n = p.a.send(data.subarray(off, Math.min(data.length, off + 16384)));
      if (n === 0) return;
      off += n;
    }
    p.a.shutdownWrite();
  };
  p.ha.onWritableHook = write;
  write();
}

function transfer(seed: number, faults: FaultOptions, size: number, limitMs = 600_000) {
  const p = makeConnPair(seed, faults);
  p.clock.runUntil(5_000);
  expect(p.a.state, `seed ${seed}: handshake`).toBe('ESTABLISHED');
  const data = randBytes(new SeededRng(seed ^ 0x5a5a), size);
  pump(p, data);
  p.clock.runUntil(p.clock.now() + limitMs);
  return { p, data };
}

describe('simulated transfer between two Connections (simultaneous open, virtual time)', () => {
  it('moves 1 MiB byte-exact over a clean 5 ms link and closes both ways', () => {
    const seed = 1;
    const { p, data } = transfer(seed, { delayMs: 5 }, 1 << 20, 60_000);
    expect(p.hb.receivedBytes, `seed ${seed}`).toBe(data.length);
    expect(Buffer.concat(p.hb.received).equals(data), `seed ${seed}`).toBe(true);
    expect(p.b.readEnded).toBe(true);
    p.b.close();
    p.clock.runUntil(p.clock.now() + 10_000);
    expect(p.a.state).toBe('TIME_WAIT');
    expect(p.b.state).toBe('CLOSED');
    expect(p.ha.errors).toEqual([]);
    expect(p.hb.errors).toEqual([]);
  });

  const faulty: FaultOptions = { delayMs: 10, loss: 0.03, duplicate: 0.02, reorder: 0.05, reorderMs: 15, corrupt: 0.01 };
  for (const seed of [11, 22, 33, 44]) {
    it(`moves 1 MiB byte-exact over a lossy, duplicating, reordering, corrupting link (seed ${seed})`, () => {
      const { p, data } = transfer(seed, faulty, 1 << 20);
      const got = Buffer.concat(p.hb.received);
      const firstDiff = got.findIndex((v, i) => v !== data[i]);
      expect(got.length, `seed ${seed}: received ${got.length}, counts ${JSON.stringify(p.ab.counts)}`).toBe(data.length);
      expect(firstDiff, `seed ${seed}`).toBe(-1);
      expect(p.b.readEnded, `seed ${seed}`).toBe(true);
      expect(p.ha.errors, `seed ${seed}`).toEqual([]);
    });
  }
});

describe('resets across the pair', () => {
  it('abort() on one side → ECONNRESET on the other (RFC 9293 §3.10.5, §3.10.7.4)', () => {
    const seed = 9;
    const p = makeConnPair(seed, { delayMs: 3 });
    p.clock.runUntil(1000);
    p.a.abort();
    p.clock.runUntil(2000);
    expect(p.hb.errors, `seed ${seed}`).toEqual(['ECONNRESET']);
    expect(p.hb.closed).toBe(true);
    expect(p.b.state).toBe('CLOSED');
  });

  it('a cut link makes the sender give up with ETIMEDOUT after maxRetries', () => {
    const seed = 10;
    const p = makeConnPair(seed, { delayMs: 3 }, { maxRetries: 4 });
    p.clock.runUntil(1000);
    p.ab.up = false;
    // RTO = SRTT + 200 ms (Linux tcp_rtt_estimator floors the variation at tcp_rto_min), doubled each time.
    // The lone segment's loss probe comes first, at the RTO's time (Linux tcp_schedule_loss_probe), and re-arms it.
    const rto = p.a.info().rto;
    expect(rto, `seed ${seed}`).toBeGreaterThan(200);
    p.a.send(Buffer.from('into the void'));
    p.clock.runUntil(1000 + rto * (1 + 1 + 2 + 4 + 8 + 16) - 1);
    expect(p.ha.errors, `seed ${seed}`).toEqual([]);
    p.clock.runUntil(1000 + rto * (1 + 1 + 2 + 4 + 8 + 16) + 1);
    expect(p.ha.errors, `seed ${seed}`).toEqual(['ETIMEDOUT']);
  });
});
