/**
 * Regression: a fast retransmission (RFC 5681 §3.2) resends the head
 * segment as it was sent, never more. When the original went out shorter
 * than the MSS (cut by the peer's window here; by SACK option room in the
 * stress run that found it), filling the retransmission up to the MSS put
 * bytes past SND.MAX on the wire without moving SND.MAX; the peer's ACK of
 * them then failed our RFC 5961 §5.2 check (SEG.ACK > SND.MAX) and the
 * connection livelocked on challenge ACKs (test/sim/stress-lifecycle.test.ts,
 * "seed 18").
 */
import { describe, expect, it } from 'vitest';
import { TCP_ACK } from '../../src/wire/tcp.js';
import { FakeEnv, LOCAL_ISS, PLAIN, REMOTE_ISS, bytes, established, expectSent, peer } from './helpers.js';

const L = LOCAL_ISS + 1;
const R = REMOTE_ISS + 1;

describe('fast retransmit of a short head segment (RFC 5681 §3.2, RFC 5961 §5.2)', () => {
  it('resends only the bytes sent before, not new data up to the MSS', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env, 1000);
    c.send(bytes(5000));
    expectSent(env, { seq: L, payloadLen: 1000 }); // window-limited
    expect(env.sent).toEqual([]);
    for (let i = 0; i < 3; i++) c.input(peer({ flags: TCP_ACK, seq: R, ack: L, window: 1000 }));
    const rtx = expectSent(env, { seq: L });
    expect(rtx.payload.length, 'retransmission length').toBe(1000);
    expect(c.info().sndNxt - L).toBeLessThanOrEqual(1000);
    // The peer ACKs everything we sent: acceptable, and the transfer goes on.
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 1000, window: 4000 }));
    expect(env.stats.dropAckOutOfRange ?? 0).toBe(0);
    expect(c.info().sndUna).toBe(L + 1000);
  });
});
