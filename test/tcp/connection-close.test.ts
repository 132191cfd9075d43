import { describe, expect, it } from 'vitest';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../src/wire/tcp.js';
import { FakeEnv, LOCAL_ISS, PLAIN, REMOTE_ISS, TUPLE, established, expectNothing, expectSent, peer } from './helpers.js';

const L = LOCAL_ISS + 1;
const R = REMOTE_ISS + 1;
const FA = TCP_FIN | TCP_ACK;

describe('closing (RFC 9293 §3.6, §3.10.4, state diagram fig. 5)', () => {
  it('active close: FIN after queued data, FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT handoff', () => {
    const env = new FakeEnv(PLAIN);
    const { c, h } = established(env);
    c.send(Buffer.from('data'));
    expectSent(env, { flags: TCP_PSH | TCP_ACK, seq: L, payload: 'data' });
    c.shutdownWrite();
    expect(c.state).toBe('FIN_WAIT_1');
    expectSent(env, { flags: FA, seq: L + 4, ack: R });
    expect(c.send(Buffer.from('more'))).toBe(0); // EPIPE at the socket layer
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 5 }));
    expect(c.state).toBe('FIN_WAIT_2');
    c.input(peer({ flags: FA, seq: R, ack: L + 5 }));
    expectSent(env, { flags: TCP_ACK, seq: L + 5, ack: R + 1 });
    expect(h.events).toEqual(['readable', 'close']);
    expect(c.readEnded).toBe(true);
    // The FIN took one byte of the advertised window, the 64240 our SYN offered (Linux
    // tcp_select_initial_window); receiver SWS avoidance keeps the edge (RFC 9293 §3.8.6.2.2).
    expect(env.timeWait).toEqual([{ ...TUPLE, sndNxt: L + 5, rcvNxt: R + 1, window: 64239 }]);
    expect(env.unregistered).toEqual([]);
    expect(c.state).toBe('TIME_WAIT');
  });

  it('piggybacks the FIN on the last data segment when both are queued', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env, 0);
    c.send(Buffer.from('xy'));
    c.shutdownWrite();
    expectNothing(env);
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, window: 1000 }));
    expectSent(env, { flags: FA | TCP_PSH, seq: L, payload: 'xy' });
  });

  it('passive close: peer FIN → CLOSE_WAIT; our close → LAST_ACK → CLOSED on the ACK', () => {
    const env = new FakeEnv(PLAIN);
    const { c, h } = established(env);
    c.input(peer({ flags: FA, seq: R, ack: L }));
    expect(c.state).toBe('CLOSE_WAIT');
    expectSent(env, { flags: TCP_ACK, ack: R + 1 });
    expect(c.readEnded).toBe(true);
    c.send(Buffer.from('still writable'));
    expectSent(env, { flags: TCP_PSH | TCP_ACK, seq: L });
    c.close();
    expect(c.state).toBe('LAST_ACK');
    expectSent(env, { flags: FA, seq: L + 14 });
    c.input(peer({ flags: TCP_ACK, seq: R + 1, ack: L + 15 }));
    expect(c.state).toBe('CLOSED');
    expect(h.events).toEqual(['readable', 'close']);
    expect(env.unregistered).toEqual([TUPLE]);
  });

  it('simultaneous close: FIN_WAIT_1 + FIN → CLOSING → TIME_WAIT on the ACK', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.close();
    expectSent(env, { flags: FA, seq: L });
    c.input(peer({ flags: FA, seq: R, ack: L }));
    expect(c.state).toBe('CLOSING');
    expectSent(env, { flags: TCP_ACK, seq: L + 1, ack: R + 1 });
    c.input(peer({ flags: TCP_ACK, seq: R + 1, ack: L + 1 }));
    expect(c.state).toBe('TIME_WAIT');
    expect(env.timeWait.length).toBe(1);
  });

  it('FIN_WAIT_1 + FIN acking our FIN → TIME_WAIT directly', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.close();
    env.sent.length = 0;
    c.input(peer({ flags: FA, seq: R, ack: L + 1 }));
    expect(c.state).toBe('TIME_WAIT');
    expectSent(env, { flags: TCP_ACK, ack: R + 1 });
  });

  it('retransmits an unacknowledged FIN on the RTO', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.close();
    expectSent(env, { at: 0, flags: FA, seq: L });
    env.clock.runUntil(200);
    expectSent(env, { at: 200, flags: FA, seq: L });
    env.clock.runUntil(600);
    expectSent(env, { at: 600, flags: FA, seq: L });
  });

  it('FIN_WAIT_2 times out after finWait2Timeout only after a full close (Linux tcp_fin_timeout)', () => {
    const env = new FakeEnv({ ...PLAIN, finWait2Timeout: 60_000 });
    const { c, h } = established(env);
    c.close();
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 1 }));
    expect(c.state).toBe('FIN_WAIT_2');
    env.clock.runUntil(59_999);
    expect(c.state).toBe('FIN_WAIT_2');
    env.clock.runUntil(60_000);
    expect(c.state).toBe('CLOSED');
    expect(h.events).toEqual(['close']);
    expect(env.unregistered).toEqual([TUPLE]);

    const env2 = new FakeEnv(PLAIN);
    const b = established(env2);
    b.c.shutdownWrite();
    b.c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 1 }));
    env2.clock.runUntil(3_600_000);
    expect(b.c.state).toBe('FIN_WAIT_2'); // half-close: still readable, no timeout
  });

  it('close() with unread data sends RST instead of FIN (RFC 9293 §3.10.4, RFC 2525 §2.17, Linux)', () => {
    const env = new FakeEnv(PLAIN);
    const { c, h } = established(env);
    c.input(peer({ flags: TCP_PSH | TCP_ACK, seq: R, ack: L, payload: 'unread' }));
    expectSent(env, { flags: TCP_ACK, ack: R + 6 }); // first data: quick ACK (Linux)
    c.close();
    expectSent(env, { flags: TCP_RST | TCP_ACK, seq: L, ack: R + 6 }); // Linux tcp_send_active_reset sets ACK
    expect(c.state).toBe('CLOSED');
    expect(h.events).toEqual(['readable', 'close']);
  });

  it('data arriving after close() is answered with RST (Linux TCPAbortOnData)', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.close();
    expectSent(env, { flags: FA });
    c.input(peer({ flags: TCP_PSH | TCP_ACK, seq: R, ack: L + 1, payload: 'late' }));
    expectSent(env, { flags: TCP_RST, seq: L + 1 });
    expect(c.state).toBe('CLOSED');
    expect(env.stats.TCPAbortOnData).toBe(1);
  });

  it('half-close: after shutdownWrite, data still arrives and is readable', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.shutdownWrite();
    c.input(peer({ flags: TCP_PSH | TCP_ACK, seq: R, ack: L + 1, payload: 'reply' }));
    expect(c.read()?.toString()).toBe('reply');
    expect(c.state).toBe('FIN_WAIT_2');
  });

  it('abort() sends <SEQ=SND.NXT><CTL=RST,ACK> and reports no error (RFC 9293 §3.10.5)', () => {
    const env = new FakeEnv(PLAIN);
    const { c, h } = established(env);
    c.send(Buffer.from('zz'));
    env.sent.length = 0;
    c.abort();
    expectSent(env, { flags: TCP_RST | TCP_ACK, seq: L + 2 }); // ACK set as Linux does
    expect(h.events).toEqual(['close']);
    expect(env.unregistered).toEqual([TUPLE]);
    expectNothing(env, 10_000);
  });

  it('close() in SYN_SENT just deletes the TCB', () => {
    const env = new FakeEnv(PLAIN);
    const { Connection } = connMod;
    const c = Connection.connect(env, TUPLE, LOCAL_ISS, { onConnect() {}, onReadable() {}, onWritable() {}, onError() {}, onClose() {} });
    expectSent(env, { flags: TCP_SYN });
    c.close();
    expect(c.state).toBe('CLOSED');
    expectNothing(env, 200_000);
  });
});

describe('resets and RFC 5961', () => {
  it('RST exactly at RCV.NXT → ECONNRESET (RFC 5961 §3.2)', () => {
    const env = new FakeEnv(PLAIN);
    const { c, h } = established(env);
    c.input(peer({ flags: TCP_RST, seq: R }));
    expect(h.events).toEqual(['error:ECONNRESET', 'close']);
    expect(c.state).toBe('CLOSED');
    expect(env.stats.EstabResets).toBe(1);
  });

  it('in-window RST not at RCV.NXT → challenge ACK, connection survives (RFC 5961 §3.2)', () => {
    const env = new FakeEnv(PLAIN);
    const { c, h } = established(env);
    c.input(peer({ flags: TCP_RST, seq: R + 100 }));
    expectSent(env, { flags: TCP_ACK, seq: L, ack: R });
    expect(c.state).toBe('ESTABLISHED');
    expect(h.events).toEqual([]);
    expect(env.stats.TCPChallengeACK).toBe(1);
  });

  it('out-of-window RST is dropped silently', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.input(peer({ flags: TCP_RST, seq: R + 1_000_000 }));
    expectNothing(env);
    expect(c.state).toBe('ESTABLISHED');
  });

  it('SYN in ESTABLISHED → challenge ACK (RFC 5961 §4.2)', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.input(peer({ flags: TCP_SYN, seq: R + 10 }));
    expectSent(env, { flags: TCP_ACK, seq: L, ack: R });
    expect(c.state).toBe('ESTABLISHED');
  });

  it('challenge ACKs obey the layer limiter (RFC 5961 §7)', () => {
    const env = new FakeEnv({ ...PLAIN, invalidRateLimitMs: 0 });
    const { c } = established(env);
    env.challengeOk = false;
    c.input(peer({ flags: TCP_SYN, seq: R }));
    env.clock.advance(500); // past the per-connection limit (tcp_invalid_ratelimit)
    c.input(peer({ flags: TCP_RST, seq: R + 5 }));
    expectNothing(env);
    expect(env.stats.TCPChallengeACKLimited).toBe(2);
  });

  it('at most one challenge ACK per connection per 500 ms (Linux tcp_invalid_ratelimit)', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.input(peer({ flags: TCP_RST, seq: R + 5 }));
    c.input(peer({ flags: TCP_RST, seq: R + 6 }));
    c.input(peer({ flags: TCP_SYN, seq: R }));
    expect(env.stats.TCPChallengeACK).toBe(1);
    expect(env.stats.TCPACKSkippedChallenge).toBe(2);
    env.clock.advance(499);
    c.input(peer({ flags: TCP_RST, seq: R + 7 }));
    expect(env.stats.TCPChallengeACK).toBe(1);
    env.clock.advance(1);
    c.input(peer({ flags: TCP_RST, seq: R + 8 }));
    expect(env.stats.TCPChallengeACK).toBe(2);
  });

  it('ACK of data never sent → challenge ACK and the segment is dropped (RFC 5961 §5.2)', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.input(peer({ flags: TCP_PSH | TCP_ACK, seq: R, ack: L + 500, payload: 'nope' }));
    expectSent(env, { flags: TCP_ACK, seq: L, ack: R });
    expect(c.read()).toBeNull();
  });

  it('segment without ACK in ESTABLISHED is dropped (RFC 9293 §3.10.7.4 fifth)', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.input(peer({ flags: TCP_PSH, seq: R, payload: 'x' }));
    expect(c.read()).toBeNull();
    expectNothing(env, 1000);
  });
});

import * as connMod from '../../src/tcp/connection.js';

describe('FIN and RST edge cases', () => {
  it('a FIN arriving beyond a hole is processed once the hole fills', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.input(peer({ flags: FA, seq: R + 3, ack: L, payload: 'def' }));
    expectSent(env, { flags: TCP_ACK, ack: R });
    expect(c.state).toBe('ESTABLISHED');
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, payload: 'abc' }));
    expect(c.state).toBe('CLOSE_WAIT');
    expectSent(env, { flags: TCP_ACK, ack: R + 7 });
    let s = '';
    for (let b = c.read(); b; b = c.read()) s += b.toString();
    expect(s).toBe('abcdef');
    expect(c.readEnded).toBe(true);
  });

  it('RST in LAST_ACK closes without an error (RFC 9293 §3.10.7.4 second)', () => {
    const env = new FakeEnv(PLAIN);
    const { c, h } = established(env);
    c.input(peer({ flags: FA, seq: R, ack: L }));
    c.close();
    expect(c.state).toBe('LAST_ACK');
    c.input(peer({ flags: TCP_RST, seq: R + 1 }));
    expect(c.state).toBe('CLOSED');
    expect(h.events).toEqual(['readable', 'close']);
  });

  it('a retransmitted FIN in CLOSE_WAIT is re-ACKed and changes nothing', () => {
    const env = new FakeEnv(PLAIN);
    const { c, h } = established(env);
    c.input(peer({ flags: FA, seq: R, ack: L }));
    env.sent.length = 0;
    c.input(peer({ flags: FA, seq: R, ack: L }));
    expectSent(env, { flags: TCP_ACK, ack: R + 1 });
    expect(c.state).toBe('CLOSE_WAIT');
    expect(h.events).toEqual(['readable']);
  });
});
