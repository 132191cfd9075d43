/**
 * Regression: the sequence number of a pure ACK when the peer's window is
 * zero and some of our data beyond its RCV.NXT was lost. RFC 9293 §3.10.7.4
 * lets a receiver with RCV.WND = 0 accept only SEG.SEQ = RCV.NXT, so an ACK
 * at SND.MAX is dropped unread and the acknowledgment it carries is lost.
 * Linux sends such ACKs at the peer's right edge (tcp_acceptable_seq). Found
 * by test/sim/stress-socket.test.ts (socket.pipe(socket) echo with 16 KiB
 * buffers, "seed 2"): each side waited for the other forever.
 */
import { describe, expect, it } from 'vitest';
import { TCP_ACK, TCP_PSH } from '../../src/wire/tcp.js';
import { FakeEnv, LOCAL_ISS, PLAIN, REMOTE_ISS, bytes, established, expectSent, peer } from './helpers.js';

const L = LOCAL_ISS + 1;
const R = REMOTE_ISS + 1;

describe('pure ACK sequence number against a zero window (RFC 9293 §3.10.7.4, Linux tcp_acceptable_seq)', () => {
  it('is the peer right edge (SND.UNA + SND.WND) when SND.MAX lies beyond it', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env, 2920);
    c.send(bytes(2920));
    expectSent(env, { seq: L, payloadLen: 1460 });
    expectSent(env, { seq: L + 1460, payloadLen: 1460 });
    // The second segment was lost; the peer's buffer is full: window 0 at L + 1460.
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 1460, window: 0 }));
    expect(c.info().sndWnd).toBe(0);
    // The peer sends data; our ACK of it must be acceptable to a zero window.
    c.input(peer({ flags: TCP_PSH | TCP_ACK, seq: R, ack: L + 1460, window: 0, payload: bytes(100) }));
    env.clock.runUntil(100); // delayed ACK
    const ack = env.sent.find((s) => s.seg.payload.length === 0 && s.seg.ack === R + 100);
    expect(ack?.seg.seq, 'ACK sequence number').toBe(L + 1460);
  });

  it('stays SND.MAX while SND.MAX is within the peer window', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env, 65535);
    c.send(bytes(1460));
    expectSent(env, { seq: L, payloadLen: 1460 });
    c.input(peer({ flags: TCP_PSH | TCP_ACK, seq: R, ack: L, window: 65535, payload: bytes(100) }));
    env.clock.runUntil(100);
    expectSent(env, { flags: TCP_ACK, seq: L + 1460, ack: R + 100, payloadLen: 0 });
  });
});
