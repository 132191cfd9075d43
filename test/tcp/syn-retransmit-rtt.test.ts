/**
 * Regression: the RTT sample of a handshake whose SYN was retransmitted.
 * A listener that answers the retransmitted SYN by resending its SYN-ACK
 * echoes the first SYN's TSval (it keeps TS.Recent from the SYN that created
 * the request, as Linux tcp_check_req does), so "now - TSecr" spans our
 * whole SYN timeout. Karn's rule (RFC 6298 §3), which sampleTs already
 * applies to data (an echo older than our latest retransmission is not a
 * sample), now covers the SYN too. Before the fix SRTT started at ~1 s and
 * the RTO at ~3 s; under 20% loss its backoff stretched transfers to minutes
 * (test/sim/stress-extremes.test.ts, "seed 125").
 */
import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/tcp/connection.js';
import { TCP_ACK, TCP_SYN } from '../../src/wire/tcp.js';
import { FakeEnv, LOCAL_ISS, REMOTE_ISS, RecordingHandler, TUPLE, expectSent, peer } from './helpers.js';

describe('handshake RTT after a SYN retransmission (RFC 6298 §3, RFC 7323 §4)', () => {
  it('takes no sample from a SYN-ACK that echoes the first SYN; the RTO stays at its initial value', () => {
    const env = new FakeEnv({ sack: false, windowScaling: false });
    const c = Connection.connect(env, TUPLE, LOCAL_ISS, new RecordingHandler());
    const first = expectSent(env, { flags: TCP_SYN });
    env.clock.runUntil(1000);
    const again = expectSent(env, { flags: TCP_SYN });
    expect(again.options.timestamp?.val).not.toBe(first.options.timestamp?.val);
    env.clock.runUntil(1020);
    c.input(
      peer({
        flags: TCP_SYN | TCP_ACK,
        seq: REMOTE_ISS,
        ack: LOCAL_ISS + 1,
        options: { mss: 1460, timestamp: { val: 777, ecr: first.options.timestamp?.val ?? 0 } },
      }),
    );
    expect(c.state).toBe('ESTABLISHED');
    const info = c.info();
    expect(info.srtt, 'no sample spanning the SYN timeout').toBe(0);
    expect(info.rto).toBe(1000);
  });

  it('still samples a SYN-ACK that echoes the retransmitted SYN', () => {
    const env = new FakeEnv({ sack: false, windowScaling: false });
    const c = Connection.connect(env, TUPLE, LOCAL_ISS, new RecordingHandler());
    expectSent(env, { flags: TCP_SYN });
    env.clock.runUntil(1000);
    const again = expectSent(env, { flags: TCP_SYN });
    env.clock.runUntil(1020);
    c.input(
      peer({
        flags: TCP_SYN | TCP_ACK,
        seq: REMOTE_ISS,
        ack: LOCAL_ISS + 1,
        options: { mss: 1460, timestamp: { val: 777, ecr: again.options.timestamp?.val ?? 0 } },
      }),
    );
    expect(c.info().srtt).toBe(20);
  });
});
