/**
 * The layer around the connections (src/tcp/tcp-layer.ts, demux.ts,
 * time-wait.ts, stats.ts) between two TcpLayers in virtual time: RFC 5961
 * challenge ACKs and their §7 rate limit, ephemeral ports, TIME_WAIT kept as
 * compact records, and drop counters for hostile segments.
 * The requirement → test matrix is at the top of state-diagram.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { TcpConnection } from '../../src/tcp/api.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../src/wire/tcp.js';
import { SeededRng, randBytes, randInt } from '../../src/util/random.js';
import { finish, pseudoHeaderSum, sumBytes } from '../../src/wire/checksum.js';
import { ADDR_A, ADDR_B, type PairOptions } from './tcp-pair.js';
import { Sink, seg, segmentBytes, serve, dial, statesOf, tappedPair } from './wire-tap.js';

const PORT = 80;
const pair = tappedPair;

/** An established pair; `inject` speaks for the client's tuple (an off-path attacker spoofing it). */
async function established(seed: number, o: PairOptions = {}) {
  const x = await pair(seed, o);
  const c = dial(x.p);
  x.p.clock.runUntil(10);
  expect(c.conn.state).toBe('ESTABLISHED');
  const server = x.srv.accepted[0];
  return { ...x, c, server, sconn: server.conn as TcpConnection };
}

describe('RFC 5961 between two layers', () => {
  it('a peer that lost its state reconnects from the same port: SYN → challenge ACK → RST → new connection (RFC 5961 §4 / RFC 9293 §3.10.7.3)', async () => {
    const seed = 33;
    const { p, tap, c, server, srv } = await established(seed);
    const port = c.conn.localPort;
    // The client forgets the connection; its RST is lost, so the server still thinks it is ESTABLISHED.
    tap.drop = (t) => t.dir === 'ab' && (t.seg.flags & TCP_RST) !== 0;
    c.conn.abort();
    p.clock.runUntil(p.clock.now() + 10);
    tap.drop = undefined;
    expect(server.conn!.state).toBe('ESTABLISHED');
    const t0 = p.clock.now();
    const again = dial(p, port);
    p.clock.runUntil(t0 + 10);
    const flow = tap.log.filter((t) => t.at >= t0).map((t) => `${t.dir} ${t.seg.flags}`);
    // SYN → challenge ACK (not a SYN-ACK) → RST <SEQ=SEG.ACK> → the stale server side is reset.
    expect(flow.slice(0, 3), tap.dump()).toEqual([`ab ${TCP_SYN}`, `ba ${TCP_ACK}`, `ab ${TCP_RST}`]);
    expect(server.events).toEqual(['error:ECONNRESET', 'close']);
    expect(again.conn.state).toBe('SYN_SENT');
    // The SYN retransmission at 1 s finds only the listener and opens a fresh connection.
    p.clock.runUntil(t0 + 1_010);
    expect(again.conn.state).toBe('ESTABLISHED');
    expect(srv.accepted.length).toBe(2);
    expect(srv.accepted[1].conn!.state).toBe('ESTABLISHED');
  });

  it('RFC 5961: in-window RST / SYN / ACK of unsent data get challenge ACKs; only RST at RCV.NXT resets (§3.2, §4.2, §5.2)', async () => {
    const seed = 31;
    const { p, tap, c, sconn, server } = await established(seed);
    const i = sconn.info();
    const spoof = { srcPort: c.conn.localPort, dstPort: PORT };
    const challenges = () => tap.sent('ba').filter((t) => t.seg.flags === TCP_ACK && t.seg.seq === i.sndNxt && t.seg.ack === i.rcvNxt).length;
    // 500 ms apart: one challenge ACK per connection per tcp_invalid_ratelimit.
    const later = () => p.clock.runUntil(p.clock.now() + 500);
    tap.inject('b', seg({ ...spoof, flags: TCP_RST, seq: (i.rcvNxt + 1000) >>> 0 }));
    expect(challenges()).toBe(1);
    later();
    tap.inject('b', seg({ ...spoof, flags: TCP_SYN, seq: (i.rcvNxt + 5) >>> 0, options: { mss: 1460 } }));
    expect(challenges()).toBe(2);
    later();
    tap.inject('b', seg({ ...spoof, flags: TCP_ACK, seq: i.rcvNxt, ack: (i.sndNxt + 100_000) >>> 0 }));
    expect(challenges()).toBe(3);
    expect(p.b.stats.TCPChallengeACK).toBe(3);
    expect(sconn.state).toBe('ESTABLISHED');
    // The real client just sees duplicate ACKs; the connection is unharmed.
    c.conn.send(Buffer.from('still here'));
    p.clock.runUntil(p.clock.now() + 10);
    expect(server.text).toBe('still here');
    const j = sconn.info();
    tap.inject('b', seg({ ...spoof, flags: TCP_RST, seq: j.rcvNxt }));
    expect(server.events).toEqual(['error:ECONNRESET', 'close']);
  });

  it('RFC 5961 §7: challenge ACKs per second for the whole layer, a random budget in [limit/2, limit*3/2) each second (Linux, CVE-2016-5696)', async () => {
    const seed = 32;
    const limit = 6;
    // invalidRateLimitMs 0 isolates the layer budget from the per-connection limit.
    const { p, tap, c, sconn } = await established(seed, { options: { challengeAckLimit: limit, invalidRateLimitMs: 0 } });
    const i = sconn.info();
    const rst = (k: number) => seg({ srcPort: c.conn.localPort, dstPort: PORT, flags: TCP_RST, seq: (i.rcvNxt + 1 + k) >>> 0 });
    const sentBa = () => tap.sent('ba').length;
    const budgets = new Set<number>();
    for (let s = 0; s < 12; s++) {
      p.clock.runUntil((Math.floor(p.clock.now() / 1000) + 1) * 1000); // start of the next second
      const before = sentBa();
      for (let k = 0; k < 3 * limit; k++) tap.inject('b', rst(k));
      const sent = sentBa() - before;
      expect(sent).toBeGreaterThanOrEqual(limit / 2);
      expect(sent).toBeLessThan(limit * 1.5);
      budgets.add(sent);
    }
    expect(budgets.size).toBeGreaterThan(1); // randomised, not a fixed count an attacker could subtract
    expect(p.b.stats.TCPChallengeACK + p.b.stats.TCPChallengeACKLimited).toBe(12 * 3 * limit);
    expect(sconn.state).toBe('ESTABLISHED');
  });
});

describe('ephemeral ports (RFC 6056 §3.3.1; Linux ip_local_port_range)', () => {
  const range = { ephemeralPortMin: 40000, ephemeralPortMax: 40003 };

  it('allocates distinct ports in range per 4-tuple, EADDRNOTAVAIL when exhausted, EADDRINUSE for a taken explicit port', async () => {
    const seed = 41;
    const { p, tap } = await pair(seed, { options: range });
    tap.drop = () => true; // nothing needs to reach the wire
    const conns = [0, 1, 2, 3].map(() => dial(p).conn);
    expect(conns.map((x) => x.localPort).sort()).toEqual([40000, 40001, 40002, 40003]);
    expect(() => dial(p)).toThrowError(expect.objectContaining({ code: 'EADDRNOTAVAIL' }));
    expect(() => dial(p, 40001)).toThrowError(expect.objectContaining({ code: 'EADDRINUSE' }));
    // Another remote port is another 4-tuple: the same local ports are free for it (Linux __inet_hash_connect).
    const other = p.a.connect(ADDR_B, 81, new Sink());
    expect(other.localPort).toBeGreaterThanOrEqual(40000);
    expect(other.localPort).toBeLessThanOrEqual(40003);
    // A closed connection gives its port back.
    conns.find((x) => x.localPort === 40002)!.abort();
    expect(dial(p).conn.localPort).toBe(40002);
  });

  it('wraps around the end of the range to find the one free port, whatever the random start', async () => {
    for (let seed = 50; seed < 70; seed++) {
      const { p, tap } = await pair(seed, { options: range });
      tap.drop = () => true;
      for (const port of [40000, 40001, 40003]) dial(p, port);
      expect(dial(p).conn.localPort, `seed ${seed}`).toBe(40002);
      const q = await pair(seed, { options: range });
      q.tap.drop = () => true;
      for (const port of [40001, 40002, 40003]) dial(q.p, port);
      expect(dial(q.p).conn.localPort, `seed ${seed}`).toBe(40000);
    }
  });

  it('skips ports with a listener and ports held in TIME_WAIT; 1000 connects never collide', async () => {
    const seed = 42;
    const { p, tap, srv } = await pair(seed, { options: { ...range, msl: 1000 } });
    // The client closes first, so its port 40000 is then held in TIME_WAIT (2·MSL = 2 s).
    const c = dial(p, 40000);
    p.clock.runUntil(10);
    c.conn.close();
    srv.accepted[0].conn!.close();
    p.clock.runUntil(20);
    expect(statesOf(p.a)).toEqual(['TIME_WAIT']);
    tap.drop = (t) => t.dir === 'ab' && t.seg.flags === TCP_SYN;
    serve(p.a, 40001); // a listener on a itself
    const got = [dial(p).conn.localPort, dial(p).conn.localPort];
    expect(got.sort()).toEqual([40002, 40003]);
    expect(() => dial(p)).toThrowError(expect.objectContaining({ code: 'EADDRNOTAVAIL' }));
    p.clock.runUntil(2_100); // TIME_WAIT over: 40000 is free again
    expect(dial(p).conn.localPort).toBe(40000);
    const big = await pair(seed, { options: { ephemeralPortMin: 20000, ephemeralPortMax: 20999 } });
    big.tap.drop = () => true;
    const seen = new Set<number>();
    for (let k = 0; k < 1000; k++) seen.add(dial(big.p).conn.localPort);
    expect(seen.size).toBe(1000);
    expect(() => dial(big.p)).toThrowError(expect.objectContaining({ code: 'EADDRNOTAVAIL' }));
  });
});

describe('TIME_WAIT kept by the layer (RFC 9293 §3.10.7.4, RFC 1337, RFC 6191)', () => {
  /** Client closes first; returns once the client is in TIME_WAIT. */
  async function clientTimeWait(seed: number, o: PairOptions = {}) {
    const x = await established(seed, o);
    x.c.conn.close();
    x.p.clock.runUntil(x.p.clock.now() + 10);
    x.sconn.close();
    return x;
  }

  it('TIME_WAIT re-ACKs a retransmitted FIN and restarts 2·MSL from it', async () => {
    const seed = 61;
    const msl = 5_000;
    const x = await clientTimeWait(seed, { options: { msl } });
    const { p, tap, sconn } = x;
    // Lose the client's ACK of the server FIN: the server retransmits its FIN after its RTO.
    tap.drop = (t) => t.dir === 'ab' && t.seg.flags === TCP_ACK && tap.sent('ba', TCP_FIN).length === 1;
    p.clock.runUntil(p.clock.now() + 10);
    expect(statesOf(p.a)).toEqual(['TIME_WAIT']);
    expect(sconn.state).toBe('LAST_ACK');
    const fin1 = tap.sent('ba', TCP_FIN)[0];
    p.clock.runUntil(p.clock.now() + 5_000);
    const fins = tap.sent('ba', TCP_FIN);
    expect(fins.length, tap.dump()).toBe(2);
    expect(fins[1].seg.seq).toBe(fin1.seg.seq);
    const reAck = tap.log.filter((t) => t.dir === 'ab' && t.at === fins[1].at + 1);
    expect(reAck.map((t) => [t.seg.flags, t.seg.ack, t.dropped])).toEqual([[TCP_ACK, (fin1.seg.seq + 1) >>> 0, false]]);
    expect(sconn.state).toBe('CLOSED');
    // The layer holds only a record; the expiry moved to 2·MSL after the retransmitted FIN.
    const layer = p.a as unknown as { conns: { size: number }; timeWait: { size: number } };
    expect([layer.conns.size, layer.timeWait.size]).toEqual([0, 1]);
    const restartAt = fins[1].at + 1;
    expect(restartAt + 2 * msl - 1).toBeGreaterThan(fin1.at + 1 + 2 * msl);
    p.clock.runUntil(restartAt + 2 * msl - 1);
    expect(statesOf(p.a)).toEqual(['TIME_WAIT']);
    p.clock.runUntil(restartAt + 2 * msl);
    expect(statesOf(p.a)).toEqual([]);
  });

  it('TIME_WAIT ignores RST (RFC 1337): no reply, record kept, counted', async () => {
    const seed = 62;
    const { p, tap, c } = await clientTimeWait(seed);
    p.clock.runUntil(p.clock.now() + 10);
    expect(statesOf(p.a)).toEqual(['TIME_WAIT']);
    const tw = p.a.connections()[0];
    const before = tap.log.length;
    tap.inject('a', seg({ srcPort: PORT, dstPort: c.conn.localPort, flags: TCP_RST, seq: tw.rcvNxt }));
    tap.inject('a', seg({ srcPort: PORT, dstPort: c.conn.localPort, flags: TCP_RST | TCP_ACK, seq: tw.rcvNxt, ack: tw.sndNxt }));
    expect(tap.log.length).toBe(before);
    expect(statesOf(p.a)).toEqual(['TIME_WAIT']);
    expect(p.a.stats.dropTimeWaitRst).toBe(2);
  });

  for (const timestamps of [true, false]) {
    it(`a new SYN to a TIME_WAIT tuple with a newer ${timestamps ? 'timestamp' : 'ISN'} reopens it at once; an old one gets an ACK (RFC 6191, Linux)`, async () => {
      const seed = timestamps ? 63 : 64;
      const x = await established(seed, { options: { timestamps } });
      const { p, tap, c, sconn } = x;
      // The server closes first, so the server holds TIME_WAIT for the client's tuple.
      sconn.close();
      p.clock.runUntil(p.clock.now() + 10);
      c.conn.close();
      p.clock.runUntil(p.clock.now() + 10);
      expect(statesOf(p.b)).toEqual(['LISTEN', 'TIME_WAIT']);
      expect(c.conn.state).toBe('CLOSED');
      const tw = p.b.connections()[1];
      const lastTs = tap.sent('ab').at(-1)!.seg.options.timestamp?.val ?? 0; // TS.Recent of the record
      // An old duplicate SYN (below RCV.NXT / older timestamp) is answered with an ACK, not reopened.
      const before = tap.log.length;
      tap.inject('b', seg({
        srcPort: c.conn.localPort, dstPort: PORT, flags: TCP_SYN, seq: (tw.rcvNxt - 10) >>> 0,
        options: timestamps ? { mss: 1460, timestamp: { val: (lastTs - 1000) >>> 0, ecr: 0 } } : { mss: 1460 },
      }));
      expect(tap.log.slice(before).map((t) => [t.seg.flags, t.seg.ack])).toEqual([[TCP_ACK, tw.rcvNxt]]);
      expect(statesOf(p.b)).toEqual(['LISTEN', 'TIME_WAIT']);
      // One second later the client reconnects from the same port: its ISN and TSval have moved on.
      tap.drop = (t) => t.at <= p.clock.now(); // (the ACK above has nowhere useful to go)
      p.clock.runUntil(p.clock.now() + 1_000);
      tap.drop = undefined;
      const again = dial(p, c.conn.localPort);
      p.clock.runUntil(p.clock.now() + 10);
      expect(again.conn.state, tap.dump()).toBe('ESTABLISHED');
      expect(p.b.stats.TCPTimeWaitReuse).toBe(1);
      expect(x.srv.accepted.length).toBe(2);
      expect(x.srv.accepted[1].conn!.remotePort).toBe(c.conn.localPort);
    });
  }
});

describe('hostile segments are dropped and counted, never thrown (RFC 9293 §3.1 checksum; house rule)', () => {
  it('bad checksum, short header, bad data offset: each dropped with its counter, no reply, layer still works', async () => {
    const seed = 71;
    const { p, tap, c, server } = await established(seed);
    const good = segmentBytes(seg({ srcPort: c.conn.localPort, dstPort: PORT, flags: TCP_SYN, seq: 1 }), ADDR_A, ADDR_B);
    const deliver = (b: Buffer) => p.b.input(ADDR_A, ADDR_B, b, Buffer.alloc(0));
    const s = p.b.stats;
    const before = { ...s };
    const sent = tap.log.length;
    const badSum = Buffer.from(good);
    badSum[4] ^= 0x01;
    deliver(badSum);
    expect([s.badChecksum, s.InCsumErrors, s.InErrs]).toEqual([1, 1, 1]);
    deliver(good.subarray(0, 19));
    deliver(Buffer.alloc(0));
    expect(s.truncated).toBe(2);
    const offLow = Buffer.from(good);
    offLow[12] = 4 << 4; // 16-byte header: below the minimum 20
    deliver(offLow);
    const offHigh = Buffer.from(good);
    offHigh[12] = 15 << 4; // 60-byte header in a 20-byte segment
    deliver(offHigh);
    expect(s.badDataOffset).toBe(2);
    expect(s.InErrs).toBe(5);
    expect(s.InSegs - before.InSegs).toBe(5);
    expect(tap.log.length, 'no reply to a dropped segment').toBe(sent);
    c.conn.send(Buffer.from('unharmed'));
    p.clock.runUntil(p.clock.now() + 10);
    expect(server.text).toBe('unharmed');
  });

  it('seeded fuzz: 5000 random and bit-flipped segments (half with a fixed-up checksum) never throw', async () => {
    const seed = 72;
    const { p, c, server } = await established(seed);
    const rng = new SeededRng(seed);
    const template = segmentBytes(
      seg({
        srcPort: c.conn.localPort,
        dstPort: PORT,
        flags: TCP_ACK,
        options: { mss: 1460, wscale: 7, sackPermitted: true, timestamp: { val: 1, ecr: 2 }, sack: [[1, 2]] },
        payload: Buffer.from('xyz'),
      }),
      ADDR_A,
      ADDR_B,
    );
    const inSegs = p.b.stats.InSegs;
    let passedChecksum = 0;
    for (let k = 0; k < 5000; k++) {
      let b: Buffer;
      if (k % 3 === 0) b = randBytes(rng, randInt(rng, 80));
      else if (k % 3 === 1) {
        b = Buffer.from(template);
        for (let f = randInt(rng, 4); f >= 0; f--) b[randInt(rng, b.length)] ^= 1 << randInt(rng, 8);
      } else {
        // Cut inside or after the options, with a data offset that may or may not fit.
        b = Buffer.from(template.subarray(0, 20 + randInt(rng, template.length - 19)));
        b[12] = (5 + randInt(rng, 11)) << 4;
      }
      // Half get a correct checksum so they reach option parsing and the state machines.
      if (randInt(rng, 2) === 0 && b.length >= 20) {
        b.writeUInt16BE(0, 16);
        b.writeUInt16BE(finish(sumBytes(b, 0, b.length, pseudoHeaderSum(ADDR_A, ADDR_B, 6, b.length))), 16);
        passedChecksum++;
      }
      expect(() => p.b.input(ADDR_A, ADDR_B, b, Buffer.alloc(0)), `seed ${seed}, case ${k}: ${b.toString('hex')}`).not.toThrow();
    }
    expect(p.b.stats.InSegs - inSegs).toBe(5000);
    const st = p.b.stats;
    console.log(`fuzz seed ${seed}: ${JSON.stringify({ in: st.InSegs - inSegs, errs: st.InErrs, csum: st.badChecksum, trunc: st.truncated, off: st.badDataOffset, opt: st.badOptionLength, flags: st.badFlags, rst: st.OutRsts })}`);
    expect(st.badChecksum, `seed ${seed}`).toBeGreaterThan(500);
    expect(st.InSegs - inSegs - st.InErrs, `seed ${seed}: parsed segments`).toBeGreaterThan(500);
    expect(passedChecksum, `seed ${seed}`).toBeGreaterThan(1000);
    expect(p.b.stats.badOptionLength + p.b.stats.badDataOffset, `seed ${seed}`).toBeGreaterThan(0);
    c.conn.send(Buffer.from('after the storm'));
    p.clock.runUntil(p.clock.now() + 1000);
    expect(server.text, `seed ${seed}`).toBe('after the storm');
  });
});
