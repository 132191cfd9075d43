/**
 * Regression: the retransmission timer expires while the peer's window is
 * zero and data we sent beyond it is outstanding (the window shrank under
 * it). Go-back-N may send nothing into a zero window, and with data
 * outstanding the persist timer is not armed, so each RTO must itself probe
 * (RFC 9293 §3.8.6.1; Linux lets the head retransmission serve as the
 * zero-window probe). Before the fix every RTO fired in silence: a lost
 * window update was never asked for again and the connection sat until
 * ETIMEDOUT (test/sim/stress-buffers.test.ts, paused reader, "seed 50").
 */
import { describe, expect, it } from 'vitest';
import { TCP_ACK } from '../../src/wire/tcp.js';
import { FakeEnv, LOCAL_ISS, PLAIN, REMOTE_ISS, bytes, established, expectSent, peer } from './helpers.js';

const L = LOCAL_ISS + 1;
const R = REMOTE_ISS + 1;

describe('RTO against a window shrunk to zero (RFC 9293 §3.8.6.1, RFC 6298 §5)', () => {
  it('each expiry sends a probe that elicits the window, and sending resumes when it opens', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env, 2920);
    c.send(bytes(4000));
    expectSent(env, { seq: L, payloadLen: 1460 });
    expectSent(env, { seq: L + 1460, payloadLen: 1460 });
    // The peer took the first segment only and its window is now zero.
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 1460, window: 0 }));
    expect(env.sent).toEqual([]);
    env.clock.runUntil(10_000);
    expect(env.sent.length, 'segments sent by the RTOs').toBeGreaterThan(0);
    const probe = expectSent(env, { flags: TCP_ACK });
    expect(probe.seq === L + 1460 - 1 || probe.seq === L + 1460, `probe at SND.UNA(-1), got ${probe.seq}`).toBe(true);
    env.sent.length = 0;
    // The answer to the probe carries the opened window: data flows again.
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 1460, window: 4000 }));
    expectSent(env, { seq: L + 1460, payloadLen: 1460 });
  });
});
