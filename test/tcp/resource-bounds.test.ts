/**
 * Bounded resources with Linux's knob names (DEFAULT_TCP_OPTIONS): each bound
 * is hit, its counter moves, and service continues.
 *   maxConnections      → TCPMaxConnDrop (SYNs dropped), connect() EADDRNOTAVAIL
 *   maxTwBuckets        → TCPTimeWaitOverflow (tcp_max_tw_buckets)
 *   maxOrphans          → TCPAbortOnMemory (tcp_max_orphans: close() resets)
 *   maxSynBacklog       → TCPReqQFullDoCookies (SYN queue, then cookies)
 * Reassembly memory (ipfrag_high_thresh) is bounded in test/fuzz and test/linux/attacks.
 */
import { describe, expect, it } from 'vitest';
import type { TcpConnection, TcpOptions } from '../../src/tcp/api.js';
import { loadHexCorpus } from '../../src/fuzz/corpus.js';
import { readdress, tcpPacket } from '../../src/fuzz/packets.js';
import { PEER, US, buildFuzzStack, type FuzzStack } from '../../src/fuzz/stack-target.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, parseTcpSegment, type TcpRepr } from '../../src/wire/tcp.js';

const corpus = loadHexCorpus('stack').map((p) => (p.readUInt32BE(16) === US ? p : readdress(p, PEER, US)));

interface Peer {
  sport: number;
  seq: number;
  ack: number;
}

function seg(p: Peer, flags: number, payload = Buffer.alloc(0)): Buffer {
  const r: TcpRepr = { srcPort: p.sport, dstPort: 80, seq: p.seq >>> 0, ack: p.ack >>> 0, flags, window: 65535, urgent: 0, options: {}, payload };
  return tcpPacket(r, PEER, US);
}

function sent(f: FuzzStack, sport: number): TcpRepr[] {
  return f.link
    .take()
    .map((p) => parseTcpSegment(p.subarray(20), US, PEER))
    .filter((s): s is TcpRepr => typeof s !== 'string' && s.dstPort === sport);
}

/** Handshake from PEER:sport; undefined if no SYN-ACK came. */
function open(f: FuzzStack, sport: number): Peer | undefined {
  f.link.inject(seg({ sport, seq: 1000, ack: 0 }, TCP_SYN));
  const sa = sent(f, sport).find((s) => s.flags === (TCP_SYN | TCP_ACK));
  if (!sa) return undefined;
  const p = { sport, seq: 1001, ack: sa.seq + 1 };
  f.link.inject(seg(p, TCP_ACK));
  return p;
}

function setup(tcp: Partial<TcpOptions>) {
  const accepted: TcpConnection[] = [];
  const f = buildFuzzStack(corpus, (c) => accepted.push(c), tcp);
  return { f, accepted };
}

describe('bounded resources', () => {
  it('maxConnections: the SYN beyond the bound is dropped (TCPMaxConnDrop), a slot freed is reused', () => {
    const { f } = setup({ maxConnections: 3 });
    expect(open(f, 2001)).toBeDefined();
    const b = open(f, 2002)!;
    expect(f.stack.tcp.connectionCount).toBe(3);
    expect(open(f, 2003)).toBeUndefined();
    expect(f.stack.counters().Tcp.TCPMaxConnDrop).toBe(1);
    expect(() => f.stack.tcp.connect(PEER, 9, { onConnect() {}, onReadable() {}, onWritable() {}, onError() {}, onClose() {} })).toThrow(/EADDRNOTAVAIL/);
    f.link.inject(seg(b, TCP_RST));
    expect(f.stack.tcp.connectionCount).toBe(2);
    expect(open(f, 2004)).toBeDefined();
  });

  it('maxTwBuckets: past tcp_max_tw_buckets a closing connection skips TIME_WAIT (TCPTimeWaitOverflow)', () => {
    const { f, accepted } = setup({ maxTwBuckets: 2 });
    const peers = [3001, 3002, 3003].map((p) => open(f, p)!);
    for (const [i, p] of peers.entries()) {
      const c = accepted[i + 1];
      c.close(); // our FIN first: we will hold TIME_WAIT
      const fin = sent(f, p.sport).find((s) => s.flags & TCP_FIN)!;
      f.link.inject(seg({ ...p, ack: fin.seq + 1 }, TCP_ACK | TCP_FIN));
    }
    expect(f.stack.tcp.timeWaitCount).toBe(2);
    expect(f.stack.counters().Tcp.TCPTimeWaitOverflow).toBe(1);
    expect(f.stack.connections().filter((c) => c.state === 'TIME_WAIT')).toHaveLength(2);
    expect(open(f, 3004)).toBeDefined();
  });

  it('maxOrphans: a close() beyond tcp_max_orphans resets the connection (TCPAbortOnMemory)', () => {
    const { f, accepted } = setup({ maxOrphans: 1 });
    const [p1, p2] = [4001, 4002].map((p) => open(f, p)!);
    accepted[1].close(); // FIN_WAIT_1, the peer stays silent: an orphan
    expect(sent(f, p1.sport).some((s) => s.flags & TCP_FIN)).toBe(true);
    expect(f.stack.tcp.orphanCount).toBe(1);
    accepted[2].close();
    expect(sent(f, p2.sport).some((s) => s.flags & TCP_RST)).toBe(true);
    expect(f.stack.counters().Tcp.TCPAbortOnMemory).toBe(1);
    // The orphan finishing frees its slot.
    const fin = f.stack.connections().find((c) => c.remotePort === p1.sport)!;
    f.link.inject(seg({ ...p1, ack: fin.sndNxt }, TCP_ACK | TCP_FIN));
    expect(f.stack.tcp.orphanCount).toBe(0);
    expect(open(f, 4003)).toBeDefined();
  });

  it('maxSynBacklog: a full SYN queue answers with cookies (TCPReqQFullDoCookies), and a cookie ACK completes', () => {
    const { f } = setup({ maxSynBacklog: 2 });
    for (let i = 0; i < 10; i++) f.link.inject(seg({ sport: 5000 + i, seq: 1000, ack: 0 }, TCP_SYN));
    f.link.take();
    expect(f.stack.counters().Tcp.TCPReqQFullDoCookies).toBeGreaterThan(0);
    expect(open(f, 5100)).toBeDefined();
    expect(f.stack.counters().Tcp.SyncookiesRecv).toBe(1);
  });
});
