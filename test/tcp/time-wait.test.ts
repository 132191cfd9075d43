import { describe, expect, it } from 'vitest';
import { TimeWaitTable, type TimeWaitHost } from '../../src/tcp/time-wait.js';
import { makeTcpStats } from '../../src/tcp/stats.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpRepr } from '../../src/wire/tcp.js';
import type { TimeWaitRecord } from '../../src/tcp/env.js';

const L = 0x0a000001;
const R = 0x0a000002;
const MSL = 30_000;

function setup(rec: Partial<TimeWaitRecord> = {}) {
  const clock = new VirtualClock(1000);
  const sent: Array<{ seg: TcpRepr; at: number }> = [];
  const host: TimeWaitHost = {
    clock,
    stats: makeTcpStats(),
    twDurationMs: 2 * MSL,
    rfc1337: true,
    sendSegment: (seg) => sent.push({ seg, at: clock.now() }),
  };
  const tw = new TimeWaitTable(host);
  const r: TimeWaitRecord = {
    localAddr: L,
    localPort: 80,
    remoteAddr: R,
    remotePort: 40000,
    sndNxt: 5001,
    rcvNxt: 9001,
    window: 502,
    ...rec,
  };
  tw.add(r);
  return { clock, sent, tw, host };
}

function seg(p: Partial<TcpRepr>): TcpRepr {
  return {
    srcPort: 40000,
    dstPort: 80,
    seq: 9001,
    ack: 5001,
    flags: TCP_ACK,
    window: 100,
    urgent: 0,
    options: {},
    payload: Buffer.alloc(0),
    ...p,
  };
}

describe('TIME_WAIT table (RFC 9293 §3.10.7.4, RFC 1337, RFC 6191)', () => {
  it('expires exactly 2·MSL after entry on the injected clock', () => {
    const { clock, tw } = setup();
    clock.advance(2 * MSL - 1);
    expect(tw.get(L, 80, R, 40000)).toBeDefined();
    clock.advance(1);
    expect(tw.get(L, 80, R, 40000)).toBeUndefined();
    expect(tw.size).toBe(0);
  });

  it('re-ACKs a retransmitted FIN with <SEQ=SND.NXT><ACK=RCV.NXT> and restarts 2·MSL', () => {
    const { clock, sent, tw } = setup();
    clock.advance(10_000);
    expect(tw.input(L, R, seg({ seq: 9000, flags: TCP_FIN | TCP_ACK }))).toBe('done');
    expect(sent).toHaveLength(1);
    expect(sent[0].seg).toMatchObject({ srcPort: 80, dstPort: 40000, seq: 5001, ack: 9001, flags: TCP_ACK, window: 502 });
    // Old deadline (1000 + 60000) passes: still there.
    clock.runUntil(1000 + 2 * MSL);
    expect(tw.get(L, 80, R, 40000)).toBeDefined();
    // New deadline is 11000 + 60000.
    clock.runUntil(11_000 + 2 * MSL - 1);
    expect(tw.get(L, 80, R, 40000)).toBeDefined();
    clock.runUntil(11_000 + 2 * MSL);
    expect(tw.get(L, 80, R, 40000)).toBeUndefined();
  });

  it('ignores RST (RFC 1337): no reply, record kept, counted', () => {
    const { sent, tw, host } = setup();
    expect(tw.input(L, R, seg({ flags: TCP_RST }))).toBe('done');
    expect(sent).toHaveLength(0);
    expect(tw.get(L, 80, R, 40000)).toBeDefined();
    expect(host.stats.dropTimeWaitRst).toBe(1);
  });

  it('ACKs an out-of-window segment, stays silent for an in-order pure ACK', () => {
    const { sent, tw } = setup();
    tw.input(L, R, seg({}));
    expect(sent).toHaveLength(0);
    tw.input(L, R, seg({ seq: 8000, payload: Buffer.from('old') }));
    expect(sent).toHaveLength(1);
    expect(sent[0].seg).toMatchObject({ seq: 5001, ack: 9001, flags: TCP_ACK });
  });

  it('echoes timestamps in its ACK when they were in use (RFC 7323 §3)', () => {
    const { clock, sent, tw } = setup({ tsRecent: 777, tsOffset: 100 });
    tw.input(L, R, seg({ seq: 9000, flags: TCP_FIN | TCP_ACK, options: { timestamp: { val: 800, ecr: 1 } } }));
    expect(sent[0].seg.options.timestamp).toEqual({ val: clock.now() + 100, ecr: 800 });
  });

  it('a SYN above RCV.NXT reopens the tuple (RFC 6191, as Linux) and removes the record', () => {
    const { sent, tw, host } = setup();
    expect(tw.input(L, R, seg({ flags: TCP_SYN, seq: 20_000, ack: 0 }))).toBe('reopen');
    expect(tw.get(L, 80, R, 40000)).toBeUndefined();
    expect(sent).toHaveLength(0);
    expect(host.stats.TCPTimeWaitReuse).toBe(1);
  });

  it('an old SYN (seq below RCV.NXT, or an older timestamp) is answered with an ACK, not reopened', () => {
    const { sent, tw } = setup();
    expect(tw.input(L, R, seg({ flags: TCP_SYN, seq: 100, ack: 0 }))).toBe('done');
    expect(sent).toHaveLength(1);
    const b = setup({ tsRecent: 5000, tsOffset: 0 });
    expect(b.tw.input(L, R, seg({ flags: TCP_SYN, seq: 20_000, options: { timestamp: { val: 4000, ecr: 0 } } }))).toBe('done');
    expect(b.tw.get(L, 80, R, 40000)).toBeDefined();
  });
});
