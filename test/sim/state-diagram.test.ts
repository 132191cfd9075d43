/**
 * Every transition of the RFC 9293 §3.3.2 state diagram (Figure 5), walked
 * between two TcpLayers over the seeded in-memory pipe (tcp-pair.ts) in
 * virtual time, observed with a WireTap (wire-tap.ts): exact state paths,
 * exact segments, exact times.
 *
 * MATRIX: issue 3 requirement → test ("file › test name"; sd = this file,
 * ll = listener-layer.test.ts, ly = layer.test.ts, cc/ch/tw = test/tcp/connection-close,
 * connection-handshake, time-wait unit tests with a fake env)
 *   CLOSED→LISTEN ............... sd › passive open: CLOSED→LISTEN→SYN_RECEIVED→ESTABLISHED ...
 *   LISTEN→SYN_RCVD ............. sd › same test (request entry appears in connections())
 *   SYN_SENT→ESTABLISHED ........ sd › same test (client path SYN_SENT→ESTABLISHED)
 *   SYN_RCVD→ESTABLISHED ........ sd › same test (entry becomes an accepted connection)
 *   SYN_SENT→SYN_RCVD ........... sd › simultaneous open ...; ch › simultaneous open (unit)
 *   SYN_RCVD→CLOSED on RST (active) sd › RST in SYN_RECEIVED of an active (simultaneous) open → ECONNREFUSED
 *   SYN_RCVD→FIN_WAIT_1 ......... sd › close() in SYN_RECEIVED ... (FIN at once, as Linux)
 *   SYN_RCVD→LISTEN on RST ...... sd › RST in SYN_RECEIVED returns a passive open to LISTEN ...
 *   ESTABLISHED→FIN_WAIT_1 ...... sd › active close / passive close ...
 *   ESTABLISHED→CLOSE_WAIT ...... sd › active close / passive close ...
 *   FIN_WAIT_1→FIN_WAIT_2 ....... sd › active close / passive close ...
 *   FIN_WAIT_1→CLOSING .......... sd › simultaneous close ...; cc › simultaneous close (unit)
 *   FIN_WAIT_1→TIME_WAIT ........ sd › FIN_WAIT_1 → TIME_WAIT when the peer FIN also ACKs ours ...
 *   FIN_WAIT_2→TIME_WAIT ........ sd › active close / passive close ...
 *   CLOSING→TIME_WAIT ........... sd › simultaneous close ...
 *   CLOSE_WAIT→LAST_ACK ......... sd › active close / passive close ...
 *   LAST_ACK→CLOSED ............. sd › active close / passive close ...
 *   TIME_WAIT→CLOSED at 2·MSL ... sd › TIME_WAIT lasts exactly 2·MSL ...; tw › expires exactly 2·MSL (unit)
 *   all of the above, legal edges only, whole Stacks over createMemoryLinkPair with loss:
 *                                 state-diagram-stacks.test › every state change is an edge of Figure 5 ...
 *   SYN schedule 1 s doubling, 6 retries, ETIMEDOUT ... sd › SYN retransmitted at 0,1,3,7,15,31,63 s ...;
 *                                 ch › retransmits the SYN at 1, 3, 7, 15, 31, 63 s (unit)
 *   SYN-ACK schedule, 5 retries . sd › listener SYN-ACK retransmitted at 0,1,3,7,15,31 s ...
 *   half-close .................. sd › half-close ...; cc › half-close (unit)
 *   RST on abort ................ sd › abort() ...; conn-pair.test › abort() on one side
 *   RFC 5961 challenge ACKs ..... ly › RFC 5961: in-window RST / SYN / ACK of unsent data get challenge ACKs ...; cc › resets and RFC 5961 (unit)
 *   challenge ACK rate limit §7 . ly › RFC 5961 §7: challenge ACKs limited to challengeAckLimit per second ...
 *   SYN cookies when queue full . ll › SYN queue full → cookie SYN-ACK → connection on the cookie ACK ...
 *   cookie carries MSS/wscale/SACK via TS . ll › same test + ll › cookie without timestamps ...
 *   forged/stale cookie ACK → RST ll › a forged cookie ACK ...; ll › a cookie ACK 100 s late ... 130 s late ...
 *   backlog → accept queue → order ll › accept() returns connections in handshake completion order ...
 *   accept-queue overflow ....... ll › accept queue full: SYNs and third ACKs are dropped (no RST) ... (tcp_abort_on_overflow=0)
 *   listener close resets queue . ll › listener close() resets queued connections ...
 *   ephemeral ports ............. ly › ephemeral ports: ... (no collision / wrap / EADDRNOTAVAIL / EADDRINUSE)
 *   TIME_WAIT compact ........... sd › TIME_WAIT lasts exactly 2·MSL ...; ly › TIME_WAIT re-ACKs ... (layer tables: no Connection)
 *   TIME_WAIT re-ACKs FIN, restarts timer . ly › TIME_WAIT re-ACKs a retransmitted FIN and restarts 2·MSL ...
 *   TIME_WAIT ignores RST ....... ly › TIME_WAIT ignores RST (RFC 1337) ...
 *   new SYN to TIME_WAIT tuple .. ly › a new SYN to a TIME_WAIT tuple with a newer ISN/timestamp ...
 *   drop counters ............... ly › bad checksum, short header, bad data offset: each dropped ...; ly › seeded fuzz ...
 */
import { describe, expect, it } from 'vitest';
import type { TcpConnection } from '../../src/tcp/api.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../src/wire/tcp.js';
import { ADDR_A, ADDR_B, makeTcpPair, type PairOptions } from './tcp-pair.js';
import { Sink, WireTap, seg, serve, statesOf, tappedPair } from './wire-tap.js';

const PORT = 80;

const pair = tappedPair;

/** Connect a → b:80 and run until both ends are ESTABLISHED (3 one-way delays of 1 ms). */
async function established(seed: number, o: PairOptions = {}) {
  const x = await pair(seed, o);
  const client = new Sink();
  const conn = x.p.a.connect(ADDR_B, PORT, client);
  client.conn = conn;
  x.p.clock.runUntil(x.p.clock.now() + 10);
  expect(conn.state, `seed ${seed}`).toBe('ESTABLISHED');
  expect(x.srv.accepted.length, `seed ${seed}`).toBe(1);
  const server = x.srv.accepted[0];
  return { ...x, conn, client, server, sconn: server.conn as TcpConnection };
}

describe('RFC 9293 Figure 5: opening', () => {
  it('passive open: CLOSED→LISTEN→SYN_RECEIVED→ESTABLISHED, active open: SYN_SENT→ESTABLISHED (RFC 9293 §3.5 fig. 6)', async () => {
    const seed = 1;
    const p = await makeTcpPair(seed);
    const tap = new WireTap(p);
    expect(statesOf(p.b)).toEqual([]);
    const srv = serve(p.b, PORT);
    expect(statesOf(p.b)).toEqual(['LISTEN']); // CLOSED → LISTEN on a passive OPEN
    const client = new Sink();
    const conn = p.a.connect(ADDR_B, PORT, client);
    client.conn = conn;
    const path = tap.watch('client', conn);
    expect(tap.sent('ab').map((t) => t.seg.flags)).toEqual([TCP_SYN]);
    p.clock.runUntil(1); // SYN arrives: LISTEN → SYN_RECEIVED (a request entry), SYN-ACK sent
    expect(statesOf(p.b)).toEqual(['LISTEN', 'SYN_RECEIVED']);
    const synAck = tap.sent('ba')[0];
    expect(synAck.seg.flags).toBe(TCP_SYN | TCP_ACK);
    expect(synAck.seg.ack).toBe((tap.sent('ab')[0].seg.seq + 1) >>> 0);
    // Only options the SYN offered (RFC 7323 §2.2/§3.2, RFC 2018 §2); 256 KiB rcvBuf needs shift 3.
    expect(Object.keys(synAck.seg.options).sort()).toEqual(['mss', 'sackPermitted', 'timestamp', 'wscale']);
    expect(synAck.seg.options.wscale).toBe(3);
    expect(synAck.seg.options.timestamp?.ecr).toBe(tap.sent('ab')[0].seg.options.timestamp?.val);
    p.clock.runUntil(2); // SYN-ACK arrives: SYN_SENT → ESTABLISHED, ACK sent
    expect(conn.state).toBe('ESTABLISHED');
    expect(srv.accepted.length).toBe(0);
    p.clock.runUntil(3); // ACK arrives: SYN_RECEIVED → ESTABLISHED, handed to accept()
    expect(srv.accepted.length).toBe(1);
    expect(srv.accepted[0].conn?.state).toBe('ESTABLISHED');
    expect(statesOf(p.b)).toEqual(['LISTEN', 'ESTABLISHED']);
    expect(path).toEqual(['SYN_SENT', 'ESTABLISHED']);
    expect(client.events).toEqual(['connect']);
    expect([p.a.stats.ActiveOpens, p.b.stats.PassiveOpens]).toEqual([1, 1]);
    expect(tap.log.map((t) => t.seg.flags), tap.dump()).toEqual([TCP_SYN, TCP_SYN | TCP_ACK, TCP_ACK]);
  });

  it('simultaneous open: both SYN_SENT→SYN_RECEIVED→ESTABLISHED, no listener needed (RFC 9293 §3.5 fig. 7)', async () => {
    const seed = 2;
    const p = await makeTcpPair(seed);
    const tap = new WireTap(p);
    const ha = new Sink();
    const hb = new Sink();
    const a = p.a.connect(ADDR_B, 2000, ha, 1000);
    const b = p.b.connect(ADDR_A, 1000, hb, 2000);
    ha.conn = a;
    hb.conn = b;
    const pa = tap.watch('a', a);
    const pb = tap.watch('b', b);
    p.clock.runUntil(1); // the SYNs cross
    expect([a.state, b.state]).toEqual(['SYN_RECEIVED', 'SYN_RECEIVED']);
    // Each answers the peer's SYN with SYN,ACK carrying its own ISS again.
    expect(tap.sent('ab').map((t) => t.seg.flags)).toEqual([TCP_SYN, TCP_SYN | TCP_ACK]);
    expect(tap.sent('ab')[1].seg.seq).toBe(tap.sent('ab')[0].seg.seq);
    p.clock.runUntil(10);
    expect(pa).toEqual(['SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED']);
    expect(pb).toEqual(['SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED']);
    expect([ha.events, hb.events]).toEqual([['connect'], ['connect']]);
    a.send(Buffer.from('ping'));
    b.send(Buffer.from('pong'));
    p.clock.runUntil(100);
    expect([ha.text, hb.text]).toEqual(['pong', 'ping']);
    expect(tap.log.some((t) => t.seg.flags & TCP_RST), tap.dump()).toBe(false);
  });

  it('close() in SYN_RECEIVED → FIN_WAIT_1 with the FIN sent at once (RFC 9293 §3.10.4; Linux tcp_close_state)', async () => {
    // RFC 9293 §3.10.4 SYN-RECEIVED: "If no SENDs have been issued and there
    // is no pending data to send, then form a FIN segment and send it, and
    // enter FIN-WAIT-1 state" — what Linux does (checked with packetdrill,
    // test/conformance/scripts/close/syn-received-close-sends-fin.pkt).
    const seed = 3;
    const p = await makeTcpPair(seed);
    const tap = new WireTap(p);
    const ha = new Sink();
    const hb = new Sink();
    const a = p.a.connect(ADDR_B, 2000, ha, 1000);
    const b = p.b.connect(ADDR_A, 1000, hb, 2000);
    ha.conn = a;
    hb.conn = b;
    const pa = tap.watch('a', a);
    p.clock.runUntil(1);
    expect(a.state).toBe('SYN_RECEIVED');
    a.close();
    tap.sample();
    expect(a.state).toBe('FIN_WAIT_1');
    expect(tap.sent('ab', TCP_FIN).length).toBe(1);
    p.clock.runUntil(100);
    expect(pa.slice(0, 3)).toEqual(['SYN_SENT', 'SYN_RECEIVED', 'FIN_WAIT_1']);
    expect(tap.sent('ab', TCP_FIN).length, tap.dump()).toBe(1);
    expect(b.state).toBe('CLOSE_WAIT');
    expect(b.readEnded).toBe(true);
    b.close();
    p.clock.runUntil(200);
    expect(pa).toEqual(['SYN_SENT', 'SYN_RECEIVED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect(b.state).toBe('CLOSED');
  });

  it('RST in SYN_RECEIVED returns a passive open to LISTEN; an out-of-window RST does not (RFC 9293 §3.10.7.4 first/second)', async () => {
    const seed = 4;
    const { p, tap, srv } = await pair(seed);
    tap.drop = (t) => t.dir === 'ba' && t.at < 1000; // lose the first SYN-ACK: the client stays in SYN_SENT
    const client = new Sink();
    const conn = p.a.connect(ADDR_B, PORT, client);
    client.conn = conn;
    p.clock.runUntil(10);
    expect(statesOf(p.b)).toEqual(['LISTEN', 'SYN_RECEIVED']);
    const syn = tap.sent('ab')[0].seg;
    const base = { srcPort: conn.localPort, dstPort: PORT, flags: TCP_RST };
    tap.inject('b', seg({ ...base, seq: (syn.seq + 1 + 70_000) >>> 0 })); // beyond RCV.NXT + 65535
    expect(statesOf(p.b)).toEqual(['LISTEN', 'SYN_RECEIVED']);
    expect(p.b.stats.dropSynRecvOutOfWindow).toBe(1);
    tap.inject('b', seg({ ...base, seq: (syn.seq + 1) >>> 0 }));
    expect(statesOf(p.b)).toEqual(['LISTEN']);
    expect(p.b.stats.EmbryonicRsts).toBe(1);
    expect(tap.sent('ba').length, 'a RST is never answered').toBe(1);
    // Back in LISTEN: the client's SYN retransmission at 1 s opens the connection normally.
    p.clock.runUntil(1100);
    expect(conn.state).toBe('ESTABLISHED');
    expect(srv.accepted.length).toBe(1);
  });
  it('RST in SYN_RECEIVED of an active (simultaneous) open → ECONNREFUSED, CLOSED (RFC 9293 §3.10.7.4 second)', async () => {
    const seed = 17;
    const p = await makeTcpPair(seed);
    const tap = new WireTap(p);
    tap.drop = (t) => t.dir === 'ba' && (t.seg.flags & TCP_ACK) !== 0; // b's SYN arrives, its SYN-ACK does not
    const ha = new Sink();
    const a = p.a.connect(ADDR_B, 2000, ha, 1000);
    p.b.connect(ADDR_A, 1000, new Sink(), 2000);
    p.clock.runUntil(1);
    expect(a.state).toBe('SYN_RECEIVED');
    const rcvNxt = a.info().rcvNxt;
    tap.inject('a', seg({ srcPort: 2000, dstPort: 1000, flags: TCP_RST, seq: (rcvNxt + 1) >>> 0 }));
    expect(a.state, 'RFC 5961 §3.2: not exactly RCV.NXT → challenge ACK only').toBe('SYN_RECEIVED');
    tap.inject('a', seg({ srcPort: 2000, dstPort: 1000, flags: TCP_RST, seq: rcvNxt }));
    expect(a.state).toBe('CLOSED');
    expect(ha.events).toEqual(['error:ECONNREFUSED', 'close']);
    expect(statesOf(p.a)).toEqual([]);
  });
});

describe('RFC 9293 Figure 5: closing', () => {
  it('active close ESTABLISHED→FIN_WAIT_1→FIN_WAIT_2→TIME_WAIT; passive ESTABLISHED→CLOSE_WAIT→LAST_ACK→CLOSED (RFC 9293 §3.6 fig. 12)', async () => {
    const seed = 5;
    const { p, tap, conn, sconn, server } = await established(seed);
    const pc = tap.watch('client', conn);
    const ps = tap.watch('server', sconn);
    conn.close();
    tap.sample();
    expect(conn.state).toBe('FIN_WAIT_1');
    p.clock.runUntil(p.clock.now() + 10);
    expect([conn.state, sconn.state]).toEqual(['FIN_WAIT_2', 'CLOSE_WAIT']);
    expect(sconn.readEnded).toBe(true);
    expect(server.events).toEqual([]);
    sconn.close();
    tap.sample();
    expect(sconn.state).toBe('LAST_ACK');
    p.clock.runUntil(p.clock.now() + 10);
    expect(pc).toEqual(['ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect(ps).toEqual(['ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
    expect(statesOf(p.a)).toEqual(['TIME_WAIT']);
    expect(statesOf(p.b)).toEqual(['LISTEN']);
    expect(server.events).toEqual(['close']);
  });

  it('simultaneous close: both FIN_WAIT_1→CLOSING→TIME_WAIT (RFC 9293 §3.6 fig. 13)', async () => {
    const seed = 6;
    const { p, tap, conn, sconn } = await established(seed);
    const pc = tap.watch('client', conn);
    const ps = tap.watch('server', sconn);
    conn.close();
    sconn.close();
    tap.sample();
    p.clock.runUntil(p.clock.now() + 1); // the FINs cross: neither acknowledges the other's FIN
    expect([conn.state, sconn.state]).toEqual(['CLOSING', 'CLOSING']);
    p.clock.runUntil(p.clock.now() + 10);
    expect(pc).toEqual(['ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT']);
    expect(ps).toEqual(['ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT']);
    expect(statesOf(p.a)).toEqual(['TIME_WAIT']);
    expect(statesOf(p.b)).toEqual(['LISTEN', 'TIME_WAIT']);
  });

  it('FIN_WAIT_1 → TIME_WAIT when the peer FIN also ACKs ours (RFC 9293 §3.10.7.4 eighth, FIN-WAIT-1)', async () => {
    const seed = 7;
    const { p, tap, conn, sconn, server } = await established(seed);
    server.afterRead = (c) => {
      if (c.readEnded) c.close(); // close from the FIN's callback: one FIN,ACK, no separate ACK
    };
    const pc = tap.watch('client', conn);
    const before = tap.log.length;
    conn.close();
    tap.sample();
    p.clock.runUntil(p.clock.now() + 10);
    const after = tap.log.slice(before).filter((t) => t.dir === 'ba');
    const fin = tap.sent('ab', TCP_FIN)[0].seg;
    expect(after.map((t) => t.seg.flags), tap.dump()).toEqual([TCP_FIN | TCP_ACK]);
    expect(after[0].seg.ack).toBe((fin.seq + 1) >>> 0);
    expect(pc).toEqual(['ESTABLISHED', 'FIN_WAIT_1', 'TIME_WAIT']);
    expect(sconn.state).toBe('CLOSED');
  });

  it('TIME_WAIT lasts exactly 2·MSL, kept as a compact record with no Connection (RFC 9293 §3.4.2, §3.10.7.4)', async () => {
    const seed = 8;
    const msl = 5_000;
    const { p, tap, conn, sconn } = await established(seed, { options: { msl } });
    conn.close();
    p.clock.runUntil(p.clock.now() + 10);
    sconn.close();
    p.clock.runUntil(p.clock.now() + 10);
    const finAt = tap.sent('ba', TCP_FIN)[0].at + 1; // delivery of the peer FIN: FIN_WAIT_2 → TIME_WAIT
    const layer = p.a as unknown as { conns: { size: number }; timeWait: { size: number } };
    expect([layer.conns.size, layer.timeWait.size]).toEqual([0, 1]);
    const tw = p.a.connections();
    expect(tw.map((i) => [i.state, i.localPort, i.remotePort])).toEqual([['TIME_WAIT', conn.localPort, PORT]]);
    p.clock.runUntil(finAt + 2 * msl - 1);
    expect(statesOf(p.a)).toEqual(['TIME_WAIT']);
    p.clock.runUntil(finAt + 2 * msl);
    expect(statesOf(p.a)).toEqual([]);
    expect(layer.timeWait.size).toBe(0);
    // The tuple is free again: the same local port may connect to the same peer.
    const again = p.a.connect(ADDR_B, PORT, new Sink(), conn.localPort);
    p.clock.runUntil(p.clock.now() + 10);
    expect(again.state).toBe('ESTABLISHED');
  });

  it('half-close: after shutdownWrite the peer keeps sending and we keep reading (RFC 9293 §3.6, §3.10.4)', async () => {
    const seed = 9;
    const { p, conn, client, sconn, server } = await established(seed);
    conn.shutdownWrite();
    p.clock.runUntil(p.clock.now() + 10);
    expect([conn.state, sconn.state]).toEqual(['FIN_WAIT_2', 'CLOSE_WAIT']);
    expect(sconn.readEnded).toBe(true);
    const data = Buffer.alloc(100_000, 0x5a);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    expect(sconn.send(data)).toBe(data.length);
    sconn.close();
    p.clock.runUntil(p.clock.now() + 1000);
    expect(Buffer.concat(client.chunks).equals(data), `seed ${seed}`).toBe(true);
    expect(conn.readEnded).toBe(true);
    expect(conn.state).toBe('TIME_WAIT');
    expect([client.events, server.events]).toEqual([['connect', 'close'], ['close']]);
  });

  it('abort() sends RST <SEQ=SND.NXT>, the peer reports ECONNRESET, both tables are emptied (RFC 9293 §3.10.5)', async () => {
    const seed = 10;
    const { p, tap, conn, sconn, server } = await established(seed);
    conn.send(Buffer.from('unacked'));
    const sndMax = tap.sent('ab').at(-1)!.seg;
    conn.abort();
    expect(conn.state).toBe('CLOSED');
    const rst = tap.log.at(-1)!.seg;
    expect(rst.flags & TCP_RST).toBe(TCP_RST);
    expect(rst.seq).toBe((sndMax.seq + sndMax.payload.length) >>> 0);
    p.clock.runUntil(p.clock.now() + 10);
    expect(server.events).toEqual(['error:ECONNRESET', 'close']);
    expect(sconn.state).toBe('CLOSED');
    expect(statesOf(p.a)).toEqual([]);
    expect(statesOf(p.b)).toEqual(['LISTEN']);
    expect(p.b.stats.EstabResets).toBe(1);
    expect(tap.sent('ba', TCP_RST), 'a RST is never answered').toEqual([]);
  });

  it('abort() in SYN_SENT sends nothing (RFC 9293 §3.10.5: no RST before synchronization)', async () => {
    const seed = 11;
    const { p, tap } = await pair(seed);
    tap.drop = () => true;
    const conn = p.a.connect(ADDR_B, PORT, new Sink());
    conn.abort();
    p.clock.runUntil(10_000);
    expect(tap.log.map((t) => t.seg.flags)).toEqual([TCP_SYN]);
    expect(statesOf(p.a)).toEqual([]);
  });
});

describe('handshake retransmission schedules (RFC 6298 §5.5 backoff, Linux tcp_syn_retries / tcp_synack_retries)', () => {
  it('SYN retransmitted at 0,1,3,7,15,31,63 s then ETIMEDOUT at exactly 127 s (6 retries)', async () => {
    const seed = 12;
    const { p, tap } = await pair(seed);
    tap.drop = (t) => t.dir === 'ab';
    const h = new Sink();
    const conn = p.a.connect(ADDR_B, PORT, h);
    p.clock.runUntil(126_999);
    expect(h.events).toEqual([]);
    p.clock.runUntil(127_000);
    expect(h.events).toEqual(['error:ETIMEDOUT', 'close']);
    const syns = tap.sent('ab');
    expect(syns.map((t) => t.at)).toEqual([0, 1000, 3000, 7000, 15_000, 31_000, 63_000]);
    // The same SYN each time (same ISS, same options).
    for (const t of syns) {
      expect(t.seg.flags).toBe(TCP_SYN);
      expect(t.seg.seq).toBe(syns[0].seg.seq);
      expect(Object.keys(t.seg.options).sort()).toEqual(['mss', 'sackPermitted', 'timestamp', 'wscale']);
    }
    expect(conn.state).toBe('CLOSED');
    expect(statesOf(p.a)).toEqual([]);
    expect([p.a.stats.TCPSynRetrans, p.a.stats.AttemptFails]).toEqual([6, 1]);
    p.clock.runUntil(1_000_000);
    expect(tap.sent('ab').length).toBe(7);
  });

  it('synRetries=2: SYN at 0,1,3 s, ETIMEDOUT at 7 s', async () => {
    const seed = 13;
    const { p, tap } = await pair(seed, { options: { synRetries: 2 } });
    tap.drop = (t) => t.dir === 'ab';
    const h = new Sink();
    p.a.connect(ADDR_B, PORT, h);
    p.clock.runUntil(6_999);
    expect(h.events).toEqual([]);
    p.clock.runUntil(7_000);
    expect(h.events).toEqual(['error:ETIMEDOUT', 'close']);
    expect(tap.sent('ab').map((t) => t.at)).toEqual([0, 1000, 3000]);
  });

  it('a SYN lost twice still connects on the third try, at 3 s', async () => {
    const seed = 14;
    const { p, tap, srv } = await pair(seed);
    tap.drop = (t) => t.dir === 'ab' && t.at < 3000;
    const h = new Sink();
    const conn = p.a.connect(ADDR_B, PORT, h);
    p.clock.runUntil(3_010);
    expect(conn.state).toBe('ESTABLISHED');
    expect(srv.accepted.length).toBe(1);
  });

  it('listener SYN-ACK retransmitted at 0,1,3,7,15,31 s (5 retries), request dropped at exactly 63 s', async () => {
    const seed = 15;
    const { p, tap } = await pair(seed);
    tap.drop = (t) => t.dir === 'ba'; // the SYN-ACKs go nowhere (and the client layer never RSTs them)
    const syn = seg({
      srcPort: 5555,
      dstPort: PORT,
      flags: TCP_SYN,
      seq: 0x1234_5678,
      options: { mss: 1460, sackPermitted: true, timestamp: { val: 777, ecr: 0 }, wscale: 7 },
    });
    tap.inject('b', syn);
    p.clock.runUntil(62_999);
    expect(statesOf(p.b)).toEqual(['LISTEN', 'SYN_RECEIVED']);
    p.clock.runUntil(63_000);
    expect(statesOf(p.b)).toEqual(['LISTEN']);
    const synAcks = tap.sent('ba');
    expect(synAcks.map((t) => t.at)).toEqual([0, 1000, 3000, 7000, 15_000, 31_000]);
    for (const t of synAcks) {
      expect(t.seg.flags).toBe(TCP_SYN | TCP_ACK);
      expect(t.seg.seq).toBe(synAcks[0].seg.seq);
      expect(t.seg.ack).toBe(0x1234_5679);
      expect(t.seg.options.timestamp?.ecr).toBe(777);
      expect(t.seg.options.wscale).toBe(3);
      expect(t.seg.options.sackPermitted).toBe(true);
    }
    expect([p.b.stats.TCPSynRetrans, p.b.stats.TCPTimeouts]).toEqual([5, 1]);
  });

  it('synAckRetries=1: SYN-ACK at 0 and 1 s, request dropped at 3 s', async () => {
    const seed = 16;
    const { p, tap } = await pair(seed, { options: { synAckRetries: 1 } });
    tap.drop = (t) => t.dir === 'ba';
    tap.inject('b', seg({ srcPort: 5555, dstPort: PORT, flags: TCP_SYN, seq: 1, options: { mss: 1460 } }));
    p.clock.runUntil(2_999);
    expect(statesOf(p.b)).toEqual(['LISTEN', 'SYN_RECEIVED']);
    p.clock.runUntil(3_000);
    expect(statesOf(p.b)).toEqual(['LISTEN']);
    expect(tap.sent('ba').map((t) => t.at)).toEqual([0, 1000]);
    // Without TS/SACK/WS offered, the SYN-ACK carries MSS only.
    expect(tap.sent('ba')[0].seg.options).toEqual({ mss: 1460 });
  });
});
