/**
 * The listener (src/tcp/listener.ts, syn-cookies.ts) between two TcpLayers
 * in virtual time: accept queue order and overflow, listener close, SYN
 * cookies under a full SYN queue (negotiated options carried in TSval,
 * forged and stale cookie ACKs). The rest of the layer is in layer.test.ts.
 * The requirement → test matrix is at the top of state-diagram.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { TCP_ACK, TCP_ECE, TCP_RST, TCP_SYN } from '../../src/wire/tcp.js';
import { SeededRng, randBytes } from '../../src/util/random.js';
import { makeTcpPair, type PairOptions } from './tcp-pair.js';
import { WireTap, dial, seg, serve, statesOf, tappedPair } from './wire-tap.js';

const PORT = 80;

const pair = tappedPair;

/** Put `n` half-open entries in b's SYN queue from spoofed ports whose SYN-ACKs the tap drops. */
function fillSynQueue(tap: WireTap, n: number, firstPort = 6000): void {
  const prev = tap.drop;
  tap.drop = (t) => (t.dir === 'ba' && t.seg.dstPort >= firstPort && t.seg.dstPort < firstPort + n) || (prev?.(t) ?? false);
  for (let i = 0; i < n; i++) {
    tap.inject('b', seg({ srcPort: firstPort + i, dstPort: PORT, flags: TCP_SYN, seq: 1000 * i, options: { mss: 1460 } }));
  }
}

describe('listener: backlog and accept queue (RFC 9293 §3.10.7.2; Linux accept/SYN queues)', () => {
  it('accept() returns connections in handshake completion order; onAcceptable fires on every enqueue', async () => {
    const seed = 21;
    const p = await makeTcpPair(seed);
    const tap = new WireTap(p);
    let wakeups = 0;
    const listener = p.b.listen(PORT, 8, () => wakeups++);
    const first = dial(p);
    // Lose the first client's third ACK: it completes only when the listener's SYN-ACK
    // retransmission (1 s) is re-ACKed, after the three clients that dial later.
    tap.drop = (t) => t.dir === 'ab' && t.seg.flags === TCP_ACK && t.seg.srcPort === first.conn.localPort && t.at < 1000;
    const later: number[] = [];
    for (const at of [10, 20, 30]) {
      p.clock.runUntil(at);
      later.push(dial(p).conn.localPort);
    }
    p.clock.runUntil(500);
    expect(wakeups).toBe(3);
    p.clock.runUntil(2_000);
    expect(wakeups).toBe(4);
    const order: number[] = [];
    for (let c = listener.accept(); c; c = listener.accept()) order.push(c.remotePort);
    expect(order, tap.dump()).toEqual([...later, first.conn.localPort]);
    expect(listener.accept()).toBeNull();
  });
});

describe('listener: queue overflow and close (Linux tcp_abort_on_overflow=0, inet_csk_listen_stop)', () => {
  it('accept queue full: SYNs and third ACKs are dropped (no RST), the handshake completes once the app accepts', async () => {
    const seed = 22;
    const { p, tap, srv } = await pair(seed, {}, 2, false);
    const c1 = dial(p);
    const c2 = dial(p);
    p.clock.runUntil(10);
    // Accept queue: c1, c2 = backlog. A third SYN is dropped, and so is its retransmission at 1 s.
    const c3 = dial(p);
    p.clock.runUntil(2_000);
    expect(c3.conn.state).toBe('SYN_SENT');
    expect(tap.log.filter((t) => t.dir === 'ba' && t.seg.dstPort === c3.conn.localPort)).toEqual([]);
    expect([p.b.stats.ListenOverflows, p.b.stats.ListenDrops]).toEqual([2, 2]);
    srv.acceptAll();
    expect(srv.accepted.map((s) => s.conn?.remotePort)).toEqual([c1.conn.localPort, c2.conn.localPort]);
    p.clock.runUntil(3_020); // SYN retransmission at 3010 now gets in
    expect(c3.conn.state).toBe('ESTABLISHED');
    // Now fill the queue while two handshakes are in flight: c3 queued, c4 completes, c5's third ACK is dropped.
    p.clock.runUntil(4_000);
    const c4 = dial(p);
    const c5 = dial(p);
    p.clock.runUntil(4_010);
    expect([c4.conn.state, c5.conn.state]).toEqual(['ESTABLISHED', 'ESTABLISHED']); // c5 does not know
    expect(p.b.stats.ListenOverflows).toBe(3);
    expect(statesOf(p.b).filter((s) => s === 'SYN_RECEIVED').length).toBe(1); // c5's request is kept
    srv.acceptAll();
    expect(srv.accepted.length).toBe(4);
    // The kept request retransmits its SYN-ACK at 1 s; c5 re-ACKs it and the connection is queued.
    p.clock.runUntil(5_010);
    srv.acceptAll();
    expect(srv.accepted.map((s) => s.conn?.remotePort)).toEqual([c1, c2, c3, c4, c5].map((c) => c.conn.localPort));
    expect(tap.log.filter((t) => t.seg.flags & TCP_RST), tap.dump()).toEqual([]);
    c5.conn.send(Buffer.from('late but fine'));
    p.clock.runUntil(5_100);
    expect(srv.accepted[4].text).toBe('late but fine');
  });

  it('listener close() resets queued connections, drops half-open ones silently, frees the port (RFC 9293 §3.10.4)', async () => {
    const seed = 23;
    const { p, tap, srv } = await pair(seed, {}, 4, false);
    const c1 = dial(p);
    const c2 = dial(p);
    fillSynQueue(tap, 1);
    p.clock.runUntil(10);
    expect(statesOf(p.b)).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'ESTABLISHED']);
    const before = tap.log.length;
    srv.listener.close();
    const rsts = tap.log.slice(before);
    expect(rsts.map((t) => [t.seg.dstPort, t.seg.flags & TCP_RST]).sort()).toEqual(
      [c1.conn.localPort, c2.conn.localPort].sort().map((port) => [port, TCP_RST]),
    );
    expect(statesOf(p.b)).toEqual([]);
    p.clock.runUntil(20);
    expect([c1.h.events, c2.h.events]).toEqual([
      ['connect', 'error:ECONNRESET', 'close'],
      ['connect', 'error:ECONNRESET', 'close'],
    ]);
    expect(srv.listener.accept()).toBeNull();
    // Nobody listens any more: RST → ECONNREFUSED; listening again is allowed.
    const c3 = dial(p);
    p.clock.runUntil(30);
    expect(c3.h.events).toEqual(['error:ECONNREFUSED', 'close']);
    const again = serve(p.b, PORT);
    dial(p);
    p.clock.runUntil(40);
    expect(again.accepted.length).toBe(1);
  });
});

describe('SYN cookies when the SYN queue is full (RFC 4987 §3.6, Linux tcp_syncookies=1)', () => {
  /** A pair whose listener (backlog 2) already has a full SYN queue. */
  async function fullQueue(seed: number, o: PairOptions = {}) {
    const x = await pair(seed, o, 2);
    fillSynQueue(x.tap, 2);
    expect(statesOf(x.p.b)).toEqual(['LISTEN', 'SYN_RECEIVED', 'SYN_RECEIVED']);
    return x;
  }

  it('SYN queue full → cookie SYN-ACK → connection on the cookie ACK, MSS rounded to msstab, wscale/SACK via TSval', async () => {
    const seed = 24;
    // Client: MSS 1400 (cookie rounds it down to 1300), 4 MiB buffer → wscale 7. Server: 256 KiB → wscale 3.
    const { p, tap, srv } = await fullQueue(seed, {
      options: { mss: 1400, rcvBuf: 4 << 20, sndBuf: 4 << 20 },
      optionsB: {},
    });
    const c = dial(p);
    p.clock.runUntil(10);
    expect([p.b.stats.TCPReqQFullDoCookies, p.b.stats.SyncookiesSent, p.b.stats.SyncookiesRecv]).toEqual([1, 1, 1]);
    const synAck = tap.log.find((t) => t.dir === 'ba' && t.seg.dstPort === c.conn.localPort)!.seg;
    expect(synAck.flags).toBe(TCP_SYN | TCP_ACK);
    expect(synAck.seq >>> 24 & 7, 'MSS index of 1300 in the cookie').toBe(1);
    expect(synAck.options.timestamp!.val & 0x3f, 'TSval low bits: SACK (0x10) | wscale 7').toBe(0x17);
    expect(synAck.options.wscale).toBe(3);
    expect(synAck.options.sackPermitted).toBe(true);
    expect(c.conn.state).toBe('ESTABLISHED');
    expect(srv.accepted.length).toBe(1);
    // No request entry was kept for it: still only the two spoofed ones.
    expect(statesOf(p.b).filter((s) => s === 'SYN_RECEIVED').length).toBe(2);
    const si = srv.accepted[0].conn!.info();
    expect([si.mss, si.sndWscale, si.rcvWscale, si.sackOk, si.timestamps]).toEqual([1300 - 12, 7, 3, true, true]);
    const ci = c.conn.info();
    expect([ci.sndWscale, ci.rcvWscale]).toEqual([3, 7]);
    // Windows scaled both ways must be right for a bulk transfer in each direction.
    const up = randBytes(new SeededRng(seed), 300_000);
    const down = randBytes(new SeededRng(seed + 1), 200_000); // within the server's 256 KiB sndBuf
    expect(c.conn.send(up)).toBe(up.length);
    expect(srv.accepted[0].conn!.send(down)).toBe(down.length);
    p.clock.runUntil(5_000);
    expect(Buffer.concat(srv.accepted[0].chunks).equals(up), `seed ${seed}`).toBe(true);
    expect(Buffer.concat(c.h.chunks).equals(down), `seed ${seed}`).toBe(true);
  });

  it('an ECN-setup SYN answered with a cookie keeps ECN: ECE on the SYN-ACK, TS_OPT_ECN in its TSval (Linux cookie_ecn_ok)', async () => {
    for (const [serverEcn, agreed] of [[2, true], [0, false]] as const) {
      const seed = 27;
      const { p, tap, srv } = await fullQueue(seed, { options: { ecn: 1 }, optionsB: { ecn: serverEcn } });
      const c = dial(p);
      p.clock.runUntil(10);
      expect(p.b.stats.SyncookiesRecv).toBe(1);
      const synAck = tap.log.find((t) => t.dir === 'ba' && t.seg.dstPort === c.conn.localPort)!.seg;
      expect(synAck.flags, `tcp_ecn=${serverEcn}`).toBe(TCP_SYN | TCP_ACK | (agreed ? TCP_ECE : 0));
      expect(synAck.options.timestamp!.val & 0x20, 'TSval bit 5: ECN').toBe(agreed ? 0x20 : 0);
      expect(srv.accepted[0].conn!.info().ecn).toBe(agreed);
      expect(c.conn.info().ecn).toBe(agreed);
    }
  });

  it('cookie without timestamps: neither wscale nor SACK is offered, as Linux', async () => {
    const seed = 25;
    const { p, tap, srv } = await fullQueue(seed, { options: { timestamps: false }, optionsB: {} });
    const c = dial(p);
    p.clock.runUntil(10);
    const synAck = tap.log.find((t) => t.dir === 'ba' && t.seg.dstPort === c.conn.localPort)!.seg;
    expect(synAck.options).toEqual({ mss: 1460 });
    expect(p.b.stats.SyncookiesRecv).toBe(1);
    const si = srv.accepted[0].conn!.info();
    expect([si.mss, si.sndWscale, si.rcvWscale, si.sackOk, si.timestamps]).toEqual([1460, 0, 0, false, false]);
    expect(c.conn.info().sndWscale).toBe(0);
    const up = randBytes(new SeededRng(seed), 200_000);
    expect(c.conn.send(up)).toBe(up.length);
    p.clock.runUntil(5_000);
    expect(Buffer.concat(srv.accepted[0].chunks).equals(up), `seed ${seed}`).toBe(true);
  });

  it('a forged cookie ACK gets <SEQ=SEG.ACK><CTL=RST> and is counted, no connection (RFC 9293 §3.10.7.2; Linux)', async () => {
    const seed = 26;
    const { p, tap, srv } = await fullQueue(seed);
    // One more SYN while the queue is full: a cookie goes out, so ACKs are now checked for cookies.
    tap.inject('b', seg({ srcPort: 6999, dstPort: PORT, flags: TCP_SYN, seq: 42, options: { mss: 1460 } }));
    expect(p.b.stats.SyncookiesSent).toBe(1);
    const rng = new SeededRng(seed);
    const n = 200;
    for (let i = 0; i < n; i++) {
      const ack = rng.u32();
      const before = tap.log.length;
      tap.inject('b', seg({ srcPort: 7000 + i, dstPort: PORT, flags: TCP_ACK, seq: rng.u32(), ack }));
      const out = tap.log.slice(before).map((t) => t.seg);
      expect(out.map((s) => [s.flags, s.seq, s.dstPort]), `seed ${seed}, forgery ${i}`).toEqual([[TCP_RST, ack, 7000 + i]]);
    }
    expect(p.b.stats.SyncookiesFailed).toBe(n);
    expect(p.b.stats.SyncookiesRecv).toBe(0);
    p.clock.runUntil(10);
    expect(srv.accepted.length).toBe(0);
  });

  it('without a recent cookie a bare ACK is not checked as one: RST, SyncookiesFailed unchanged (Linux tcp_synq_no_recent_overflow)', async () => {
    const seed = 28;
    const { p, tap } = await tappedPair(seed);
    const before = tap.log.length;
    tap.inject('b', seg({ srcPort: 7100, dstPort: PORT, flags: TCP_ACK, seq: 1234, ack: 5678 }));
    expect(tap.log.slice(before).map((t) => [t.seg.flags, t.seg.seq])).toEqual([[TCP_RST, 5678]]);
    expect(p.b.stats.SyncookiesFailed ?? 0).toBe(0);
  });

  for (const [lateMs, ok] of [
    [100_000, true],
    [130_000, false],
  ] as const) {
    it(`a cookie ACK ${lateMs / 1000} s late is ${ok ? 'still accepted (previous counter)' : 'stale: RST, ECONNRESET'} (64 s counter, 2 values, as Linux)`, async () => {
      const seed = 27;
      const { p, tap, srv } = await fullQueue(seed);
      const c = dial(p);
      // Lose the cookie ACK: the client is ESTABLISHED, the server has no state at all.
      tap.drop = ((prev) => (t) => (t.dir === 'ab' && t.seg.srcPort === c.conn.localPort && t.seg.payload.length === 0 && t.at < 100) || (prev?.(t) ?? false))(tap.drop);
      p.clock.runUntil(10);
      expect(c.conn.state).toBe('ESTABLISHED');
      expect(srv.accepted.length).toBe(0);
      p.clock.runUntil(lateMs);
      c.conn.send(Buffer.from('hello after a while')); // carries SEG.ACK = cookie + 1
      p.clock.runUntil(lateMs + 10);
      if (ok) {
        expect(p.b.stats.SyncookiesRecv).toBe(1);
        expect(srv.accepted.map((s) => s.text)).toEqual(['hello after a while']);
      } else {
        // No cookie sent for over 2 * 64 s: the ACK is not even checked (Linux tcp_synq_no_recent_overflow).
        expect(p.b.stats.SyncookiesFailed).toBe(0);
        expect(srv.accepted.length).toBe(0);
        expect(c.h.events).toEqual(['connect', 'error:ECONNRESET', 'close']);
      }
    });
  }
});
