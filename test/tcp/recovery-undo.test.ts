/**
 * RFC 6675 NextSeg rule 1 (every lost hole resent within one round trip),
 * and undo of reductions that timestamps prove spurious (RFC 3522 Eifel,
 * Linux tcp_try_undo_recovery / tcp_try_undo_loss).
 */
import { describe, expect, it } from 'vitest';
import { TCP_ACK } from '../../src/wire/tcp.js';
import { FakeEnv, LOCAL_ISS, REMOTE_ISS, bytes, established, peer } from './helpers.js';

const L = LOCAL_ISS + 1;
const R = REMOTE_ISS + 1;
const MSS = 1460;

function conn(ts: boolean) {
  const env = new FakeEnv({ timestamps: ts, windowScaling: false, sndBuf: 1 << 20, mss: MSS + 12 });
  // With timestamps the segments carry 12 option bytes: MSS + 12 keeps MSS-byte payloads.
  const opts = ts ? { mss: MSS + 12, sackPermitted: true, timestamp: { val: 1, ecr: 0 } } : { mss: MSS, sackPermitted: true };
  const { c } = established(env, 65535, opts);
  env.clock.advance(10);
  c.send(bytes(40 * MSS));
  const first = env.sent.length;
  const tsvals = env.sent.map((s) => s.seg.options.timestamp?.val ?? 0);
  env.sent.length = 0;
  return { env, c, first, tsvals, m: c.info().mss };
}

describe('SACK recovery, NextSeg rule 1 (RFC 6675 §4–5)', () => {
  it('three holes SACKed around are all resent on the ACKs of one round trip, not one per RTT', () => {
    const { env, c } = conn(false);
    // Holes at segments 0, 3, 6; everything else up to 9 SACKed.
    const sacks: Array<[number, number]> = [];
    const ack = (blocks: Array<[number, number]>) =>
      c.input(peer({ flags: TCP_ACK, seq: R, ack: L, options: { sack: blocks.map(([a, b]) => [L + a * MSS, L + b * MSS] as [number, number]) } }));
    sacks.push([1, 3]);
    ack(sacks);
    ack([[1, 3], [4, 6]]);
    ack([[7, 10], [4, 6], [1, 3]]);
    const resent = env.sent.filter((s) => s.seg.seq < L + 10 * MSS).map((s) => (s.seg.seq - L) / MSS);
    expect(resent).toEqual(expect.arrayContaining([0, 3, 6]));
    expect(env.stats.TCPTimeouts ?? 0).toBe(0);
    expect(c.info().caState).toBe('recovery');
  });
});

describe('undo (RFC 3522 Eifel, Linux tcp_try_undo_*)', () => {
  it('a full ACK echoing a timestamp older than the fast retransmit restores cwnd and ssthresh', () => {
    const { env, c, tsvals, m } = conn(true);
    const cwnd = c.info().cwnd;
    env.clock.advance(5);
    // Reordering, not loss: three segments beyond the head arrive first.
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, options: { timestamp: { val: 2, ecr: tsvals[0] }, sack: [[L + m, L + 4 * m]] } }));
    expect(c.info().caState).toBe('recovery');
    expect(c.info().cwnd).toBeLessThan(cwnd);
    // Then the original head: the ACK for everything echoes the head's original TSval.
    c.input(peer({ flags: TCP_ACK, seq: R, ack: c.tcb.sndMax, options: { timestamp: { val: 3, ecr: tsvals[0] } } }));
    expect(env.stats.TCPFullUndo).toBe(1);
    expect(c.info().caState).toBe('open');
    expect(c.info().cwnd).toBeGreaterThanOrEqual(cwnd);
  });

  it('a real loss is not undone: the ACK echoes the retransmission', () => {
    const { env, c, m } = conn(true);
    env.clock.advance(5);
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, options: { timestamp: { val: 2, ecr: 1 }, sack: [[L + m, L + 4 * m]] } }));
    const rtx = env.sent.find((s) => s.seg.seq === L)!;
    const ssthresh = c.info().ssthresh;
    c.input(peer({ flags: TCP_ACK, seq: R, ack: c.tcb.sndMax, options: { timestamp: { val: 3, ecr: rtx.seg.options.timestamp!.val } } }));
    expect(env.stats.TCPFullUndo ?? 0).toBe(0);
    expect(c.info().cwnd).toBe(ssthresh);
  });

  it('a spurious RTO (the ACK echoes the original transmission) restores cwnd and skips the go-back-N resends', () => {
    const { env, c, tsvals, m } = conn(true);
    const cwnd = c.info().cwnd;
    while (!env.stats.TCPTimeouts) env.clock.runUntil(env.clock.now() + 1); // tail probe, then the RTO
    expect(c.info().cwnd).toBe(m);
    const sndMax = c.tcb.sndMax;
    env.sent.length = 0;
    // The delayed ACK of the original flight arrives.
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 2 * m, options: { timestamp: { val: 2, ecr: tsvals[1] } } }));
    expect(env.stats.TCPLossUndo).toBe(1);
    expect(c.info().cwnd).toBeGreaterThanOrEqual(cwnd);
    // Nothing below SND.MAX is sent again: what follows is new data.
    expect(env.sent.length).toBeGreaterThan(0);
    expect(env.sent.every((s) => s.seg.seq >= sndMax)).toBe(true);
  });
});

describe('D-SACK undo (RFC 2883 §4, RFC 3708, Linux tcp_try_undo_dsack)', () => {
  it('when every retransmission of the episode comes back D-SACKed, cwnd and ssthresh are restored', () => {
    const { env, c } = conn(false);
    const cwnd = c.info().cwnd;
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, options: { sack: [[L + MSS, L + 4 * MSS]] } }));
    expect(env.sent.filter((s) => s.seg.seq === L)).toHaveLength(1); // one retransmission
    const end = c.tcb.sndMax;
    c.input(peer({ flags: TCP_ACK, seq: R, ack: end }));
    expect(c.info().caState).toBe('open');
    expect(c.info().cwnd).toBeLessThan(cwnd);
    // The original arrived after all (it was only delayed): the retransmission is reported as a duplicate.
    c.input(peer({ flags: TCP_ACK, seq: R, ack: end, options: { sack: [[L, L + MSS]] } }));
    expect(env.stats.TCPDSACKUndo).toBe(1);
    expect(c.info().cwnd).toBeGreaterThanOrEqual(cwnd);
  });

  it('a D-SACK for only some of the retransmissions undoes nothing', () => {
    const { env, c } = conn(false);
    // Two holes: segments 0 and 4 are resent.
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, options: { sack: [[L + 5 * MSS, L + 8 * MSS], [L + MSS, L + 4 * MSS]] } }));
    expect(env.sent.filter((s) => s.seg.seq === L || s.seg.seq === L + 4 * MSS)).toHaveLength(2);
    const end = c.tcb.sndMax;
    c.input(peer({ flags: TCP_ACK, seq: R, ack: end }));
    const after = c.info().cwnd;
    c.input(peer({ flags: TCP_ACK, seq: R, ack: end, options: { sack: [[L, L + MSS]] } }));
    expect(env.stats.TCPDSACKRecv).toBe(1);
    expect(env.stats.TCPDSACKUndo ?? 0).toBe(0);
    expect(c.info().cwnd).toBe(after);
  });
});
