/** RACK time-based loss detection (RFC 8985 §6): lost after the reordering window, not before. */
import { describe, expect, it } from 'vitest';
import { Rack } from '../../src/tcp/rack.js';
import { reoWnd } from '../../src/tcp/recovery.js';
import { TCP_ACK } from '../../src/wire/tcp.js';
import { FakeEnv, LOCAL_ISS, REMOTE_ISS, bytes, established, peer } from './helpers.js';

const L = LOCAL_ISS + 1;
const R = REMOTE_ISS + 1;
const MSS = 1460;

describe('Rack (RFC 8985 §6.2)', () => {
  function sent(): Rack {
    const k = new Rack();
    for (let i = 0; i < 10; i++) k.onSent(i * 100, (i + 1) * 100, i); // segment i leaves at t = i ms
    return k;
  }

  it('a segment sent before a delivered one is lost once RACK.rtt + reo_wnd has passed since it was sent', () => {
    const k = sent();
    k.delivered(550, 100); // segment 5 (sent at 5) arrives at 100: RACK.rtt = 95
    expect(k.rtt).toBe(95);
    k.detect(104.9, 10);
    expect(k.boundary).toBeUndefined(); // segment 0 is still inside the window
    expect(k.deadline).toBe(0 + 95 + 10);
    k.detect(105, 10);
    expect(k.boundary).toBe(100); // segment 0 lost
    expect(k.deadline).toBe(1 + 95 + 10); // segment 1 next
    k.detect(200, 10);
    expect(k.boundary).toBe(600); // everything sent up to the delivered segment; nothing after it
    expect(k.deadline).toBe(Infinity);
  });

  it('segments sent after the latest delivered one are never marked', () => {
    const k = sent();
    k.delivered(150, 50);
    k.detect(1000, 0);
    expect(k.boundary).toBe(200);
  });
});

describe('RACK in a connection', () => {
  it('one SACKed segment: the hole is retransmitted when the reordering timer fires, not before (§6.3)', () => {
    const env = new FakeEnv({ timestamps: false, windowScaling: false, sndBuf: 1 << 20 });
    const { c } = established(env, 65535, { mss: MSS, sackPermitted: true });
    env.clock.advance(10);
    c.send(bytes(10 * MSS));
    env.sent.length = 0;
    env.clock.advance(10);
    // Segment 1 arrives, segment 0 does not (yet): RACK.rtt = 10 ms, reo_wnd = min RTT / 4.
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, options: { sack: [[L + MSS, L + 2 * MSS]] } }));
    const reo = c.rtt.minRtt / 4;
    expect(c.reoAt).toBeCloseTo(10 + 10 + reo + 2, 6); // + TCP_TIMEOUT_MIN, as Linux
    env.clock.runUntil(c.reoAt - 0.01);
    expect(env.sent.filter((s) => s.seg.seq === L)).toHaveLength(0);
    expect(c.info().caState).toBe('disorder');
    env.clock.runUntil(c.reoAt);
    expect(env.sent.filter((s) => s.seg.seq === L)).toHaveLength(1);
    expect(c.info().caState).toBe('recovery');
    expect(env.stats.TCPTimeouts ?? 0).toBe(0);
  });

  it('the late original filling the hole first is reordering, and widens the window from then on (§6.2 step 3)', () => {
    const env = new FakeEnv({ timestamps: false, windowScaling: false, sndBuf: 1 << 20 });
    const { c } = established(env, 65535, { mss: MSS, sackPermitted: true });
    c.send(bytes(10 * MSS));
    env.clock.advance(5);
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, options: { sack: [[L + MSS, L + 2 * MSS]] } }));
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 2 * MSS }));
    expect(c.recovery.rack.reorderSeen).toBe(true);
    expect(env.stats.TCPFastRetrans ?? 0).toBe(0);
  });
});

describe('RACK reordering window growth on D-SACK (RFC 8985 §6.2 step 4)', () => {
  it('reo_wnd_mult rises once per round trip with D-SACKs and falls back to 1 after 16 recoveries without', () => {
    const k = new Rack();
    k.onDsack(100, 1000);
    expect(k.reoWndMult).toBe(2);
    expect(k.reorderSeen).toBe(true);
    k.onDsack(500, 1500); // same round (SND.UNA has not passed 1000): no second step
    expect(k.reoWndMult).toBe(2);
    k.onDsack(1000, 2000);
    expect(k.reoWndMult).toBe(3);
    for (let i = 0; i < 15; i++) k.onRecoveryExit();
    expect(k.reoWndMult).toBe(3);
    k.onRecoveryExit();
    expect(k.reoWndMult).toBe(1);
  });

  it('a D-SACK for a spurious fast retransmit widens the window: RACK waits min_rtt/4 · mult, capped at SRTT', () => {
    const env = new FakeEnv({ timestamps: false, windowScaling: false, sndBuf: 1 << 20 });
    const { c } = established(env, 65535, { mss: MSS, sackPermitted: true });
    env.clock.advance(40);
    c.send(bytes(20 * MSS));
    env.clock.advance(40);
    // Segment 0 held back: three later segments SACKed → DupThresh-style fast retransmit (no reordering seen yet).
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, options: { sack: [[L + MSS, L + 4 * MSS]] } }));
    expect(env.sent.filter((s) => s.seg.seq === L && s.seg.payload.length > 0).length).toBe(2);
    expect(c.info().caState).toBe('recovery');
    const before = reoWnd(c);
    // The original arrives after all; the peer D-SACKs the retransmission (RFC 2883 §4).
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 4 * MSS, options: { sack: [[L, L + MSS]] } }));
    expect(c.recovery.rack.reorderSeen).toBe(true);
    expect(c.recovery.rack.reoWndMult).toBe(2);
    expect(reoWnd(c)).toBeCloseTo(Math.min((c.rtt.minRtt * 2) / 4, c.rtt.srtt), 9);
    expect(reoWnd(c)).toBeGreaterThan(before);
    // From now on three SACKed segments alone do not make a loss: RACK waits out its window (§6.2 step 5).
    const n = env.sent.length;
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 4 * MSS, options: { sack: [[L + 5 * MSS, L + 9 * MSS]] } }));
    expect(env.sent.slice(n).filter((s) => s.seg.seq === L + 4 * MSS)).toHaveLength(0);
    env.clock.runUntil(c.reoAt);
    expect(env.sent.slice(n).filter((s) => s.seg.seq === L + 4 * MSS)).toHaveLength(1);
  });
});

describe('RTT samples from send times (Linux tcp_clean_rtx_queue first_ackt)', () => {
  it('a sub-millisecond round trip is measured as such even with timestamps (their unit is 1 ms)', () => {
    const env = new FakeEnv({ timestamps: true, windowScaling: false, sndBuf: 1 << 20, mss: MSS + 12 });
    const { c } = established(env, 65535, { mss: MSS + 12, timestamp: { val: 1, ecr: 0 } });
    c.send(bytes(2 * MSS));
    env.clock.advance(0.25);
    const val = env.sent.at(-1)!.seg.options.timestamp!.val;
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 2 * MSS, options: { timestamp: { val: 2, ecr: val } } }));
    expect(c.rtt.latest).toBeCloseTo(0.25, 9); // the echo would say 0 ms (same ms tick)
  });

  it('Karn: once the head was retransmitted the send time is not used, the echo is', () => {
    const env = new FakeEnv({ timestamps: true, windowScaling: false, sndBuf: 1 << 20, mss: MSS + 12 });
    const { c } = established(env, 65535, { mss: MSS + 12, timestamp: { val: 1, ecr: 0 } });
    c.send(bytes(MSS));
    const first = env.sent.at(-1)!.seg.options.timestamp!.val;
    env.clock.runUntil(c.rtoAt); // RTO: the head goes again
    const again = env.sent.at(-1)!.seg.options.timestamp!.val;
    expect(again).toBeGreaterThan(first);
    env.clock.advance(3);
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + MSS, options: { timestamp: { val: 2, ecr: again } } }));
    expect(c.rtt.latest).toBe(3); // from the echo of the retransmission, whole ms
  });
});
