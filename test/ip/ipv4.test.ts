import { describe, expect, it } from 'vitest';
import { Ipv4Layer } from '../../src/ip/ipv4.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { checksum } from '../../src/wire/checksum.js';
import { Ipv4Packet } from '../../src/wire/ipv4.js';
import { Icmpv4Packet } from '../../src/wire/icmpv4.js';
import { A_10_9_0_1, A_10_9_0_2, FakeLink, LINUX_UDP_HELLO } from './helpers.js';

function setup(mtu = 1500) {
  const link = new FakeLink(mtu);
  const clock = new VirtualClock(1000);
  const ip = new Ipv4Layer({ link, addr: A_10_9_0_2, clock, prefixLen: 24 });
  return { link, clock, ip };
}

function view(b: Buffer): Ipv4Packet {
  const p = Ipv4Packet.parse(b);
  if (typeof p === 'string') throw new Error(`bad packet sent: ${p}`);
  return p;
}

describe('Ipv4Layer input (RFC 791, RFC 1122 §3.2.1)', () => {
  it('demultiplexes by protocol to the registered transport with payload and whole datagram', () => {
    const { link, ip } = setup();
    const got: Array<[number, number, string, number]> = [];
    ip.register(17, (src, dst, payload, datagram) => got.push([src, dst, payload.toString('hex'), datagram.length]));
    link.inject(LINUX_UDP_HELLO());
    expect(got).toEqual([[A_10_9_0_1, A_10_9_0_2, '9c400007000d0ba668656c6c6f', 33]]);
    expect(ip.stats.ip.inDelivers).toBe(1);
  });

  it('accepts limited and directed broadcast, drops other destinations as notForUs', () => {
    const { link, ip } = setup();
    let n = 0;
    ip.register(17, () => n++);
    for (const dst of [0xffffffff, 0x0a0900ff, 0x0a090003, 0x0b000001]) {
      const b = Buffer.from(LINUX_UDP_HELLO());
      const p = Ipv4Packet.over(b);
      p.dst = dst;
      p.fillChecksum();
      link.inject(b);
    }
    expect(n).toBe(2);
    expect(ip.stats.ip.notForUs).toBe(2);
  });

  it('drops broadcast, multicast and loopback sources (RFC 1122 §3.2.1.3)', () => {
    const { link, ip } = setup();
    let n = 0;
    ip.register(17, () => n++);
    for (const src of [0xffffffff, 0xe0000001, 0x7f000001]) {
      const b = Buffer.from(LINUX_UDP_HELLO());
      const p = Ipv4Packet.over(b);
      p.src = src;
      p.fillChecksum();
      link.inject(b);
    }
    expect(n).toBe(0);
    expect(ip.stats.ip.badSource).toBe(3);
  });

  it('counts each header drop reason and keeps processing the batch', () => {
    const { link, ip } = setup();
    let n = 0;
    ip.register(17, () => n++);
    const bad = Buffer.from(LINUX_UDP_HELLO());
    bad[8] = 1; // TTL changed without fixing the checksum
    link.inject(LINUX_UDP_HELLO().subarray(0, 10), bad, Buffer.from([0x60]), LINUX_UDP_HELLO());
    expect(ip.stats.ip).toMatchObject({ truncated: 2, badChecksum: 1, inDelivers: 1, inReceives: 4 });
    expect(n).toBe(1);
  });

  it('a transport that throws is counted, not propagated', () => {
    const { link, ip } = setup();
    ip.register(17, () => {
      throw new Error('boom');
    });
    expect(() => link.inject(LINUX_UDP_HELLO())).not.toThrow();
    expect(ip.stats.ip.handlerError).toBe(1);
  });

  it('unknown protocol gets ICMP protocol unreachable (type 3 code 2) quoting the datagram', () => {
    const { link, ip } = setup();
    const b = Buffer.from(LINUX_UDP_HELLO());
    const p = Ipv4Packet.over(b);
    p.protocol = 99;
    p.fillChecksum();
    link.inject(b);
    const [out] = link.take();
    const v = view(out);
    expect([v.src, v.dst, v.protocol]).toEqual([A_10_9_0_2, A_10_9_0_1, 1]);
    const icmp = Icmpv4Packet.parse(v.payload);
    if (typeof icmp === 'string') throw new Error(icmp);
    expect([icmp.type, icmp.code]).toEqual([3, 2]);
    expect(icmp.data.toString('hex')).toBe(b.toString('hex'));
    expect(ip.stats.ip.unknownProtocol).toBe(1);
    expect(ip.stats.icmp.outDestUnreachs).toBe(1);
  });
});

describe('Ipv4Layer output (RFC 791 §3.2)', () => {
  it('writes a valid header into the 20 bytes of headroom with ident from a per-layer counter', () => {
    const { link, ip } = setup();
    for (let i = 0; i < 2; i++) {
      const pkt = Buffer.alloc(28);
      ip.output(pkt, A_10_9_0_1, 17);
    }
    const [a, b] = link.take().map(view);
    expect([a.src, a.dst, a.protocol, a.ttl, a.totalLen, a.dontFrag]).toEqual([A_10_9_0_2, A_10_9_0_1, 17, 64, 28, false]);
    expect(b.ident).toBe((a.ident + 1) & 0xffff);
  });

  it('fragments a 4000-byte datagram at MTU 1500 into 3 with 8-aligned offsets and MF', () => {
    const { link, ip } = setup();
    const pkt = Buffer.alloc(4000);
    for (let i = 20; i < 4000; i++) pkt[i] = (i * 7) & 0xff;
    const payload = Buffer.from(pkt.subarray(20));
    ip.output(pkt, A_10_9_0_1, 1);
    const frags = link.take().map(view);
    expect(frags.map((f) => [f.totalLen, f.fragOffset, f.moreFrags])).toEqual([
      [1500, 0, true],
      [1500, 1480, true],
      [1040, 2960, false],
    ]);
    expect(new Set(frags.map((f) => f.ident)).size).toBe(1);
    for (const f of frags) expect(checksum(f.buf, 0, 20)).toBe(0);
    expect(Buffer.concat(frags.map((f) => f.payload)).equals(payload)).toBe(true);
    expect(ip.stats.ip).toMatchObject({ fragOks: 1, fragCreates: 3 });
  });

  it('drops and counts a datagram above the MTU with DF set', () => {
    const { link, ip } = setup();
    ip.output(Buffer.alloc(1501), A_10_9_0_1, 17, 64, true);
    expect(link.take()).toEqual([]);
    expect(ip.stats.ip.fragFails).toBe(1);
    ip.output(Buffer.alloc(1500), A_10_9_0_1, 17, 64, true);
    expect(view(link.take()[0]).dontFrag).toBe(true);
  });
});
