import { describe, expect, it } from 'vitest';
import { TCP_ACK, TCP_PSH } from '../../src/wire/tcp.js';
import { FakeEnv, LOCAL_ISS, PLAIN, REMOTE_ISS, bytes, established, expectNothing, expectSent, peer } from './helpers.js';

const L = LOCAL_ISS + 1;
const R = REMOTE_ISS + 1;
const PA = TCP_PSH | TCP_ACK;

describe('retransmission timeout (RFC 6298)', () => {
  it('estimates SRTT/RTTVAR from Karn-safe samples and keeps RTO >= rtoMin (RFC 6298 §2)', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.send(bytes(10));
    env.clock.advance(100);
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 10 }));
    const i = c.info();
    // First sample was the handshake's 0 ms (counted as 1 µs, as Linux tcp_rtt_estimator); second 100 ms.
    expect(i.srtt).toBeCloseTo(0.875 * 0.001 + 0.125 * 100, 5);
    expect(i.rto).toBeGreaterThanOrEqual(200);
  });

  it('backs off 200, 400, 800 ms and retransmits from SND.UNA with cwnd = 1 MSS (RFC 6298 §5.5, RFC 5681 §3.1)', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.send(bytes(3000));
    expect(env.sent.length).toBe(3);
    env.sent.length = 0;
    env.clock.runUntil(200);
    expectSent(env, { at: 200, seq: L, payloadLen: 1460 });
    expectNothing(env);
    const i = c.info();
    expect(i.cwnd).toBe(1460);
    // CUBIC (the default, RFC 9438 §4.6): ssthresh = β·cwnd = 0.7 · 10 segments, from cwnd as Linux does.
    expect(i.ssthresh).toBe(7 * 1460);
    expect(i.caState).toBe('loss');
    env.clock.runUntil(600);
    expectSent(env, { at: 600, seq: L, payloadLen: 1460 });
    env.clock.runUntil(1400);
    expectSent(env, { at: 1400, seq: L, payloadLen: 1460 });
    // The ACK resets the backoff and go-back-N continues from the new SND.UNA, in slow start.
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 1460 }));
    expectSent(env, { seq: L + 1460, payloadLen: 1460 });
    expectSent(env, { seq: L + 2920, payloadLen: 80 });
    expect(c.info().retransmits).toBe(0);
    expect(c.info().totalRetrans).toBe(3);
  });

  it('gives up after maxRetries with ETIMEDOUT', () => {
    const env = new FakeEnv({ ...PLAIN, maxRetries: 3 });
    const { c, h } = established(env);
    c.send(bytes(10));
    env.clock.runUntil(200 + 400 + 800 - 1);
    expect(h.events).toEqual([]);
    env.clock.runUntil(200 + 400 + 800 + 1600);
    expect(h.events).toEqual(['error:ETIMEDOUT', 'close']);
    expect(c.state).toBe('CLOSED');
  });

  it('user timeout overrides maxRetries, counted from the first transmission (RFC 5482; Linux clamps the RTO to it)', () => {
    const env = new FakeEnv(PLAIN);
    const { c, h } = established(env);
    c.setUserTimeout(1000);
    c.send(bytes(10));
    env.clock.runUntil(999);
    expect(h.events).toEqual([]);
    env.clock.runUntil(1000);
    expect(h.events).toEqual(['error:ETIMEDOUT', 'close']);
  });

  it('caps the RTO at rtoMax', () => {
    const env = new FakeEnv({ ...PLAIN, rtoMax: 1000 });
    const { c } = established(env);
    c.send(bytes(10));
    env.clock.runUntil(200 + 400 + 800);
    env.sent.length = 0;
    env.clock.runUntil(1400 + 999);
    expectNothing(env);
    env.clock.runUntil(2400);
    expectSent(env, { at: 2400, seq: L });
  });
});

describe('fast retransmit and NewReno recovery (RFC 5681 §3.2, RFC 6582)', () => {
  it('retransmits SND.UNA on the third duplicate ACK and leaves recovery at ssthresh on the full ACK', () => {
    const env = new FakeEnv({ ...PLAIN, sndBuf: 1 << 20, congestionControl: 'newreno' });
    const { c } = established(env);
    c.send(bytes(8 * 1460));
    expect(env.sent.length).toBe(8);
    env.sent.length = 0;
    // Segment 1 lost; segments 2..4 produce duplicate ACKs.
    for (let k = 0; k < 2; k++) c.input(peer({ flags: TCP_ACK, seq: R, ack: L }));
    expectNothing(env);
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L }));
    expectSent(env, { seq: L, payloadLen: 1460 });
    expect(c.info().caState).toBe('recovery');
    // Linux tcp_reno_ssthresh: half of cwnd (10 segments).
    expect(c.info().ssthresh).toBe(5 * 1460);
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 8 * 1460 }));
    expect(c.info().caState).toBe('open');
    // RFC 6582 §3.2 option (2), as Linux: ssthresh, not min(ssthresh, FlightSize + SMSS) = 1 MSS here.
    expect(c.info().cwnd).toBe(5 * 1460);
    expect(env.stats.TCPFastRetrans).toBe(1);
  });

  it('partial ACK retransmits the next hole without leaving recovery (RFC 6582 §3.2)', () => {
    const env = new FakeEnv({ ...PLAIN, sndBuf: 1 << 20 });
    const { c } = established(env);
    c.send(bytes(8 * 1460));
    env.sent.length = 0;
    for (let k = 0; k < 3; k++) c.input(peer({ flags: TCP_ACK, seq: R, ack: L }));
    expectSent(env, { seq: L });
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 2 * 1460 }));
    expectSent(env, { seq: L + 2 * 1460, payloadLen: 1460 });
    expect(c.info().caState).toBe('recovery');
  });
});

describe('keepalive (RFC 1122 §4.2.3.6)', () => {
  it('probes with SEG.SEQ = SND.NXT-1 after idle, every interval, then ETIMEDOUT', () => {
    const env = new FakeEnv({ ...PLAIN, keepAliveInterval: 1000, keepAliveProbes: 3 });
    const { c, h } = established(env);
    c.setKeepAlive(true, 10_000);
    expectNothing(env, 9_999);
    env.clock.runUntil(10_000);
    expectSent(env, { at: 10_000, flags: TCP_ACK, seq: L - 1, ack: R, payloadLen: 0 });
    // An answer resets the idle timer.
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L }));
    expectNothing(env, 19_999);
    env.clock.runUntil(20_000);
    expectSent(env, { at: 20_000, seq: L - 1 });
    env.clock.runUntil(21_000);
    expectSent(env, { at: 21_000, seq: L - 1 });
    env.clock.runUntil(22_000);
    expectSent(env, { at: 22_000, seq: L - 1 });
    expect(h.events).toEqual([]);
    env.clock.runUntil(23_000);
    expect(h.events).toEqual(['error:ETIMEDOUT', 'close']);
  });

  it('sends nothing while keepalive is off', () => {
    const env = new FakeEnv(PLAIN);
    established(env);
    expectNothing(env, 10_000_000);
    void PA;
  });
});

describe('info() (the ss -tni view)', () => {
  it('fills every field from the TCB', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env, 30000);
    c.send(bytes(2000));
    c.input(peer({ flags: PA, seq: R, ack: L, payload: 'abc', window: 30000 }));
    const i = c.info();
    expect(i).toMatchObject({
      state: 'ESTABLISHED',
      localPort: 40000,
      remotePort: 80,
      sndUna: L,
      sndNxt: L + 2000,
      sndWnd: 30000,
      rcvNxt: R + 3,
      sendQueue: 2000,
      recvQueue: 3,
      mss: 1460,
      unacked: 2,
      caState: 'open',
      timestamps: false,
      sackOk: false,
    });
    for (const v of Object.values(i)) expect(v).not.toBeUndefined();
  });
});

describe('timer discipline: one wake-up per connection (DESIGN.md, gVisor tcp/timer.go)', () => {
  it('moving the RTO deadline later on each ACK does not arm new clock timers', () => {
    const env = new FakeEnv({ ...PLAIN, sndBuf: 1 << 20 });
    const { c } = established(env);
    let armed = 0;
    const orig = env.clock.setTimer.bind(env.clock);
    env.clock.setTimer = (at, fn) => {
      armed++;
      return orig(at, fn);
    };
    c.setNoDelay(true);
    for (let i = 0; i < 50; i++) {
      c.send(bytes(100));
      env.clock.advance(1);
      c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 100 * (i + 1) }));
    }
    expect(armed).toBeLessThanOrEqual(1);
    // The stale wake-up fires, finds nothing due and leaves nothing behind.
    expect(env.clock.runUntilIdle(10_000)).toBe(true);
    expect(env.sent.filter((s) => s.seg.payload.length > 0).length).toBe(50);
  });
});

describe('regressions found by the sim', () => {
  it('pure ACKs after go-back-N carry SND.MAX, not the rewound SND.NXT (else the peer drops them as unacceptable)', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.send(bytes(3000));
    env.clock.runUntil(200);
    env.sent.length = 0;
    expect(c.info().sndNxt).toBe(L + 1460); // rewound and one segment resent
    c.input(peer({ flags: PA, seq: R, ack: L, payload: 'x' }));
    env.clock.advance(40);
    expectSent(env, { flags: TCP_ACK, seq: L + 3000, ack: R + 1, payloadLen: 0 });
  });

  it('ignores a timestamp echo older than our latest retransmission (it would span the backoff)', () => {
    const env = new FakeEnv({ sack: false, windowScaling: false });
    const { c } = established(env, 65535, { mss: 1460, timestamp: { val: 1, ecr: 0 } });
    c.send(bytes(100));
    const first = expectSent(env, { seq: L });
    env.clock.runUntil(200);
    expectSent(env, { at: 200, seq: L }); // retransmission with a newer TSval
    env.clock.advance(3000);
    const before = c.info().srtt;
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 100, options: { timestamp: { val: 2, ecr: first.options.timestamp!.val } } }));
    expect(c.info().sndUna).toBe(L + 100);
    expect(c.info().srtt).toBe(before);
  });
});

describe('SACK-aware retransmission after RTO (RFC 2018, Linux tcp_timeout_mark_lost)', () => {
  it('resends only the hole, not data the peer SACKed', () => {
    const env = new FakeEnv({ timestamps: false, windowScaling: false, sndBuf: 1 << 20 });
    const { c } = established(env, 65535, { mss: 1460, sackPermitted: true });
    c.send(bytes(3 * 1460));
    expect(env.sent.length).toBe(3);
    env.sent.length = 0;
    // The first segment was lost; the peer SACKs the other two (one dup ACK, and no more than
    // (DupThresh - 1) SMSS SACKed: not lost by RFC 6675 §4 IsLost, so no fast retransmit).
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, options: { sack: [[L + 1460, L + 3 * 1460]] } }));
    expect(c.info().sacked).toBe(2);
    // RACK (RFC 8985 §6.3) resends the hole once its reordering window has passed; with that
    // lost too, the RTOs (with backoff) resend only the hole as well.
    env.clock.runUntil(1000);
    expect(env.stats.TCPTimeouts).toBeGreaterThanOrEqual(2);
    expect(env.sent.length).toBeGreaterThanOrEqual(3);
    expect(env.sent.every((s) => s.seg.seq === L && s.seg.payload.length === 1460)).toBe(true);
    env.sent.length = 0;
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 3 * 1460 }));
    expectNothing(env, 5000);
    expect(c.info().sndUna).toBe(L + 3 * 1460);
  });
});
