import { describe, expect, it } from 'vitest';
import { Ipv4Layer } from '../../src/ip/ipv4.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { Ipv4Packet, emitIpv4Header } from '../../src/wire/ipv4.js';
import { Icmpv4Packet } from '../../src/wire/icmpv4.js';
import { A_10_9_0_1, A_10_9_0_2, FakeLink } from './helpers.js';

const PROTO = 253; // RFC 3692 experimental: a transport registered only by these tests

function setup(o: { maxBytes?: number } = {}) {
  const link = new FakeLink(1500);
  const clock = new VirtualClock(0);
  const ip = new Ipv4Layer({ link, addr: A_10_9_0_2, clock, reassemblyMaxBytes: o.maxBytes });
  const got: Buffer[] = [];
  ip.register(PROTO, (_s, _d, payload) => got.push(Buffer.from(payload)));
  return { link, clock, ip, got };
}

/** Whole payload used by the tests: byte i = i * 13 mod 256. */
function data(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13) & 0xff;
  return b;
}

/** A fragment carrying data[off, off+len) of datagram `ident`. */
function frag(whole: Buffer, off: number, len: number, more: boolean, ident = 0x1234, protocol = PROTO): Buffer {
  const b = Buffer.alloc(20 + len);
  emitIpv4Header(b, A_10_9_0_1, A_10_9_0_2, protocol, 64, ident, len, false, more, off);
  whole.copy(b, 20, off, off + len);
  return b;
}

describe('IPv4 reassembly (RFC 791 §3.2, RFC 815)', () => {
  it('reassembles out-of-order fragments and delivers once', () => {
    const { link, ip, got } = setup();
    const d = data(3000);
    link.inject(frag(d, 2400, 600, false), frag(d, 0, 1200, true));
    expect(got).toEqual([]);
    link.inject(frag(d, 1200, 1200, true));
    expect(got.length).toBe(1);
    expect(got[0].equals(d)).toBe(true);
    expect(ip.reassemblyBytes).toBe(0);
    expect(ip.stats.ip).toMatchObject({ reasmReqds: 3, reasmOks: 1 });
  });

  it('reassembles overlapping and duplicated fragments; earlier bytes win', () => {
    const { link, ip, got } = setup();
    const d = data(2000);
    const evil = frag(d, 8, 800, true);
    evil.fill(0xaa, 20); // overlaps bytes already received: must not replace them
    link.inject(frag(d, 0, 1000, true), frag(d, 0, 1000, true), evil, frag(d, 992, 1008, false));
    expect(got.length).toBe(1);
    expect(got[0].equals(d)).toBe(true);
    expect(ip.stats.ip.reasmOverlaps).toBeGreaterThanOrEqual(2);
  });

  it('fills holes from a fragment spanning several gaps', () => {
    const { link, got } = setup();
    const d = data(64);
    link.inject(frag(d, 8, 8, true), frag(d, 32, 8, true), frag(d, 56, 8, false), frag(d, 0, 56, true));
    expect(got.length).toBe(1);
    expect(got[0].equals(d)).toBe(true);
  });

  it('keeps datagrams apart by (src, dst, protocol, ident)', () => {
    const { link, got } = setup();
    const a = data(16);
    const b = Buffer.alloc(16, 0x55);
    link.inject(frag(a, 0, 8, true, 1), frag(b, 0, 8, true, 2), frag(b, 8, 8, false, 2), frag(a, 8, 8, false, 1));
    expect(got.map((g) => g.toString('hex'))).toEqual([b.toString('hex'), a.toString('hex')]);
  });

  it('after 30 s frees the memory and sends time exceeded code 1 quoting fragment 0 (RFC 1122 §3.3.2)', () => {
    const { link, clock, ip, got } = setup();
    const d = data(3000);
    const f0 = frag(d, 0, 1480, true);
    link.inject(f0);
    expect(ip.reassemblyBytes).toBeGreaterThan(1480);
    clock.advance(29_999);
    expect(link.take()).toEqual([]);
    clock.advance(1);
    expect(ip.reassemblyBytes).toBe(0);
    expect(ip.stats.ip.reasmTimeout).toBe(1);
    const [out] = link.take();
    const v = Ipv4Packet.parse(out);
    if (typeof v === 'string') throw new Error(v);
    expect(v.dst).toBe(A_10_9_0_1);
    const icmp = Icmpv4Packet.parse(v.payload);
    if (typeof icmp === 'string') throw new Error(icmp);
    expect([icmp.type, icmp.code]).toEqual([11, 1]);
    expect(icmp.data.subarray(0, 28).equals(f0.subarray(0, 28))).toBe(true);
    // A late fragment starts a new reassembly rather than completing the old one.
    link.inject(frag(d, 1480, 1520, false));
    expect(got).toEqual([]);
  });

  it('sends no time exceeded when fragment 0 never arrived', () => {
    const { link, clock, ip } = setup();
    link.inject(frag(data(3000), 1480, 1520, false));
    clock.advance(30_000);
    expect(ip.reassemblyBytes).toBe(0);
    expect(link.take()).toEqual([]);
  });

  it('bounds memory across reassemblies by dropping the oldest', () => {
    const { link, ip, got } = setup({ maxBytes: 10_000 });
    const d = data(3000);
    for (let id = 1; id <= 8; id++) link.inject(frag(d, 0, 1480, true, id));
    expect(ip.reassemblyBytes).toBeLessThanOrEqual(10_000);
    expect(ip.stats.ip.reasmEvicted).toBeGreaterThan(0);
    // The oldest (ident 1) is gone; the newest (ident 8) still completes.
    link.inject(frag(d, 1480, 1520, false, 1), frag(d, 1480, 1520, false, 8));
    expect(got.length).toBe(1);
    expect(got[0].equals(d)).toBe(true);
  });

  it('refuses fragments that would exceed 65535 bytes (ping of death) and misaligned middle fragments', () => {
    const { link, ip } = setup();
    link.inject(frag(Buffer.alloc(70_000), 65528, 16, false));
    link.inject(frag(data(100), 0, 12, true)); // MF with a length not a multiple of 8
    expect(ip.stats.ip).toMatchObject({ reasmTooBig: 1, badFragment: 1 });
    expect(ip.reassemblyBytes).toBe(0);
  });

  it('drops a datagram whose last fragment disagrees with data already beyond it', () => {
    const { link, ip, got } = setup();
    const d = data(100);
    link.inject(frag(d, 48, 16, true), frag(d, 8, 24, false)); // last ends at 32 < 64
    expect(got).toEqual([]);
    expect(ip.stats.ip.reasmFails).toBe(1);
    expect(ip.reassemblyBytes).toBe(0);
  });
});
