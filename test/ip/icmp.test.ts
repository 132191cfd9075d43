import { describe, expect, it } from 'vitest';
import { Ipv4Layer } from '../../src/ip/ipv4.js';
import { Reassembler } from '../../src/ip/reassembly.js';
import { makeIpCounters } from '../../src/ip/counters.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { checksum } from '../../src/wire/checksum.js';
import { Ipv4Packet } from '../../src/wire/ipv4.js';
import { Icmpv4Packet, Icmpv4Repr } from '../../src/wire/icmpv4.js';
import {
  A_10_9_0_1,
  A_10_9_0_2,
  FakeLink,
  LINUX_ECHO_REQUEST,
  LINUX_LO_ECHO_REPLY,
  LINUX_LO_ECHO_REQUEST,
  LINUX_UDP_NOBODY,
  linuxBigEchoFragments,
  linuxBigEchoMessage,
} from './helpers.js';

function setup(opts: { burst?: number; perSec?: number; ratelimitMs?: number; ratemask?: number; peers?: number } = {}) {
  const link = new FakeLink(1500);
  const clock = new VirtualClock(0);
  const ip = new Ipv4Layer({
    link,
    addr: A_10_9_0_2,
    clock,
    icmpMsgsBurst: opts.burst,
    icmpMsgsPerSec: opts.perSec,
    icmpRatelimitMs: opts.ratelimitMs,
    icmpRatemask: opts.ratemask,
    icmpRatelimitPeers: opts.peers,
  });
  return { link, clock, ip };
}

function ipv(b: Buffer): Ipv4Packet {
  const p = Ipv4Packet.parse(b);
  if (typeof p === 'string') throw new Error(p);
  return p;
}
function icmpv(b: Buffer): Icmpv4Packet {
  const p = Icmpv4Packet.parse(b);
  if (typeof p === 'string') throw new Error(p);
  return p;
}

/** A UDP datagram to a closed port, with `edit` applied and the header checksum refreshed. */
function udpTo(edit: (p: Ipv4Packet) => void = () => {}): Buffer {
  const b = Buffer.from(LINUX_UDP_NOBODY());
  const p = Ipv4Packet.over(b);
  edit(p);
  p.fillChecksum();
  return b;
}

describe('ICMP echo (RFC 792, RFC 1122 §3.2.2.6)', () => {
  it('answers a captured Linux echo request byte-correctly', () => {
    const { link, ip } = setup();
    const req = LINUX_ECHO_REQUEST();
    link.inject(req);
    const [out] = link.take();
    const v = ipv(out); // also validates the header checksum
    expect([v.src, v.dst, v.protocol, v.ttl, v.totalLen]).toEqual([A_10_9_0_2, A_10_9_0_1, 1, 64, 44]);
    // Same ident/seq/data; type 0; checksum patched by +0x0800 as Linux does.
    expect(v.payload.toString('hex')).toBe('00000b53150400013d34046b000000009d08010000000000');
    expect(checksum(v.payload, 0, v.payload.length)).toBe(0);
    expect(ip.stats.icmp).toMatchObject({ inEchos: 1, outEchoReps: 1 });
  });

  it('produces the same ICMP bytes as the Linux kernel reply to the same request', () => {
    const { link, ip } = setup();
    // Loopback request fed straight to ICMP (the IP layer rightly refuses 127/8 from a link).
    ip.icmp.input(0x7f000001, A_10_9_0_2, LINUX_LO_ECHO_REQUEST().subarray(20));
    const [out] = link.take();
    expect(ipv(out).payload.toString('hex')).toBe(LINUX_LO_ECHO_REPLY().subarray(20).toString('hex'));
  });

  it('answers a fragmented 3000-byte Linux ping (fragments out of order) with a fragmented reply that reassembles', () => {
    const { link } = setup();
    const [f1, f2, f3] = linuxBigEchoFragments();
    expect(checksum(linuxBigEchoMessage(), 0, 3008)).toBe(0); // the rebuild matches the capture
    link.inject(f3, f1, f2);
    const out = link.take().map(ipv);
    expect(out.map((f) => [f.totalLen, f.fragOffset, f.moreFrags])).toEqual([
      [1500, 0, true],
      [1500, 1480, true],
      [68, 2960, false],
    ]);
    const r = new Reassembler({
      clock: new VirtualClock(),
      timeoutMs: 30_000,
      maxBytes: 1 << 20,
      counters: makeIpCounters(),
      onTimeout: () => {},
    });
    let whole: Buffer | undefined;
    for (const f of out) whole = r.insert(f) ?? whole;
    const reply = icmpv(ipv(whole!).payload);
    const req = linuxBigEchoMessage();
    expect([reply.type, reply.ident, reply.seq]).toEqual([0, 0x153d, 1]);
    expect(reply.data.equals(req.subarray(8))).toBe(true);
  });

  it('answers a 4000-byte ping from another stack: 3 reply fragments (1500/1500/1040) that reassemble to the echo', () => {
    const { link, clock, ip } = setup();
    const peerLink = new FakeLink(1500);
    const peer = new Ipv4Layer({ link: peerLink, addr: A_10_9_0_1, clock });
    let reply: Buffer | undefined;
    peer.register(1, (_s, _d, payload) => (reply = Buffer.from(payload)));
    const data = Buffer.alloc(3972);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    const req = Buffer.alloc(20 + 8 + data.length);
    Icmpv4Repr.emit({ kind: 'echoRequest', ident: 0x4242, seq: 7, data }, req.subarray(20));
    peer.output(req, A_10_9_0_2, 1);
    const reqFrags = peerLink.take();
    expect(reqFrags.length).toBe(3);
    link.inject(...reqFrags);
    const out = link.take();
    expect(out.map((b) => ipv(b)).map((f) => [f.totalLen, f.fragOffset, f.moreFrags])).toEqual([
      [1500, 0, true],
      [1500, 1480, true],
      [1040, 2960, false],
    ]);
    peerLink.inject(...out);
    const r = icmpv(reply!);
    expect([r.type, r.ident, r.seq]).toEqual([0, 0x4242, 7]);
    expect(r.data.equals(data)).toBe(true);
    expect(ip.stats.ip).toMatchObject({ reasmOks: 1, fragOks: 1, fragCreates: 3 });
  });

  it('ignores echo requests to broadcast (Linux icmp_echo_ignore_broadcasts)', () => {
    const { link, ip } = setup();
    const b = Buffer.from(LINUX_ECHO_REQUEST());
    const p = Ipv4Packet.over(b);
    p.dst = 0xffffffff;
    p.fillChecksum();
    link.inject(b);
    expect(link.take()).toEqual([]);
    expect(ip.stats.icmp.echoIgnoredBroadcast).toBe(1);
  });

  it('drops and counts truncated and corrupted ICMP', () => {
    const { link, ip } = setup();
    ip.icmp.input(A_10_9_0_1, A_10_9_0_2, Buffer.from([8, 0, 0]));
    const bad = Buffer.from(LINUX_ECHO_REQUEST().subarray(20));
    bad[10] ^= 0x40;
    ip.icmp.input(A_10_9_0_1, A_10_9_0_2, bad);
    expect(link.take()).toEqual([]);
    expect(ip.stats.icmp).toMatchObject({ inTruncated: 1, inBadChecksum: 1, inErrors: 2 });
  });
});

describe('ICMP errors (RFC 792, RFC 1122 §3.2.2)', () => {
  it('quotes the whole offending datagram up to 576 bytes total, as Linux does', () => {
    const { link, ip } = setup();
    const d = udpTo();
    expect(ip.sendDestUnreachable(d, 3)).toBe(true);
    const big = Buffer.alloc(1400);
    d.copy(big);
    const p = Ipv4Packet.over(big);
    p.totalLen = 1400;
    p.fillChecksum();
    ip.sendDestUnreachable(big, 3);
    const [small, large] = link.take().map(ipv);
    expect(icmpv(small.payload).data.equals(d)).toBe(true);
    expect(large.totalLen).toBe(576);
    expect(icmpv(large.payload).data.equals(big.subarray(0, 548))).toBe(true);
  });

  it('never answers an ICMP error, a non-initial fragment, a broadcast, or a non-unicast source', () => {
    const { link, ip } = setup();
    const unreachable = Buffer.alloc(20 + 8 + 28);
    LINUX_UDP_NOBODY().copy(unreachable, 0, 0, 20);
    const u = Ipv4Packet.over(unreachable);
    u.protocol = 1;
    u.totalLen = unreachable.length;
    u.fillChecksum();
    unreachable[20] = 3; // ICMP type: destination unreachable
    const cases = [
      unreachable,
      udpTo((p) => p.setFlagsFrag(false, false, 1480)),
      udpTo((p) => (p.dst = 0xffffffff)),
      udpTo((p) => (p.dst = 0x0a0900ff)),
      udpTo((p) => (p.src = 0)),
      udpTo((p) => (p.src = 0xe0000001)),
    ];
    for (const d of cases) expect(ip.sendDestUnreachable(d, 3)).toBe(false);
    expect(link.take()).toEqual([]);
    expect(ip.stats.icmp.errorSuppressed).toBe(cases.length);
    // The first fragment (offset 0, MF) may be answered.
    expect(ip.sendDestUnreachable(udpTo((p) => p.setFlagsFrag(false, true, 0)), 3)).toBe(true);
  });

  it('rate-limits errors with a token bucket: burst, then refill in virtual time; echo replies are exempt', () => {
    // The global bucket alone (icmp_ratelimit=0 turns the per-destination one off).
    const { link, clock, ip } = setup({ burst: 50, perSec: 1000, ratelimitMs: 0 });
    const d = udpTo();
    let sent = 0;
    for (let i = 0; i < 60; i++) if (ip.sendDestUnreachable(d, 3)) sent++;
    expect(sent).toBe(50);
    expect(ip.stats.icmp.outRateLimited).toBe(10);
    link.inject(LINUX_ECHO_REQUEST());
    expect(ip.stats.icmp.outEchoReps).toBe(1);
    clock.advance(5); // 1000/s refills 5 tokens in 5 ms
    sent = 0;
    for (let i = 0; i < 10; i++) if (ip.sendDestUnreachable(d, 3)) sent++;
    expect(sent).toBe(5);
    clock.advance(10_000); // capped at the burst
    sent = 0;
    for (let i = 0; i < 100; i++) if (ip.sendDestUnreachable(d, 3)) sent++;
    expect(sent).toBe(50);
  });

  it('limits errors per destination as Linux icmpv4_xrlim_allow: burst of 6, then one per icmp_ratelimit', () => {
    const { link, clock, ip } = setup();
    const d = udpTo();
    let sent = 0;
    for (let i = 0; i < 20; i++) if (ip.sendDestUnreachable(d, 3)) sent++;
    expect(sent).toBe(6);
    expect(ip.stats.icmp.outRateLimitHost).toBe(14);
    expect(ip.stats.icmp.outRateLimited).toBe(0);
    // Another destination has its own budget.
    const other = udpTo((p) => (p.src = 0x0a090007));
    expect(ip.sendDestUnreachable(other, 3)).toBe(true);
    clock.advance(999);
    expect(ip.sendDestUnreachable(d, 3)).toBe(false);
    clock.advance(1);
    expect(ip.sendDestUnreachable(d, 3)).toBe(true);
    expect(ip.sendDestUnreachable(d, 3)).toBe(false);
    clock.advance(60_000); // capped at 6 × icmp_ratelimit
    sent = 0;
    for (let i = 0; i < 20; i++) if (ip.sendDestUnreachable(d, 3)) sent++;
    expect(sent).toBe(6);
    // Frag-needed is never limited (icmpv4_mask_allow: PMTU discovery must not starve).
    expect(ip.sendDestUnreachable(d, 4)).toBe(true);
    expect(link.take().length).toBe(6 + 1 + 1 + 6 + 1);
  });

  it('limits echo replies per destination when icmp_ratemask has bit 0 (an echo flood), counted as outRateLimitHost', () => {
    const { link, clock, ip } = setup({ ratemask: 0x1819 });
    for (let i = 0; i < 100; i++) link.inject(LINUX_ECHO_REQUEST());
    expect(ip.stats.icmp.inEchos).toBe(100);
    expect(ip.stats.icmp.outEchoReps).toBe(6);
    expect(ip.stats.icmp.outRateLimitHost).toBe(94);
    expect(link.take().length).toBe(6);
    clock.advance(2000);
    for (let i = 0; i < 10; i++) link.inject(LINUX_ECHO_REQUEST());
    expect(ip.stats.icmp.outEchoReps).toBe(8);
  });

  it('bounds the per-destination table; a forgotten destination starts with a full burst', () => {
    const { ip } = setup({ peers: 2 });
    const from = (a: number) => udpTo((p) => (p.src = a));
    for (let i = 0; i < 6; i++) expect(ip.sendDestUnreachable(from(0x0a090001), 3)).toBe(true);
    expect(ip.sendDestUnreachable(from(0x0a090001), 3)).toBe(false);
    ip.sendDestUnreachable(from(0x0a090003), 3);
    ip.sendDestUnreachable(from(0x0a090004), 3); // evicts 10.9.0.1, the least recently used
    expect(ip.sendDestUnreachable(from(0x0a090001), 3)).toBe(true);
  });

  it('passes received errors to the transport that sent the quoted datagram', () => {
    const { link, ip } = setup();
    const got: Array<[number, number, number]> = [];
    ip.register(17, () => {}, (type, code, quoted) => got.push([type, code, quoted.length]));
    // Our own port unreachable about a datagram 10.9.0.1 sent, turned around to come back to us.
    ip.sendDestUnreachable(udpTo(), 3);
    const [err] = link.take();
    const v = Ipv4Packet.over(err);
    v.src = A_10_9_0_1;
    v.dst = A_10_9_0_2;
    v.fillChecksum();
    link.inject(err);
    expect(got).toEqual([[3, 3, 34]]);
    expect(ip.stats.icmp.inDestUnreachs).toBe(1);
  });
});
