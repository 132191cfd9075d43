/**
 * PSH ends kept for retransmission (Linux keeps tcp_mark_push's PSH in the
 * skb): only ends still in flight are remembered, so a long request/response
 * connection that never retransmits holds a bounded list.
 */
import { describe, expect, it } from 'vitest';
import { TCP_ACK, TCP_PSH } from '../../src/wire/tcp.js';
import { FakeEnv, LOCAL_ISS, PLAIN, REMOTE_ISS, bytes, established, expectSent, peer } from './helpers.js';

describe('pushEnds', () => {
  it('stays bounded by the data in flight across 1000 acknowledged writes', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    let seq = LOCAL_ISS + 1;
    for (let i = 0; i < 1000; i++) {
      c.send(bytes(100, i));
      expectSent(env, { flags: TCP_PSH | TCP_ACK, seq, payloadLen: 100 });
      seq += 100;
      c.input(peer({ flags: TCP_ACK, seq: REMOTE_ISS + 1, ack: seq }));
      env.sent.length = 0;
    }
    expect(c.pushEnds.length).toBeLessThanOrEqual(1);
  });
});
