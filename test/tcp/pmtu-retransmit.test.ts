/**
 * A path MTU reduction resends only what cannot fit (RFC 1191 §6.4, RFC 9293
 * §3.7.2; Linux tcp_v4_mtu_reduced → tcp_simple_retransmit): the in-flight
 * segments larger than the new MSS, cut to it; the smaller ones are left
 * alone, and no congestion response follows — not even the RACK recovery
 * that resending everything used to trigger one reordering window later
 * (cwnd halved, then undone by D-SACK).
 */
import { describe, expect, it } from 'vitest';
import { TCP_ACK, TCP_SYN } from '../../src/wire/tcp.js';
import { Connection } from '../../src/tcp/connection.js';
import { FakeEnv, LOCAL_ISS, REMOTE_ISS, RecordingHandler, TUPLE, bytes, expectNothing, expectSent, peer } from './helpers.js';

const L = LOCAL_ISS + 1;
const R = REMOTE_ISS + 1;

/** The fake env with a path MTU the test lowers, as the PMTU cache does (src/ip/pmtu.ts). */
class PmtuEnv extends FakeEnv {
  mtu = 1500;
  pathMtu(): number {
    return this.mtu;
  }
}

/** SACK without timestamps: segment sizes are the MSS option minus 40. */
function setup() {
  const env = new PmtuEnv({ timestamps: false, windowScaling: false });
  // Handshake and one data segment, each a 10 ms round trip, so SRTT is
  // 10 ms (RACK and the loss probe time by it; sub-ms samples count).
  const c = Connection.connect(env, TUPLE, LOCAL_ISS, new RecordingHandler());
  env.clock.runUntil(10);
  c.input(peer({ flags: TCP_SYN | TCP_ACK, seq: REMOTE_ISS, ack: LOCAL_ISS + 1, window: 65535, options: { mss: 1460, sackPermitted: true } }));
  env.sent.length = 0;
  c.setNoDelay(true);
  c.send(bytes(100));
  expectSent(env, { seq: L, payloadLen: 100 });
  env.clock.runUntil(20);
  c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 100 }));
  env.clock.runUntil(100);
  return { env, c, base: L + 100 };
}

describe('path MTU drop: resend only the segments too big for it (Linux tcp_simple_retransmit)', () => {
  it('resends the large segments cut to the new MSS, not the small one, and no recovery follows', () => {
    const { env, c, base } = setup();
    // In flight: 1460, 500, 1460 bytes.
    c.send(bytes(1460));
    c.send(bytes(500));
    c.send(bytes(1460));
    expectSent(env, { at: 100, seq: base, payloadLen: 1460 });
    expectSent(env, { at: 100, seq: base + 1460, payloadLen: 500 });
    expectSent(env, { at: 100, seq: base + 1960, payloadLen: 1460 });
    const cwndSegs = c.cc.cwnd;

    // A router's frag-needed for MTU 1200 (icmp-errors.ts → pathMtuChanged): MSS 1160.
    env.clock.runUntil(105);
    env.mtu = 1200;
    c.pathMtuChanged();
    expect(c.info().mss).toBe(1160);
    expectSent(env, { at: 105, seq: base, payloadLen: 1160 });
    expectSent(env, { at: 105, seq: base + 1160, payloadLen: 300 });
    expectSent(env, { at: 105, seq: base + 1960, payloadLen: 1160 });
    expectSent(env, { at: 105, seq: base + 3120, payloadLen: 300 });
    expect(env.sent, 'the 500-byte segment is not resent').toEqual([]);
    expect(c.cc.cwnd, 'no congestion response: cwnd keeps its segment count').toBe(cwndSegs);
    expect(env.stats.TCPSlowStartRetrans).toBe(4);

    // The small segment got through and is SACKed one RTT after it was sent;
    // the resent pieces are ACKed one RTT after they were. In between, a
    // RACK reordering timer would deem the large originals lost (they were
    // sent before the SACKed one, longer ago than RTT + reo_wnd).
    env.clock.runUntil(110);
    c.input(peer({ flags: TCP_ACK, seq: R, ack: base, options: { sack: [[base + 1460, base + 1960]] } }));
    expectNothing(env, 115);
    c.input(peer({ flags: TCP_ACK, seq: R, ack: base + 3420 }));
    expectNothing(env, 400);
    expect(env.stats.TCPSackRecovery ?? 0, 'no fast recovery').toBe(0);
    expect(env.stats.TCPDSACKUndo ?? 0).toBe(0);
    expect(c.cc.cwnd).toBeGreaterThanOrEqual(cwndSegs);
    expect(c.info().caState).toBe('open');
    expect(c.info().sndUna).toBe(base + 3420);
  });

  it('with only segments that still fit in flight, nothing is resent and the state stays open', () => {
    const { env, c, base } = setup();
    c.send(bytes(500));
    expectSent(env, { seq: base, payloadLen: 500 });
    env.mtu = 1200;
    c.pathMtuChanged();
    expect(c.info().mss).toBe(1160);
    expect(env.sent).toEqual([]);
    expect(c.info().caState).toBe('open');
    // New data goes out in the new size.
    c.send(bytes(2000));
    expectSent(env, { seq: base + 500, payloadLen: 1160 });
  });

  it('resends within the congestion window and the rest as ACKs make room', () => {
    const { env, c, base } = setup();
    // No tail loss probe while in Loss (Linux tcp_schedule_loss_probe: TCP_CA_Open only).
    c.cc.cwnd = 4; // 4 segments: 5840 bytes at MSS 1460, 4640 at 1160
    for (let i = 0; i < 4; i++) c.send(bytes(1460));
    for (let i = 0; i < 4; i++) expectSent(env, { seq: base + i * 1460, payloadLen: 1460 });
    env.mtu = 1200;
    c.pathMtuChanged();
    // Lost bytes leave the flight estimate until resent (Linux tcp_packets_in_flight): the
    // contiguous lost run goes again in new-MSS pieces until they fill cwnd (4 × 1160).
    const first = env.sent.splice(0).map((s) => [s.seg.seq - base, s.seg.payload.length]);
    expect(first).toEqual([
      [0, 1160],
      [1160, 1160],
      [2320, 1160],
      [3480, 1160],
    ]);
    // Two pieces are acknowledged: the last 1200 bytes go (cwnd has grown by the ACK too).
    env.clock.runUntil(110);
    c.input(peer({ flags: TCP_ACK, seq: R, ack: base + 2320 }));
    const rest = env.sent.splice(0).map((s) => [s.seg.seq - base, s.seg.payload.length]);
    expect(rest).toEqual([
      [4640, 1160],
      [5800, 40],
    ]);
    expect(env.stats.TCPSackRecovery ?? 0).toBe(0);
  });
});
