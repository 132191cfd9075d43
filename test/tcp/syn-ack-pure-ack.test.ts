/**
 * Regression: the ACK completing an active open leaves on its own, before
 * the application's first data (Linux tcp_rcv_synsent_state_process). A
 * listener answering with a SYN cookie (RFC 4987 §3.6, Linux
 * cookie_v4_check) validates the cookie against SEG.SEQ - 1, so only
 * segments at ISS+1 can complete its handshake; when the ACK rode on the
 * first data segment and that segment was lost, every later segment met a
 * listener and was reset (RFC 9293 §3.10.7.2) — found by
 * test/sim/stress-lifecycle.test.ts (SYN cookies under 10% loss, seeds 51–54).
 */
import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/tcp/connection.js';
import { TCP_ACK, TCP_PSH, TCP_SYN } from '../../src/wire/tcp.js';
import { FakeEnv, LOCAL_ISS, PLAIN, REMOTE_ISS, RecordingHandler, TUPLE, bytes, expectNothing, expectSent, peer } from './helpers.js';

describe('active open: the handshake ACK before data (RFC 9293 §3.10.7.3, Linux)', () => {
  it('a pure ACK at ISS+1, then the data, also at ISS+1', () => {
    const env = new FakeEnv(PLAIN);
    const h = new RecordingHandler();
    const c = Connection.connect(env, TUPLE, LOCAL_ISS, h);
    h.onConnect = () => {
      c.send(bytes(3000));
    };
    env.sent.length = 0;
    c.input(peer({ flags: TCP_SYN | TCP_ACK, seq: REMOTE_ISS, ack: LOCAL_ISS + 1, options: { mss: 1460 } }));
    expectSent(env, { flags: TCP_ACK, seq: LOCAL_ISS + 1, ack: REMOTE_ISS + 1, payloadLen: 0 });
    expectSent(env, { flags: TCP_ACK, seq: LOCAL_ISS + 1, payloadLen: 1460 });
    expectSent(env, { flags: TCP_ACK, seq: LOCAL_ISS + 1461, payloadLen: 1460 });
    expectSent(env, { flags: TCP_ACK | TCP_PSH, seq: LOCAL_ISS + 2921, payloadLen: 80 });
    expectNothing(env);
    expect(c.state).toBe('ESTABLISHED');
  });
});
