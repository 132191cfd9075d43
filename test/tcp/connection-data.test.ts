import { describe, expect, it } from 'vitest';
import { TCP_ACK, TCP_PSH, TCP_SYN } from '../../src/wire/tcp.js';
import { FakeEnv, LOCAL_ISS, PLAIN, REMOTE_ISS, bytes, established, expectNothing, expectSent, peer } from './helpers.js';

const L = LOCAL_ISS + 1;
const R = REMOTE_ISS + 1;
const PA = TCP_PSH | TCP_ACK;

describe('sending: segmenter, windows, Nagle (RFC 9293 §3.7.4, §3.8.6, RFC 5681 §3.1)', () => {
  it('cuts a write into MSS-sized segments with PSH on the last one', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    expect(c.send(bytes(3000))).toBe(3000);
    expectSent(env, { flags: TCP_ACK, seq: L, payloadLen: 1460, payload: bytes(1460) });
    expectSent(env, { flags: TCP_ACK, seq: L + 1460, payloadLen: 1460 });
    expectSent(env, { flags: PA, seq: L + 2920, payloadLen: 80, payload: bytes(80, 2920) });
    expectNothing(env);
  });

  it('subtracts the timestamp option from the segment size', () => {
    const env = new FakeEnv({ sack: false, windowScaling: false });
    const { c } = established(env, 65535, { mss: 1460, timestamp: { val: 1, ecr: 0 } });
    c.send(bytes(2000));
    expectSent(env, { seq: L, payloadLen: 1448 });
    expectSent(env, { seq: L + 1448, payloadLen: 552 });
  });

  it('never sends beyond the peer window, and holds a window-limited runt (sender SWS, RFC 9293 §3.8.6.2.1)', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env, 3000);
    c.send(bytes(5000));
    expectSent(env, { seq: L, payloadLen: 1460 });
    expectSent(env, { seq: L + 1460, payloadLen: 1460 });
    expectNothing(env); // 80 bytes of window left: less than half the max window, data in flight
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 2920, window: 3000 }));
    expectSent(env, { seq: L + 2920, payloadLen: 1460 });
    expectSent(env, { seq: L + 4380, payloadLen: 620 });
    expectNothing(env);
  });

  it('limits the first flight to the initial window of 10 segments (RFC 6928), slow start grows it (RFC 5681 §3.1)', () => {
    const env = new FakeEnv({ ...PLAIN, sndBuf: 1 << 20 });
    const { c } = established(env, 65535);
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, window: 65535 }));
    env.sent.length = 0;
    expect(c.info().cwnd).toBe(14600);
    c.send(bytes(40000));
    expect(env.sent.length).toBe(10);
    env.sent.length = 0;
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 2920, window: 65535 }));
    // One ACK for 2 segments: cwnd += 2 SMSS (RFC 3465 ABC, L = 2; Linux tcp_slow_start): 2 freed + 2 new = 4 segments.
    expect(c.info().cwnd).toBe(14600 + 2920);
    expect(env.sent.length).toBe(4);
  });

  it('Nagle: a small write waits while data is unacknowledged; setNoDelay sends it (RFC 9293 §3.7.4)', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.send(Buffer.from('a'));
    expectSent(env, { flags: PA, seq: L, payload: 'a' });
    c.send(Buffer.from('b'));
    c.send(Buffer.from('c'));
    expectNothing(env);
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 1 }));
    expectSent(env, { flags: PA, seq: L + 1, payload: 'bc' });
    c.setNoDelay(true);
    c.send(Buffer.from('d'));
    expectSent(env, { flags: PA, seq: L + 3, payload: 'd' });
  });

  it('send buffer: accepts up to sndBuf, then onWritable once ACKs free space', () => {
    const env = new FakeEnv({ ...PLAIN, sndBuf: 4000 });
    const { c, h } = established(env);
    expect(c.send(bytes(5000))).toBe(4000);
    expect(c.sendSpace).toBe(0);
    expect(c.send(bytes(10))).toBe(0);
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 1460 }));
    expect(c.sendSpace).toBe(1460);
    expect(h.events).toEqual(['writable']);
  });
});

describe('receiving: delayed ACK, reordering, windows (RFC 1122 §4.2.3.2, RFC 5681 §4.2, RFC 9293 §3.8.6.2.2)', () => {
  it('ACKs the first data at once (quick-ACK mode, Linux tcp_event_data_recv)', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.input(peer({ flags: PA, seq: R, ack: L, payload: bytes(100) }));
    expectSent(env, { at: 0, flags: TCP_ACK, ack: R + 100 });
    env.clock.advance(10);
    c.input(peer({ flags: PA, seq: R + 100, ack: L, payload: bytes(100) }));
    expectSent(env, { at: 10, flags: TCP_ACK, ack: R + 200 });
  });

  it('in interactive mode delays the ACK of one segment by delayedAckMs and ACKs a second full segment at once', () => {
    const env = new FakeEnv(PLAIN);
    const { c, h } = established(env);
    c.setQuickAck(false);
    c.input(peer({ flags: PA, seq: R, ack: L, payload: bytes(100) }));
    expect(h.events).toEqual(['readable']);
    expectNothing(env, 39);
    env.clock.runUntil(40);
    expectSent(env, { at: 40, flags: TCP_ACK, ack: R + 100 });
    // The timer firing left interactive mode (Linux tcp_delack_timer_handler); re-enter it.
    c.setQuickAck(false);
    c.input(peer({ flags: TCP_ACK, seq: R + 100, ack: L, payload: bytes(1460) }));
    expectNothing(env);
    c.input(peer({ flags: TCP_ACK, seq: R + 1560, ack: L, payload: bytes(1460) }));
    expectSent(env, { at: 40, flags: TCP_ACK, ack: R + 3020 });
    expectNothing(env, 1000);
  });

  it('counts full-sized by the segments seen: two 1448-byte segments (MSS minus TS option) are ACKed at once', () => {
    const env = new FakeEnv({ sack: false, windowScaling: false });
    const { c } = established(env, 65535, { mss: 1460, timestamp: { val: 1, ecr: 0 } });
    c.setQuickAck(false);
    const ts = { timestamp: { val: 2, ecr: 0 } };
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, payload: bytes(1448), options: ts }));
    expectNothing(env);
    c.input(peer({ flags: TCP_ACK, seq: R + 1448, ack: L, payload: bytes(1448), options: ts }));
    expectSent(env, { at: 0, flags: TCP_ACK, ack: R + 2896 });
  });

  it('out-of-order data → immediate duplicate ACK; filling the hole → immediate ACK of everything', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.input(peer({ flags: TCP_ACK, seq: R + 10, ack: L, payload: 'klmnopqrst' }));
    expectSent(env, { flags: TCP_ACK, ack: R });
    c.input(peer({ flags: TCP_ACK, seq: R + 5, ack: L, payload: 'fghijklm' })); // overlaps the held range
    expectSent(env, { flags: TCP_ACK, ack: R });
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, payload: 'abcde' }));
    expectSent(env, { flags: TCP_ACK, ack: R + 20 });
    let all = '';
    for (let b = c.read(); b; b = c.read()) all += b.toString();
    expect(all).toBe('abcdefghijklmnopqrst');
  });

  it('advertises SACK blocks for held data when SACK was negotiated (RFC 2018 §4)', () => {
    const env = new FakeEnv({ timestamps: false, windowScaling: false });
    const { c } = established(env, 65535, { mss: 1460, sackPermitted: true });
    c.input(peer({ flags: TCP_ACK, seq: R + 10, ack: L, payload: bytes(10) }));
    expectSent(env, { flags: TCP_ACK, ack: R, options: { sack: [[R + 10, R + 20]] } });
  });

  it('data segments carrying SACK blocks shrink by the option bytes so the datagram stays within the MTU (RFC 6691, Linux tcp_current_mss)', () => {
    const env = new FakeEnv({ timestamps: false, windowScaling: false });
    const { c } = established(env, 65535, { mss: 1460, sackPermitted: true });
    c.input(peer({ flags: TCP_ACK, seq: R + 10, ack: L, payload: bytes(10) })); // a hole: SACK blocks are owed
    env.sent.length = 0;
    c.send(bytes(3000));
    // One SACK block: kind, length and 8 bytes, padded by two NOPs = 12 option bytes.
    expectSent(env, { flags: TCP_ACK, seq: L, payloadLen: 1460 - 12, options: { sack: [[R + 10, R + 20]] } });
    expectSent(env, { flags: TCP_ACK, seq: L + 1448, payloadLen: 1448 });
    expectSent(env, { seq: L + 2896, payloadLen: 104 });
  });

  it('re-ACKs duplicate data immediately (RFC 9293 §3.10.7.4 first)', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env);
    c.input(peer({ flags: PA, seq: R, ack: L, payload: 'abc' }));
    env.clock.advance(100);
    env.sent.length = 0;
    c.input(peer({ flags: PA, seq: R, ack: L, payload: 'abc' }));
    expectSent(env, { flags: TCP_ACK, ack: R + 3 });
    expect(c.read()?.toString()).toBe('abc');
    expect(c.read()).toBeNull();
  });

  it('shrinks the window as data goes unread and reopens it with a window update after reads', () => {
    const env = new FakeEnv({ ...PLAIN, rcvBuf: 4000 });
    const { c } = established(env);
    c.setQuickAck(false);
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, payload: bytes(1460) }));
    c.input(peer({ flags: TCP_ACK, seq: R + 1460, ack: L, payload: bytes(1460) }));
    // Two full segments, but an ACK now would offer a smaller window: Linux
    // (__tcp_ack_snd_check) leaves it to the read or the delayed-ACK timer.
    expectNothing(env);
    env.clock.advance(40);
    expectSent(env, { flags: TCP_ACK, ack: R + 2920, window: 4000 - 2920 });
    c.input(peer({ flags: TCP_ACK, seq: R + 2920, ack: L, payload: bytes(1080) }));
    env.clock.advance(200);
    expectSent(env, { flags: TCP_ACK, ack: R + 4000, window: 0 });
    // Data beyond a zero window is not accepted; it is answered with an ACK.
    c.input(peer({ flags: TCP_ACK, seq: R + 4000, ack: L, payload: 'x' }));
    expectSent(env, { flags: TCP_ACK, ack: R + 4000, window: 0 });
    c.read();
    expectSent(env, { flags: TCP_ACK, ack: R + 4000, window: 1460 });
  });
});

describe('zero window probing (RFC 9293 §3.8.6.1)', () => {
  it('probes a zero window with <SEQ=SND.UNA-1> at RTO intervals with backoff, and sends when it opens', () => {
    const env = new FakeEnv(PLAIN);
    const { c } = established(env, 0);
    c.send(bytes(100));
    expectNothing(env);
    const rto = c.info().rto;
    expect(rto).toBe(200);
    env.clock.runUntil(rto);
    expectSent(env, { at: rto, flags: TCP_ACK, seq: L - 1, payloadLen: 0 });
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, window: 0 }));
    env.clock.runUntil(rto + 2 * rto);
    expectSent(env, { at: 3 * rto, flags: TCP_ACK, seq: L - 1, payloadLen: 0 });
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, window: 0 }));
    expectNothing(env, 3 * rto + 4 * rto - 1);
    env.clock.runUntil(7 * rto);
    expectSent(env, { at: 7 * rto, seq: L - 1 });
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, window: 1000 }));
    expectSent(env, { flags: PA, seq: L, payloadLen: 100 });
  });
});

describe('options on data segments (RFC 7323 §3)', () => {
  it('echoes TS.Recent and carries our clock in TSval', () => {
    const env = new FakeEnv({ sack: false, windowScaling: false });
    const { c } = established(env, 65535, { mss: 1460, timestamp: { val: 500, ecr: 0 } });
    env.clock.advance(7);
    c.input(peer({ flags: PA, seq: R, ack: L, payload: 'x', options: { timestamp: { val: 600, ecr: 0 } } }));
    const a = expectSent(env, { flags: TCP_ACK, ack: R + 1 });
    expect(a.options.timestamp?.ecr).toBe(600);
    const a2 = a.options.timestamp!.val;
    c.send(Buffer.from('y'));
    const d = expectSent(env, { flags: PA });
    expect(d.options.timestamp?.val).toBe(a2);
  });

  it('TS.Recent attack: an in-window segment acknowledging unsent data does not move TS.Recent, so the real data passes PAWS (RFC 7323 §4.3, Linux tcp_replace_ts_recent)', () => {
    const env = new FakeEnv({ sack: false, windowScaling: false });
    const { c } = established(env, 65535, { mss: 1460, timestamp: { val: 500, ecr: 0 } });
    const forged = { timestamp: { val: 2_000_000_000, ecr: 0 } };
    c.input(peer({ flags: PA, seq: R, ack: L + 90_000, payload: 'evil', options: forged }));
    const challenge = expectSent(env, { flags: TCP_ACK, ack: R });
    expect(challenge.options.timestamp?.ecr).toBe(500);
    expect(c.read()).toBeNull();
    env.clock.advance(600); // past the per-connection challenge-ACK rate limit
    c.input(peer({ flags: PA, seq: R, ack: L, payload: 'real', options: { timestamp: { val: 600, ecr: 0 } } }));
    const a = expectSent(env, { flags: TCP_ACK, ack: R + 4 });
    expect(a.options.timestamp?.ecr).toBe(600);
    expect(c.read()?.toString()).toBe('real');
  });

  it('PAWS exempts a reordered pure duplicate ACK (Linux tcp_disordered_ack) but not data', () => {
    const env = new FakeEnv({ sack: false, windowScaling: false });
    const { c } = established(env, 65535, { mss: 1460, timestamp: { val: 500, ecr: 0 } });
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, options: { timestamp: { val: 510, ecr: 0 } } }));
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, options: { timestamp: { val: 505, ecr: 0 } } }));
    expectNothing(env);
    expect(env.stats.PAWSEstabRejected ?? 0).toBe(0);
    c.input(peer({ flags: PA, seq: R, ack: L, payload: 'x', options: { timestamp: { val: 505, ecr: 0 } } }));
    expectSent(env, { flags: TCP_ACK, ack: R });
    expect(env.stats.PAWSEstabRejected).toBe(1);
  });

  it('PAWS: drops a segment with an older timestamp and re-ACKs (RFC 7323 §5.3)', () => {
    const env = new FakeEnv({ sack: false, windowScaling: false });
    const { c } = established(env, 65535, { mss: 1460, timestamp: { val: 500, ecr: 0 } });
    c.input(peer({ flags: PA, seq: R, ack: L, payload: 'x', options: { timestamp: { val: 400, ecr: 0 } } }));
    expectSent(env, { flags: TCP_ACK, ack: R });
    expect(c.read()).toBeNull();
    void TCP_SYN;
  });
});
