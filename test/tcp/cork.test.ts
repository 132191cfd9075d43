import { describe, it } from 'vitest';
import { TCP_ACK, TCP_FIN, TCP_PSH } from '../../src/wire/tcp.js';
import { FakeEnv, LOCAL_ISS, PLAIN, bytes, established, expectNothing, expectSent } from './helpers.js';

const L = LOCAL_ISS + 1;

describe('TCP_CORK (Linux tcp(7)): the socket layer corks one event-loop turn', () => {
  it('while corked only full-sized segments leave; uncork sends the rest', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.cork();
    c.send(bytes(1460 + 100));
    expectSent(env, { flags: TCP_ACK, seq: L, payloadLen: 1460 });
    expectNothing(env);
    c.uncork();
    expectSent(env, { flags: TCP_PSH | TCP_ACK, seq: L + 1460, payloadLen: 100 });
    expectNothing(env);
  });

  it('a shutdown while corked rides on the last data segment (one FIN|PSH|ACK segment)', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.cork();
    c.send(bytes(300));
    c.shutdownWrite();
    expectNothing(env);
    c.uncork();
    expectSent(env, { flags: TCP_FIN | TCP_PSH | TCP_ACK, seq: L, payloadLen: 300 });
    expectNothing(env);
  });

  it('uncork without cork does nothing, and writes without cork are sent at once', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.uncork();
    expectNothing(env);
    c.send(bytes(10));
    expectSent(env, { flags: TCP_PSH | TCP_ACK, seq: L, payloadLen: 10 });
  });
});
