/**
 * ECN (RFC 3168 §6.1) between two stacks in virtual time: negotiation by
 * Linux's tcp_ecn semantics (§6.1.1), ECT(0) on new data only (§6.1.5), CE
 * marks from the seeded faults layer echoed as ECE until CWR (§6.1.3), and
 * the sender's reduction at most once per window (§6.1.2).
 */
import { describe, expect, it } from 'vitest';
import { Stack } from '../../src/stack.js';
import { createMemoryLinkPair, type MemoryLink } from '../../src/link/memory.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng } from '../../src/util/random.js';
import type { TcpConnection } from '../../src/tcp/api.js';
import { ipv4 } from '../../src/wire/ip-address.js';
import { TCP_CWR, TCP_ECE, TCP_SYN } from '../../src/wire/tcp.js';

interface Seen {
  ecn: number;
  flags: number;
  seq: number;
  len: number;
}

/** Log what a link sends: IP ECN field, TCP flags, sequence number, payload length. */
function tap(link: MemoryLink): Seen[] {
  const log: Seen[] = [];
  const send = link.send.bind(link);
  link.send = (p: Buffer, gso?: number, partial?: boolean): void => {
    const ihl = (p[0] & 15) * 4;
    const doff = (p[ihl + 12] >> 4) * 4;
    log.push({ ecn: p[1] & 3, flags: p[ihl + 13], seq: p.readUInt32BE(ihl + 4), len: p.readUInt16BE(2) - ihl - doff });
    send(p, gso, partial);
  };
  return log;
}

function transfer(ecnA: 0 | 1 | 2, ecnB: 0 | 1 | 2, faults: { ce?: number; loss?: number }, bytes = 256 * 1024, seed = 5) {
  const clock = new VirtualClock(0);
  const [la, lb] = createMemoryLinkPair({
    clock,
    rng: new SeededRng(seed),
    faultsAtoB: { delayMs: 5, rateBytesPerSec: 2_000_000, ...faults },
    faultsBtoA: { delayMs: 5 },
  });
  const ab = tap(la);
  const ba = tap(lb);
  const a = new Stack({ link: la, addr: '10.0.0.1', clock, rng: new SeededRng(seed + 1), tcp: { ecn: ecnA } });
  const b = new Stack({ link: lb, addr: '10.0.0.2', clock, rng: new SeededRng(seed + 2), tcp: { ecn: ecnB } });
  let received = 0;
  let server: TcpConnection | undefined;
  const listener = b.tcp.listen(9, 8, () => {
    const c = listener.accept();
    if (!c) return;
    server = c;
    const drain = (): void => {
      for (let d = c.read(); d; d = c.read()) received += d.length;
    };
    c.handler = { onConnect() {}, onReadable: drain, onWritable() {}, onError() {}, onClose() {} };
  });
  const data = Buffer.alloc(bytes, 7);
  let sent = 0;
  const pump = (): void => {
    while (sent < bytes) {
      const n = conn.send(data.subarray(sent));
      if (n === 0) return;
      sent += n;
    }
  };
  const conn = a.tcp.connect(ipv4('10.0.0.2'), 9, { onConnect: pump, onReadable() {}, onWritable: pump, onError() {}, onClose() {} });
  for (let i = 0; i < 1_000_000 && received < bytes; i++) {
    const next = clock.nextAt();
    if (next === undefined) break;
    clock.runUntil(next);
  }
  expect(received).toBe(bytes);
  return { a: conn.info(), b: server!.info(), ab, ba, ceMarked: la.counters.ceMarked, stats: a.tcp.stats };
}

describe('ECN negotiation (RFC 3168 §6.1.1, Linux tcp_ecn)', () => {
  it('tcp_ecn=1 asks with ECE|CWR in the SYN; a peer at the default 2 answers ECE alone; both turn it on', () => {
    const r = transfer(1, 2, {}, 16 * 1024);
    const syn = r.ab.find((s) => s.flags & TCP_SYN)!;
    expect(syn.flags & (TCP_ECE | TCP_CWR)).toBe(TCP_ECE | TCP_CWR);
    const synAck = r.ba.find((s) => s.flags & TCP_SYN)!;
    expect(synAck.flags & (TCP_ECE | TCP_CWR)).toBe(TCP_ECE);
    expect(r.a.ecn).toBe(true);
    expect(r.b.ecn).toBe(true);
    // §6.1.1: the SYN and SYN-ACK themselves are not ECN-capable.
    expect(syn.ecn).toBe(0);
    expect(synAck.ecn).toBe(0);
  });

  for (const [a, b] of [[2, 2], [0, 2], [1, 0]] as const) {
    it(`tcp_ecn ${a} (client) with ${b} (server): off, and no packet is ECT`, () => {
      const r = transfer(a, b, {}, 16 * 1024);
      expect(r.a.ecn).toBe(false);
      expect(r.b.ecn).toBe(false);
      expect(r.ab.concat(r.ba).every((s) => s.ecn === 0)).toBe(true);
      const synAck = r.ba.find((s) => s.flags & TCP_SYN)!;
      expect(synAck.flags & TCP_ECE).toBe(0);
    });
  }
});

describe('ECN on the data path (RFC 3168 §6.1.2–§6.1.5)', () => {
  it('new data is ECT(0); retransmissions and pure ACKs are not (§6.1.5)', () => {
    const r = transfer(1, 2, { loss: 0.03 });
    const seen = new Set<number>();
    let fresh = 0;
    let rtx = 0;
    for (const s of r.ab) {
      if (s.len === 0 || s.flags & TCP_SYN) {
        expect(s.ecn).toBe(0);
        continue;
      }
      if (seen.has(s.seq)) {
        rtx++;
        expect(s.ecn, `retransmission at ${s.seq}`).toBe(0);
      } else {
        fresh++;
        expect(s.ecn).toBe(2);
      }
      seen.add(s.seq);
    }
    expect(rtx).toBeGreaterThan(0);
    expect(fresh).toBeGreaterThan(100);
    expect(r.ba.every((s) => s.ecn === 0)).toBe(true); // the receiver sends only pure ACKs
  });

  it('CE marks are echoed with ECE until CWR; the sender reduces at most once per window and sets CWR', () => {
    const r = transfer(1, 2, { ce: 0.02 });
    expect(r.ceMarked).toBeGreaterThan(0);
    expect(r.b.ecnCeReceived).toBe(r.ceMarked);
    expect(r.ba.some((s) => s.flags & TCP_ECE)).toBe(true);
    const cwrs = r.ab.filter((s) => s.flags & TCP_CWR && !(s.flags & TCP_SYN));
    expect(r.a.ecnReductions).toBeGreaterThan(0);
    expect(cwrs.length).toBe(r.a.ecnReductions);
    // Several marks fall within one window: fewer reductions than marks.
    expect(r.a.ecnReductions!).toBeLessThan(r.ceMarked);
    // After each CWR the receiver stops echoing until the next CE mark: not every ACK carries ECE.
    expect(r.ba.filter((s) => !(s.flags & TCP_SYN) && !(s.flags & TCP_ECE)).length).toBeGreaterThan(0);
    // No loss: nothing retransmitted, the window was cut by ECN alone.
    expect(r.stats.RetransSegs ?? 0).toBe(0);
    expect(r.a.ssthresh).toBeLessThan(0x7fffffff);
  });

  it('ECE on every ACK (a receiver that never sees CWR) still reduces only once per window', () => {
    const r = transfer(1, 2, { ce: 1 });
    // Every data segment is marked: the receiver echoes continuously; the
    // sender cuts once per window, and the window bottoms out at 2 segments,
    // so at most one reduction per two segments sent.
    const dataSegs = r.ab.filter((s) => s.len > 0).length;
    expect(r.a.ecnReductions!).toBeGreaterThan(1);
    expect(r.a.ecnReductions!).toBeLessThanOrEqual(dataSegs / 2);
    expect(r.a.cwnd).toBeLessThanOrEqual(3 * r.a.mss);
  });
});
