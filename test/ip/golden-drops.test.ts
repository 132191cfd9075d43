/**
 * Truncated and corrupt variants of golden packets captured from Linux, fed
 * through the real input path (link → IPv4 → ICMP/UDP/TCP, and Ethernet →
 * ARP), must each be dropped with exactly the named counter bumped, never
 * throw, never be answered, and never stop the rest of the batch: the
 * untouched golden packet after each bad one is still processed.
 *
 * Each variant whose checksum would otherwise catch it first gets its
 * checksum recomputed, so the counter asserted is the check under test.
 */
import { describe, expect, it } from 'vitest';
import { Stack } from '../../src/stack.js';
import { EthernetLink } from '../../src/link/ethernet-link.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng } from '../../src/util/random.js';
import { finish, pseudoHeaderSum, sumBytes } from '../../src/wire/checksum.js';
import { Ipv4Packet } from '../../src/wire/ipv4.js';
import { FakeLink, LINUX_ECHO_REQUEST, LINUX_UDP_HELLO, A_10_9_0_2 } from './helpers.js';
import {
  ETH_ARP_REQUEST_FRAME,
  ETH_ECHO_FRAME,
  ETH_PEER_IP,
  ETH_PEER_MAC,
  LINUX_SYN_ACK,
  TUN_SCRIPT,
} from '../wire/linux-captures.js';

type Group = 'Ip' | 'Icmp' | 'Udp' | 'Tcp';

function stackOn(addr: number) {
  const link = new FakeLink(1500);
  const stack = new Stack({ link, addr, clock: new VirtualClock(0), rng: new SeededRng(1) });
  return { link, stack };
}

function snapshot(stack: Stack): Record<Group, Record<string, number>> {
  const c = stack.counters();
  return { Ip: { ...c.Ip }, Icmp: { ...c.Icmp }, Udp: { ...c.Udp }, Tcp: { ...c.Tcp } };
}

/** Counters that changed between two snapshots, as 'Group.name': delta. */
function delta(a: Record<Group, Record<string, number>>, b: Record<Group, Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const g of Object.keys(b) as Group[]) {
    for (const [k, v] of Object.entries(b[g])) {
      const d = v - (a[g][k] ?? 0);
      if (d !== 0 && k !== 'CurrEstab') out[`${g}.${k}`] = d;
    }
  }
  return out;
}

/** Replace the IP payload of `pkt` (20-byte header), fixing total length and header checksum. */
function withPayload(pkt: Buffer, payload: Buffer): Buffer {
  const out = Buffer.concat([pkt.subarray(0, 20), payload]);
  out.writeUInt16BE(out.length, 2);
  Ipv4Packet.over(out).fillChecksum();
  return out;
}

/** Copy the transport part, edit it, refill a checksum at `csumAt` over the pseudo header (RFC 768 / RFC 9293 §3.1). */
function editTransport(pkt: Buffer, protocol: number, csumAt: number, edit: (t: Buffer) => void): Buffer {
  const t = Buffer.from(pkt.subarray(20));
  edit(t);
  if (t.length >= csumAt + 2) {
    t.writeUInt16BE(0, csumAt);
    const src = pkt.readUInt32BE(12);
    const dst = pkt.readUInt32BE(16);
    t.writeUInt16BE(finish(pseudoHeaderSum(src, dst, protocol, t.length) + sumBytes(t, 0, t.length)), csumAt);
  }
  return withPayload(pkt, t);
}

function flip(pkt: Buffer, at: number): Buffer {
  const b = Buffer.from(pkt);
  b[at] ^= 0x01;
  return b;
}

interface Case {
  name: string;
  bad: () => Buffer;
  /** Exactly these counters change when the bad packet alone is injected. */
  counts: Record<string, number>;
}

describe('IPv4 input drops corrupt variants of a captured Linux datagram (RFC 791 §3.1, RFC 1122 §3.2.1.2)', () => {
  const good = LINUX_UDP_HELLO;
  const cases: Case[] = [
    { name: 'cut to 19 bytes (shorter than a header)', bad: () => good().subarray(0, 19), counts: { 'Ip.truncated': 1 } },
    { name: 'version 6 in the version field', bad: () => ((b) => ((b[0] = 0x65), b))(good()), counts: { 'Ip.badVersion': 1 } },
    { name: 'IHL 4 (16 bytes, below the minimum 5)', bad: () => ((b) => ((b[0] = 0x44), b))(good()), counts: { 'Ip.badHeaderLength': 1 } },
    {
      name: 'total length beyond the bytes received',
      bad: () => ((b) => (b.writeUInt16BE(b.length + 1, 2), Ipv4Packet.over(b.subarray(0, 20)).fillChecksum(), b))(good()),
      counts: { 'Ip.badTotalLength': 1 },
    },
    { name: 'one flipped TTL bit (header checksum)', bad: () => flip(good(), 8), counts: { 'Ip.badChecksum': 1 } },
  ];
  for (const c of cases) {
    it(`${c.name} → ${Object.keys(c.counts).join(', ')}`, () => {
      const { link, stack } = stackOn(A_10_9_0_2);
      let got = 0;
      const s = stack.createUdpSocket();
      s.on('message', () => got++);
      s.bind(7);
      const before = snapshot(stack);
      expect(() => link.inject(c.bad())).not.toThrow();
      expect(delta(before, snapshot(stack))).toEqual({ 'Ip.inReceives': 1, ...c.counts });
      expect(link.take()).toEqual([]);
      link.inject(c.bad(), good());
      expect(got).toBe(1);
    });
  }
});

describe('ICMP input drops corrupt variants of a captured Linux echo request (RFC 792, RFC 1122 §3.2.2)', () => {
  const good = LINUX_ECHO_REQUEST;
  const base = { 'Ip.inReceives': 1, 'Ip.inDelivers': 1, 'Icmp.inMsgs': 1, 'Icmp.inErrors': 1 };
  const cases: Case[] = [
    { name: 'message cut to 7 bytes', bad: () => withPayload(good(), good().subarray(20, 27)), counts: { ...base, 'Icmp.inTruncated': 1 } },
    { name: 'one flipped data bit', bad: () => withPayload(good(), flip(good().subarray(20), 20)), counts: { ...base, 'Icmp.inBadChecksum': 1 } },
    // Cut 8, not 4: the last 4 bytes are zero words, which a ones'-complement sum cannot notice.
    { name: 'message cut by 8 bytes (checksum covers all of it)', bad: () => withPayload(good(), good().subarray(20, 36)), counts: { ...base, 'Icmp.inBadChecksum': 1 } },
  ];
  for (const c of cases) {
    it(`${c.name} → ${Object.keys(c.counts).filter((k) => !(k in base)).join(', ')}, no reply`, () => {
      const { link, stack } = stackOn(A_10_9_0_2);
      const before = snapshot(stack);
      expect(() => link.inject(c.bad())).not.toThrow();
      expect(delta(before, snapshot(stack))).toEqual(c.counts);
      expect(link.take()).toEqual([]);
      link.inject(c.bad(), good());
      const replies = link.take();
      expect(replies).toHaveLength(1);
      expect(replies[0][20]).toBe(0); // echo reply
    });
  }
});

describe('UDP input drops corrupt variants of a captured Linux datagram (RFC 768, RFC 1122 §4.1.3.4)', () => {
  const good = LINUX_UDP_HELLO;
  const base = { 'Ip.inReceives': 1, 'Ip.inDelivers': 1, 'Udp.InErrors': 1 };
  const cases: Case[] = [
    { name: 'datagram cut to 7 bytes', bad: () => withPayload(good(), good().subarray(20, 27)), counts: { ...base, 'Udp.truncated': 1 } },
    {
      name: 'length field one beyond the datagram',
      bad: () => editTransport(good(), 17, 6, (u) => u.writeUInt16BE(u.length + 1, 4)),
      counts: { ...base, 'Udp.badLength': 1 },
    },
    {
      name: 'length field below the 8-byte header',
      bad: () => editTransport(good(), 17, 6, (u) => u.writeUInt16BE(7, 4)),
      counts: { ...base, 'Udp.badLength': 1 },
    },
    { name: 'one flipped payload bit', bad: () => withPayload(good(), flip(good().subarray(20), 9)), counts: { ...base, 'Udp.InCsumErrors': 1 } },
  ];
  for (const c of cases) {
    it(`${c.name} → ${Object.keys(c.counts).filter((k) => !(k in base)).join(', ')}, no port unreachable`, () => {
      const { link, stack } = stackOn(A_10_9_0_2);
      let got = 0;
      const s = stack.createUdpSocket();
      s.on('message', () => got++);
      s.bind(7);
      const before = snapshot(stack);
      expect(() => link.inject(c.bad())).not.toThrow();
      expect(delta(before, snapshot(stack))).toEqual(c.counts);
      expect(link.take()).toEqual([]);
      expect(got).toBe(0);
      link.inject(c.bad(), good());
      expect(got).toBe(1);
    });
  }
});

describe('TCP input (through the stack) drops corrupt variants of a captured Linux SYN-ACK (RFC 9293 §3.1, §3.10.7.1)', () => {
  // The captured SYN-ACK reaches a stack with no connection: a valid one is
  // answered with a RST (CLOSED state, RFC 9293 §3.10.7.1); a dropped one is not.
  const good = LINUX_SYN_ACK;
  const base = { 'Ip.inReceives': 1, 'Ip.inDelivers': 1, 'Tcp.InSegs': 1, 'Tcp.InErrs': 1 };
  const tcp = (edit: (t: Buffer) => void) => () => editTransport(good(), 6, 16, edit);
  const cases: Case[] = [
    { name: 'segment cut to 19 bytes', bad: () => withPayload(good(), good().subarray(20, 39)), counts: { ...base, 'Tcp.truncated': 1 } },
    { name: 'data offset 4 (below 5 words)', bad: tcp((t) => (t[12] = 0x40)), counts: { ...base, 'Tcp.badDataOffset': 1 } },
    { name: 'data offset 15 (60 bytes, beyond the 40-byte segment)', bad: tcp((t) => (t[12] = 0xf0)), counts: { ...base, 'Tcp.badDataOffset': 1 } },
    { name: 'options cut off (header says 40, 36 present)', bad: () => withPayload(good(), good().subarray(20, 56)), counts: { ...base, 'Tcp.badDataOffset': 1 } },
    {
      name: 'one flipped bit in the timestamp',
      bad: () => withPayload(good(), flip(good().subarray(20), 30)),
      counts: { ...base, 'Tcp.badChecksum': 1, 'Tcp.InCsumErrors': 1 },
    },
    { name: 'MSS option length 0', bad: tcp((t) => (t[21] = 0)), counts: { ...base, 'Tcp.badOptionLength': 1 } },
    { name: 'wscale option length running past the header', bad: tcp((t) => (t[38] = 4)), counts: { ...base, 'Tcp.badOptionLength': 1 } },
    { name: 'SYN+FIN', bad: tcp((t) => (t[13] |= 0x01)), counts: { ...base, 'Tcp.badFlags': 1 } },
    { name: 'SYN+RST', bad: tcp((t) => (t[13] |= 0x04)), counts: { ...base, 'Tcp.badFlags': 1 } },
  ];
  for (const c of cases) {
    it(`${c.name} → ${Object.keys(c.counts).filter((k) => !(k in base)).join(', ')}, no RST`, () => {
      const { link, stack } = stackOn(TUN_SCRIPT);
      const before = snapshot(stack);
      expect(() => link.inject(c.bad())).not.toThrow();
      expect(delta(before, snapshot(stack))).toEqual(c.counts);
      expect(link.take()).toEqual([]);
      link.inject(c.bad(), good());
      const out = link.take();
      expect(out).toHaveLength(1);
      expect(out[0][20 + 13] & 0x04).toBe(0x04); // the good one still gets its RST
    });
  }
});

describe('EthernetLink + ARP drop corrupt variants of captured Linux frames (RFC 894, RFC 826)', () => {
  function ethOn() {
    const device = new FakeLink(1500);
    const clock = new VirtualClock(0);
    const link = new EthernetLink({ device, clock, rng: new SeededRng(2), ipAddr: ETH_PEER_IP, mac: ETH_PEER_MAC });
    const up: Buffer[] = [];
    link.onReceive((ps) => up.push(...ps));
    const counters = () => ({ ...link.counters, ...Object.fromEntries(Object.entries(link.arp.counters).map(([k, v]) => [`arp.${k}`, v])) });
    return { device, link, up, counters };
  }
  const edit = (f: () => Buffer, fn: (b: Buffer) => void) => () => ((b) => (fn(b), b))(f());
  const cases: Case[] = [
    { name: 'frame cut to 13 bytes', bad: () => ETH_ECHO_FRAME().subarray(0, 13), counts: { rxFrames: 1, rxTruncated: 1 } },
    { name: '802.3 length field (0x0054) instead of a type', bad: edit(ETH_ECHO_FRAME, (b) => b.writeUInt16BE(0x54, 12)), counts: { rxFrames: 1, rxNotEthernetII: 1 } },
    { name: 'unicast to another MAC', bad: edit(ETH_ECHO_FRAME, (b) => (b[5] = 0x0c)), counts: { rxFrames: 1, rxNotForUs: 1 } },
    { name: 'IPv6 type (not handled)', bad: edit(ETH_ECHO_FRAME, (b) => b.writeUInt16BE(0x86dd, 12)), counts: { rxFrames: 1, rxUnknownType: 1 } },
    { name: 'ARP cut to 27 bytes', bad: () => ETH_ARP_REQUEST_FRAME().subarray(0, 14 + 27), counts: { rxFrames: 1, 'arp.rxMalformed': 1 } },
    { name: 'ARP hardware type 6 (IEEE 802)', bad: edit(ETH_ARP_REQUEST_FRAME, (b) => (b[15] = 6)), counts: { rxFrames: 1, 'arp.rxMalformed': 1 } },
    { name: 'ARP hardware length 4', bad: edit(ETH_ARP_REQUEST_FRAME, (b) => (b[18] = 4)), counts: { rxFrames: 1, 'arp.rxMalformed': 1 } },
    {
      name: 'ARP broadcast sender hardware address (RFC 1122 §2.3.2.1)',
      bad: edit(ETH_ARP_REQUEST_FRAME, (b) => b.fill(0xff, 22, 28)),
      counts: { rxFrames: 1, 'arp.rxRequests': 1, 'arp.rxBadSender': 1 },
    },
  ];
  for (const c of cases) {
    it(`${c.name} → ${Object.keys(c.counts).filter((k) => k !== 'rxFrames').join(', ')}, nothing sent or handed up`, () => {
      const { device, up, counters } = ethOn();
      const before = counters();
      expect(() => device.inject(c.bad())).not.toThrow();
      const after = counters();
      const changed = Object.fromEntries(Object.entries(after).filter(([k, v]) => v !== before[k as keyof typeof before]).map(([k, v]) => [k, v - before[k as keyof typeof before]]));
      expect(changed).toEqual(c.counts);
      expect(device.take()).toEqual([]);
      expect(up).toEqual([]);
      // The captured request and echo frame after the bad one are still handled: ARP reply sent, IPv4 handed up.
      device.inject(c.bad(), ETH_ARP_REQUEST_FRAME(), ETH_ECHO_FRAME());
      expect(device.take().map((f) => f.readUInt16BE(12))).toEqual([0x0806]);
      expect(up).toHaveLength(1);
    });
  }
});
