/**
 * Loss recovery with SACK against a Linux receiver's habits (found by
 * test/linux/stack-loss-linux.test.ts: at 5% loss a 16 MiB download took
 * over 25 s, most losses ending in a 200 ms RTO). Each test names the rule
 * whose absence sent a loss to the RTO.
 */
import { describe, expect, it } from 'vitest';
import { TCP_ACK } from '../../src/wire/tcp.js';
import { FakeEnv, LOCAL_ISS, REMOTE_ISS, bytes, established, expectNothing, expectSent, peer } from './helpers.js';

const L = LOCAL_ISS + 1;
const R = REMOTE_ISS + 1;
const MSS = 1460;

function sackConn() {
  const env = new FakeEnv({ timestamps: false, windowScaling: false, sndBuf: 1 << 20 });
  const { c } = established(env, 65535, { mss: MSS, sackPermitted: true });
  c.send(bytes(40 * MSS));
  const first = env.sent.length;
  expect(first).toBeGreaterThanOrEqual(10); // RFC 6928 initial window
  env.sent.length = 0;
  /** The peer's ACK of nothing new, SACKing [L + from·MSS, L + to·MSS). */
  const sackAck = (from: number, to: number, window = 65535) =>
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, window, options: { sack: [[L + from * MSS, L + to * MSS]] } }));
  return { env, c, first, sackAck };
}

describe('SACK loss recovery (RFC 6675, RFC 3042, RFC 8985)', () => {
  it('an ACK bringing new SACK information is a duplicate ACK even if the window moved; a repeated one is not (RFC 6675 §2)', () => {
    const { env, c, first, sackAck } = sackConn();
    // Linux's receiver opens its window while the application reads: RFC 5681's
    // "window unchanged" would disqualify every one of these.
    sackAck(1, 2, 60000);
    expect(c.recovery.dupAcks).toBe(1);
    sackAck(1, 2, 60000); // the same ACK again (duplicated by the network): no new SACK information
    expect(c.recovery.dupAcks).toBe(1);
    sackAck(1, 3, 50000);
    expect(c.recovery.dupAcks).toBe(2);
    // RFC 3042 Limited Transmit sent one new segment per duplicate ACK.
    expectSent(env, { seq: L + first * MSS, payloadLen: MSS });
    expectSent(env, { seq: L + (first + 1) * MSS, payloadLen: MSS });
    expectNothing(env);
  });

  it('Limited Transmit: each of the first two duplicate ACKs lets one new segment out, cwnd unchanged (RFC 3042 §2)', () => {
    const env = new FakeEnv({ timestamps: false, sack: false, windowScaling: false, sndBuf: 1 << 20 });
    const { c } = established(env);
    c.send(bytes(40 * MSS));
    const first = env.sent.length;
    const cwnd = c.info().cwnd;
    env.sent.length = 0;
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L }));
    expectSent(env, { seq: L + first * MSS, payloadLen: MSS });
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L }));
    expectSent(env, { seq: L + (first + 1) * MSS, payloadLen: MSS });
    expectNothing(env);
    expect(c.info().cwnd).toBe(cwnd);
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L }));
    expectSent(env, { seq: L, payloadLen: MSS }); // third: fast retransmit
  });

  it('one duplicate ACK SACKing more than 2 SMSS above SND.UNA starts fast retransmit (RFC 6675 §4 IsLost)', () => {
    // Linux ACKs coalesced (GRO) segments: three segments beyond a hole may come in one ACK.
    const { env, c, sackAck } = sackConn();
    sackAck(1, 4);
    expect(c.recovery.dupAcks).toBe(1);
    expect(c.info().caState).toBe('recovery');
    expectSent(env, { seq: L, payloadLen: MSS });
    expect(env.stats.TCPFastRetrans).toBe(1);
  });

  it('SACK blocks on a segment carrying data count too: full duplex, the peer ACKs on its data (Linux)', () => {
    const { env, c } = sackConn();
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, payload: bytes(100), options: { sack: [[L + MSS, L + 2 * MSS]] } }));
    expect(c.recovery.dupAcks).toBe(1);
    c.input(peer({ flags: TCP_ACK, seq: R + 100, ack: L, payload: bytes(100), options: { sack: [[L + MSS, L + 4 * MSS]] } }));
    expect(c.info().caState).toBe('recovery');
    expect(env.sent.some((s) => s.seg.seq === L && s.seg.payload.length === MSS)).toBe(true);
    // Without SACK blocks a segment with data is never a duplicate ACK (RFC 5681 §2).
    c.input(peer({ flags: TCP_ACK, seq: R + 200, ack: L, payload: bytes(100) }));
    expect(c.recovery.dupAcks).toBe(2);
  });

  it('during recovery new data flows while pipe (outstanding minus SACKed) is below ssthresh (RFC 6675 §5 (C))', () => {
    const { env, c, first, sackAck } = sackConn();
    sackAck(1, 4);
    expectSent(env, { seq: L });
    env.sent.length = 0;
    const ssthresh = c.info().ssthresh;
    // Nearly the whole flight SACKed: pipe is one segment (the hole).
    sackAck(1, first);
    const fresh = env.sent.filter((s) => s.seg.seq >= L + first * MSS);
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.length * MSS).toBeLessThanOrEqual(ssthresh);
  });

  it('a lost retransmission is resent as soon as data sent after it is SACKed, not at the RTO (RFC 8985 §6.2, Linux)', () => {
    const { env, first, sackAck } = sackConn();
    sackAck(1, 4);
    expectSent(env, { at: 0, seq: L }); // fast retransmit, lost again
    sackAck(1, first); // lets new data out beyond what was sent before the retransmission
    const newest = Math.max(...env.sent.map((s) => s.seg.seq));
    expect(newest).toBeGreaterThanOrEqual(L + first * MSS);
    env.sent.length = 0;
    env.clock.advance(5);
    sackAck(1, first + 1); // a segment sent after the retransmission arrived; the retransmission did not
    expectSent(env, { at: 5, seq: L, payloadLen: MSS });
    expect(env.stats.TCPLostRetransmit).toBe(1);
    // Not on every further SACK: once per retransmission.
    sackAck(1, first + 1);
    expect(env.sent.filter((s) => s.seg.seq === L)).toHaveLength(0);
  });

  it('the full ACK ends recovery with cwnd = ssthresh (RFC 6582 §3.2 option 2, Linux), not one segment', () => {
    const { c, first, sackAck } = sackConn();
    sackAck(1, 4);
    const ssthresh = c.info().ssthresh;
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + first * MSS }));
    c.input(peer({ flags: TCP_ACK, seq: R, ack: c.info().sndNxt }));
    expect(c.info().caState).toBe('open');
    expect(c.info().cwnd).toBeGreaterThanOrEqual(ssthresh);
  });
});

describe('tail loss probe (RFC 8985 §7)', () => {
  it('with no ACK for ~2 RTT, one new segment probes for the tail instead of waiting for the RTO (§7.2–7.3)', () => {
    const { env, c, first } = sackConn();
    // Nothing comes back: the flight's last ACKs were lost. SRTT is 1 ms (handshake), so the
    // probe is due at 2·SRTT + 2 ms (Linux), long before the 200 ms RTO.
    const pto = 2 * c.info().srtt + 2;
    expect(pto).toBeLessThan(10);
    expectNothing(env, pto - 0.5);
    env.clock.runUntil(pto);
    expectSent(env, { at: pto, seq: L + first * MSS, payloadLen: MSS });
    expect(env.stats.TCPLossProbes).toBe(1);
    expect(env.stats.TCPTimeouts ?? 0).toBe(0);
    expect(c.info().cwnd).toBeGreaterThanOrEqual(first * MSS); // a probe is not a congestion signal
    // One probe per episode: the RTO follows if it is not answered.
    expectNothing(env, pto + 199);
    env.clock.runUntil(pto + 200);
    expectSent(env, { at: pto + 200, seq: L });
    expect(env.stats.TCPTimeouts).toBe(1);
  });

  it('a lone segment whose PTO (2·SRTT + 200 ms) is past the RTO is probed at the RTO time instead (Linux tcp_schedule_loss_probe)', () => {
    const env = new FakeEnv({ timestamps: false, windowScaling: false, sndBuf: 1 << 20 });
    const { c } = established(env, 65535, { mss: MSS, sackPermitted: true });
    c.send(bytes(100));
    expectSent(env, { at: 0, seq: L, payloadLen: 100 });
    // Handshake RTT 0: Linux's RTO = (srtt_us >> 3) + max(mdev, tcp_rto_min) = 200 ms.
    expect(c.info().rto).toBe(200);
    expectNothing(env, 199.9);
    env.clock.runUntil(200);
    expectSent(env, { at: 200, seq: L, payloadLen: 100 });
    expect(env.stats.TCPLossProbes).toBe(1);
    expect(env.stats.TCPTimeouts ?? 0).toBe(0);
    // The probe re-armed the full RTO: the timeout follows 200 ms later.
    expectNothing(env, 399.9);
    env.clock.runUntil(400);
    expectSent(env, { at: 400, seq: L, payloadLen: 100 });
    expect(env.stats.TCPTimeouts).toBe(1);
  });

  it('tcp_early_retrans other than 3 or 4 turns the probe off: the RTO repairs the tail (Linux tcp_schedule_loss_probe)', () => {
    for (const [er, probes] of [[0, 0], [2, 0], [3, 1], [4, 1]] as const) {
      const env = new FakeEnv({ timestamps: false, windowScaling: false, sndBuf: 1 << 20, earlyRetrans: er });
      const { c } = established(env, 65535, { mss: MSS, sackPermitted: true });
      c.send(bytes(4 * MSS));
      env.clock.runUntil(150);
      expect(env.stats.TCPLossProbes ?? 0, `tcp_early_retrans=${er}`).toBe(probes);
      env.clock.runUntil(1000);
      expect(env.stats.TCPTimeouts ?? 0).toBeGreaterThanOrEqual(1);
    }
  });

  it('without new data to send, the probe is the last segment again (§7.3)', () => {
    const env = new FakeEnv({ timestamps: false, windowScaling: false, sndBuf: 1 << 20 });
    const { c } = established(env, 65535, { mss: MSS, sackPermitted: true });
    c.send(bytes(4 * MSS));
    env.sent.length = 0;
    env.clock.runUntil(10);
    expectSent(env, { seq: L + 3 * MSS, payloadLen: MSS });
    expectNothing(env, 100);
  });

  it('no probe while SACK blocks already show what is missing (Linux: TCP_CA_Open only)', () => {
    const { env, sackAck } = sackConn();
    sackAck(1, 2);
    env.sent.length = 0; // Limited Transmit's segment
    // What leaves before the RTO is RACK's resend of the hole (RFC 8985 §6.3), never a probe.
    env.clock.runUntil(199);
    expect(env.sent.every((s) => s.seg.seq === L)).toBe(true);
    expect(env.stats.TCPLossProbes ?? 0).toBe(0);
  });

  it('the probe timer restarts with each new segment sent and is off without SACK (§7.2)', () => {
    const { env, c, first } = sackConn();
    env.clock.advance(5);
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 2 * MSS })); // more segments go out at 5
    const next = Math.max(...env.sent.map((s) => s.seg.seq)) + MSS;
    expect(next).toBeGreaterThan(L + first * MSS);
    env.sent.length = 0;
    const pto = 2 * c.info().srtt + 2;
    expectNothing(env, 5 + pto - 0.5);
    env.clock.runUntil(5 + pto);
    expectSent(env, { at: 5 + pto, seq: next });

    const plain = new FakeEnv({ timestamps: false, sack: false, windowScaling: false, sndBuf: 1 << 20 });
    const p = established(plain);
    p.c.send(bytes(20 * MSS));
    plain.sent.length = 0;
    expectNothing(plain, 199);
  });
});
