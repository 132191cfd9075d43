import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Ipv4Layer } from '../../src/ip/ipv4.js';
import { UdpLayer } from '../../src/udp/udp.js';
import type { RemoteInfo, SystemError } from '../../src/udp/socket.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng } from '../../src/util/random.js';
import { Ipv4Packet } from '../../src/wire/ipv4.js';
import { Icmpv4Packet } from '../../src/wire/icmpv4.js';
import { UdpPacket } from '../../src/wire/udp.js';
import { A_10_9_0_1, A_10_9_0_2, FakeLink, LINUX_UDP_HELLO, LINUX_UDP_NOBODY } from '../ip/helpers.js';

const SEED = 0x0d9;

function setup(mtu = 1500) {
  const link = new FakeLink(mtu);
  const clock = new VirtualClock(0);
  const ip = new Ipv4Layer({ link, addr: A_10_9_0_2, clock });
  const udp = new UdpLayer({ ip, rng: new SeededRng(SEED) });
  return { link, clock, ip, udp };
}

function ipv(b: Buffer): Ipv4Packet {
  const p = Ipv4Packet.parse(b);
  if (typeof p === 'string') throw new Error(p);
  return p;
}

describe('UDP input (RFC 768, RFC 1122 §4.1.3)', () => {
  it('demultiplexes by destination port to the bound socket with rinfo', () => {
    const { link, udp } = setup();
    const s7 = udp.createSocket().bind(7);
    const s9 = udp.createSocket().bind(9);
    const got: Array<[string, string, RemoteInfo]> = [];
    s7.on('message', (m: Buffer, r: RemoteInfo) => got.push(['7', m.toString(), r]));
    s9.on('message', (m: Buffer, r: RemoteInfo) => got.push(['9', m.toString(), r]));
    link.inject(LINUX_UDP_HELLO(), LINUX_UDP_NOBODY());
    expect(got).toEqual([
      ['7', 'hello', { address: '10.9.0.1', family: 'IPv4', port: 40000, size: 5 }],
      ['9', 'nobody', { address: '10.9.0.1', family: 'IPv4', port: 40001, size: 6 }],
    ]);
    expect(udp.stats.InDatagrams).toBe(2);
  });

  it('drops a bad checksum (counted) and accepts checksum 0', () => {
    const { link, udp } = setup();
    const got: string[] = [];
    udp.createSocket().bind(7).on('message', (m: Buffer) => got.push(m.toString()));
    const bad = Buffer.from(LINUX_UDP_HELLO());
    bad[28] ^= 0x20; // 'h' -> 'H' without fixing the UDP checksum
    const none = Buffer.from(bad);
    none.writeUInt16BE(0, 26);
    link.inject(bad, none);
    expect(got).toEqual(['Hello']);
    expect(udp.stats).toMatchObject({ InCsumErrors: 1, InErrors: 1, InDatagrams: 1 });
  });

  it('drops an impossible length field (counted)', () => {
    const { link, udp } = setup();
    const b = Buffer.from(LINUX_UDP_HELLO());
    b.writeUInt16BE(4, 24);
    link.inject(b);
    expect(udp.stats).toMatchObject({ badLength: 1, InErrors: 1 });
  });

  it('answers a closed port with ICMP port unreachable quoting the datagram', () => {
    const { link, ip, udp } = setup();
    const d = LINUX_UDP_NOBODY();
    link.inject(d);
    const [out] = link.take();
    const v = ipv(out);
    expect([v.src, v.dst, v.protocol]).toEqual([A_10_9_0_2, A_10_9_0_1, 1]);
    const icmp = Icmpv4Packet.parse(v.payload);
    if (typeof icmp === 'string') throw new Error(icmp);
    expect([icmp.type, icmp.code, icmp.rest]).toEqual([3, 3, 0]);
    expect(icmp.data.equals(d)).toBe(true);
    expect(udp.stats.NoPorts).toBe(1);
    expect(ip.stats.icmp.outDestUnreachs).toBe(1);
  });

  it('rate-limits port unreachables from a burst of datagrams to a closed port (RFC 1122 §3.2.2.1 SHOULD limit; Linux icmp_ratelimit)', () => {
    const { link, clock, ip, udp } = setup();
    // 80 captured datagrams to closed port 9 in one virtual instant, all from one source:
    // the per-destination limit (icmp_ratelimit 1000 ms, burst 6) answers 6 and counts 74;
    // the global bucket (burst 50) is not reached. Every one is still counted as NoPorts.
    link.inject(...Array.from({ length: 80 }, () => LINUX_UDP_NOBODY()));
    expect(link.take()).toHaveLength(6);
    expect(udp.stats.NoPorts).toBe(80);
    expect(ip.stats.icmp).toMatchObject({ outDestUnreachs: 6, outRateLimitHost: 74, outRateLimited: 0 });
    clock.advance(1000); // one token back after icmp_ratelimit
    link.inject(...Array.from({ length: 20 }, () => LINUX_UDP_NOBODY()));
    expect(link.take()).toHaveLength(1);
    expect(ip.stats.icmp.outRateLimitHost).toBe(93);
  });

  it('sends no port unreachable for a broadcast datagram (RFC 1122 §3.2.2)', () => {
    const { link, udp } = setup();
    const b = Buffer.from(LINUX_UDP_NOBODY());
    const p = Ipv4Packet.over(b);
    p.dst = 0xffffffff;
    p.fillChecksum();
    // The UDP checksum covers the destination: recompute it for the new pseudo header.
    UdpPacket.over(b.subarray(20)).fillChecksum(A_10_9_0_1, 0xffffffff);
    link.inject(b);
    expect(udp.stats.NoPorts).toBe(1);
    expect(link.take()).toEqual([]);
  });
});

describe('UdpSocket (dgram-like)', () => {
  it('sends a datagram with a valid checksum from its bound port', async () => {
    const { link, udp } = setup();
    const s = udp.createSocket();
    s.bind(5000);
    await once(s, 'listening');
    expect(s.address()).toEqual({ address: '10.9.0.2', family: 'IPv4', port: 5000 });
    const bytes = await new Promise<number>((resolve, reject) =>
      s.send('hello', 40000, '10.9.0.1', (err, n) => (err ? reject(err) : resolve(n))),
    );
    expect(bytes).toBe(5);
    const [out] = link.take();
    const v = ipv(out);
    expect(v.dst).toBe(A_10_9_0_1);
    const u = UdpPacket.parse(v.payload, v.src, v.dst);
    if (typeof u === 'string') throw new Error(u);
    expect([u.srcPort, u.dstPort, u.payload.toString()]).toEqual([5000, 40000, 'hello']);
    expect(udp.stats.OutDatagrams).toBe(1);
  });

  it('binds an unbound sender to an ephemeral port from the seeded rng (Linux range)', () => {
    const { link, udp } = setup();
    const s = udp.createSocket();
    s.send(Buffer.from('x'), 53, '10.9.0.1');
    const port = s.address().port;
    expect(port).toBeGreaterThanOrEqual(32768);
    expect(port).toBeLessThanOrEqual(60999);
    const u = UdpPacket.over(ipv(link.take()[0]).payload);
    expect(u.srcPort).toBe(port);
    // Same seed, same port: reproducible.
    const again = setup().udp.createSocket().bind();
    expect(again.address().port).toBe(port);
  });

  it('reports EADDRINUSE with code, errno and syscall, asynchronously', async () => {
    const { udp } = setup();
    udp.createSocket().bind(7);
    const s = udp.createSocket();
    let sync = true;
    const p = once(s, 'error');
    s.bind(7);
    sync = false;
    const [err] = (await p) as [SystemError];
    expect(sync).toBe(false);
    expect(err.code).toBe('EADDRINUSE');
    expect(err.syscall).toBe('bind');
    expect(err.errno).toBe(-98);
    expect(err.port).toBe(7);
  });

  it('frees the port on close; address() then throws', async () => {
    const { udp } = setup();
    const a = udp.createSocket().bind(7);
    a.close();
    await once(a, 'close');
    expect(() => a.address()).toThrow(/Not running/);
    const b = udp.createSocket().bind(7);
    await once(b, 'listening');
    expect(b.address().port).toBe(7);
  });

  it('a datagram larger than the MTU leaves as IP fragments', () => {
    const { link, udp } = setup(1500);
    const s = udp.createSocket().bind(5000);
    s.send(Buffer.alloc(4000, 1), 9, '10.9.0.1');
    const frags = link.take().map(ipv);
    expect(frags.map((f) => [f.totalLen, f.fragOffset, f.moreFrags])).toEqual([
      [1500, 0, true],
      [1500, 1480, true],
      [1068, 2960, false],
    ]);
  });

  it('refuses a payload above 65507 bytes with EMSGSIZE', async () => {
    const { link, udp } = setup();
    const s = udp.createSocket().bind(5000);
    const err = await new Promise<Error | null>((resolve) => s.send(Buffer.alloc(65508), 9, '10.9.0.1', (e) => resolve(e)));
    expect((err as SystemError).code).toBe('EMSGSIZE');
    expect(link.take()).toEqual([]);
  });

  it('two stacks exchange datagrams through a looped pair of fake links', () => {
    const a = setup();
    const bl = new FakeLink(1500);
    const b = new Ipv4Layer({ link: bl, addr: A_10_9_0_1, clock: a.clock });
    const bu = new UdpLayer({ ip: b, rng: new SeededRng(SEED + 1) });
    const server = a.udp.createSocket().bind(7);
    server.on('message', (m: Buffer, r: RemoteInfo) => server.send(m, r.port, r.address));
    const client = bu.createSocket().bind(6000);
    const got: string[] = [];
    client.on('message', (m: Buffer) => got.push(m.toString()));
    client.send(Buffer.alloc(3000, 'z'), 7, '10.9.0.2');
    a.link.inject(...bl.take()); // fragmented on the way there
    bl.inject(...a.link.take()); // and back
    expect(got).toEqual(['z'.repeat(3000)]);
  });
});
