/**
 * Fuzz targets for every parser in src/wire: hostile bytes never throw and
 * yield either a named drop reason or a view whose lengths lie inside the
 * buffer; structured Reprs survive emit → parse unchanged (the wire rule in
 * src/wire/index.ts: parse normalises, emit writes what parse reads back).
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { finish, pseudoHeaderSum, sumBytes } from '../wire/checksum.js';
import { IPV4_HEADER_LEN, Ipv4Packet, Ipv4Repr } from '../wire/ipv4.js';
import { TCP_HEADER_LEN, emitTcpSegment, parseTcpSegment, tcpHeaderLen, type TcpRepr } from '../wire/tcp.js';
import { emitTcpOptions, parseTcpOptions, tcpOptionsLen } from '../wire/tcp-options.js';
import { UDP_HEADER_LEN, UdpPacket, UdpRepr } from '../wire/udp.js';
import { Icmpv4Packet, Icmpv4Repr } from '../wire/icmpv4.js';
import { emitEthernet, parseEthernet, ETHERNET_HEADER_LEN } from '../wire/ethernet.js';
import { ARP_LEN, emitArp, parseArp } from '../wire/arp.js';
import type { TcpOptionsRepr } from '../wire/tcp.js';
import { bytes, ipv4Repr, rawTcpOptionsArea, tcpOptions, tcpRepr, u16, u32 } from './arbitraries.js';
import { check, type FuzzTarget } from './harness.js';

/**
 * The differential oracle for parseTcpOptions: the plainest possible walk of
 * an option area (RFC 9293 §3.2: kind, or kind+length+data; EOL ends it), to
 * agree with the parser on which areas are malformed.
 */
function walkTcpOptions(buf: Buffer): number[] | 'badOptionLength' {
  const kinds: number[] = [];
  let i = 0;
  while (i < buf.length) {
    const kind = buf[i];
    kinds.push(kind);
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= buf.length) return 'badOptionLength';
    const len = buf[i + 1];
    if (len < 2 || i + len > buf.length) return 'badOptionLength';
    i += len;
  }
  return kinds;
}

/** Deep copy with plain prototypes (fast-check builds records without one), Buffers kept. */
function plain(v: unknown): unknown {
  if (Buffer.isBuffer(v) || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(plain);
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) o[k] = plain(x);
  return o;
}

function same(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(plain(a), plain(b));
}

const IPV4_REASONS = new Set(['truncated', 'badVersion', 'badHeaderLength', 'badTotalLength', 'badChecksum']);
const TCP_REASONS = new Set(['truncated', 'badDataOffset', 'badChecksum', 'badOptionLength', 'badFlags']);

/** Bytes that look like an IPv4 header often enough to get past the version check. */
const ipv4ishBytes = fc.tuple(bytes(96), fc.boolean(), fc.boolean()).map(([b, v4, fix]) => {
  if (b.length > 0 && v4) b[0] = 0x40 | (b[0] & 0x0f);
  if (fix && b.length >= IPV4_HEADER_LEN && b[0] >>> 4 === 4) {
    const hl = (b[0] & 15) * 4;
    if (hl >= IPV4_HEADER_LEN && hl <= b.length) {
      b.writeUInt16BE(Math.min(b.length, b.readUInt16BE(2) % (b.length + 1)), 2);
      Ipv4Packet.over(b).fillChecksum();
    }
  }
  return b;
});

export const ipv4Target: FuzzTarget = {
  name: 'ipv4',
  about: 'IPv4 header: hostile bytes give a reason or an in-bounds view; Repr emit → parse is identity',
  property: () =>
    fc.property(fc.oneof(ipv4ishBytes.map((b) => ({ raw: b })), ipv4Repr().map((r) => ({ repr: r }))), (input) => {
      if ('raw' in input) {
        const p = Ipv4Packet.parse(input.raw);
        if (typeof p === 'string') return check(IPV4_REASONS.has(p), 'unknown drop reason', p);
        check(p.headerLen >= IPV4_HEADER_LEN && p.headerLen <= p.totalLen, 'header length out of bounds');
        check(p.totalLen === p.buf.length && p.buf.length <= input.raw.length, 'view not trimmed to total length');
        check(p.payload.length === p.totalLen - p.headerLen, 'payload length');
        return;
      }
      const { repr, payload } = input.repr;
      const buf = Buffer.alloc(Ipv4Repr.bufferLen(repr));
      Ipv4Repr.emit(repr, buf);
      payload.copy(buf, IPV4_HEADER_LEN);
      const p = Ipv4Packet.parse(buf);
      check(typeof p !== 'string', 'emitted header rejected', p);
      const back = Ipv4Repr.parse(p as Ipv4Packet);
      check(same(back, repr), 'emit → parse changed the header', { repr, back });
      check((p as Ipv4Packet).payload.equals(payload), 'payload changed');
    }),
};

function emitTcp(r: TcpRepr, src: number, dst: number): Buffer {
  const buf = Buffer.alloc(tcpHeaderLen(r) + r.payload.length);
  emitTcpSegment(r, buf, 0, src, dst);
  return buf;
}

/** What emit keeps of the options: SACK blocks beyond the room are not written. */
function emittedOptions(o: TcpOptionsRepr): TcpOptionsRepr {
  const buf = Buffer.alloc(tcpOptionsLen(o));
  emitTcpOptions(o, buf, 0);
  const out: TcpOptionsRepr = {};
  parseTcpOptions(buf, 0, buf.length, out);
  return out;
}

/** TCP bytes: a random header with a structured options area and a valid checksum half the time. */
const tcpishBytes = fc
  .record({ hdr: bytes(TCP_HEADER_LEN), opts: rawTcpOptionsArea, payload: bytes(32), src: u32, dst: u32, fix: fc.boolean(), off: fc.integer({ min: -2, max: 2 }) })
  .map(({ hdr, opts, payload, src, dst, fix, off }) => {
    const h = Buffer.alloc(TCP_HEADER_LEN);
    hdr.copy(h);
    const seg = Buffer.concat([h, opts, payload]);
    // Data offset near the truth, sometimes beyond the packet or below 5 words.
    seg[12] = (Math.max(0, Math.min(15, (TCP_HEADER_LEN + opts.length) / 4 + off)) << 4) | (seg[12] & 0x0f);
    if (fix) {
      seg.writeUInt16BE(0, 16);
      seg.writeUInt16BE(finish(sumBytes(seg, 0, seg.length, pseudoHeaderSum(src, dst, 6, seg.length))), 16);
    }
    return { seg, src, dst };
  });

export const tcpTarget: FuzzTarget = {
  name: 'tcp',
  about: 'TCP segment: hostile bytes give a known reason or a Repr that re-emits to itself; Repr emit → parse is identity',
  property: () =>
    fc.property(fc.oneof(tcpishBytes.map((b) => ({ raw: b })), fc.record({ repr: tcpRepr(), src: u32, dst: u32 })), (input) => {
      if ('raw' in input) {
        const { seg, src, dst } = input.raw;
        const r = parseTcpSegment(seg, src, dst);
        if (typeof r === 'string') return check(TCP_REASONS.has(r), 'unknown drop reason', r);
        check(r.payload.length <= seg.length - TCP_HEADER_LEN, 'payload past the segment');
        const again = parseTcpSegment(emitTcp(r, src, dst), src, dst);
        check(typeof again !== 'string' && same({ ...again, options: emittedOptions(again.options) }, { ...r, options: emittedOptions(r.options) }), 'parse → emit → parse not identity', { r, again });
        return;
      }
      const { repr, src, dst } = input;
      const seg = emitTcp(repr, src, dst);
      check(seg.length === tcpHeaderLen(repr) + repr.payload.length && tcpHeaderLen(repr) <= 60, 'emitted length');
      const back = parseTcpSegment(seg, src, dst);
      check(typeof back !== 'string', 'emitted segment rejected', back);
      const want = { ...repr, options: emittedOptions(repr.options) };
      check(same(back, want), 'emit → parse changed the segment', { want, back });
    }),
};

export const tcpOptionsTarget: FuzzTarget = {
  name: 'tcp-options',
  about: 'TCP options: lying lengths (0, 1, past the end) give badOptionLength, never a throw; both parsers agree; Repr round trip',
  property: () =>
    fc.property(fc.oneof(rawTcpOptionsArea.map((a) => ({ area: a })), tcpOptions.map((o) => ({ repr: o }))), (input) => {
      if ('area' in input) {
        const out: TcpOptionsRepr = {};
        const bad = parseTcpOptions(input.area, 0, input.area.length, out);
        check(bad === null || bad === 'badOptionLength', 'unknown reason', bad);
        const list = walkTcpOptions(input.area);
        check((typeof list === 'string') === (bad !== null), 'option parsers disagree', { bad, list });
        if (out.wscale !== undefined) check(out.wscale <= 14, 'wscale above 14');
        if (out.sack) check(out.sack.length >= 1 && out.sack.length <= 4, 'SACK block count');
        return;
      }
      const len = tcpOptionsLen(input.repr);
      check(len % 4 === 0 && len <= 40, 'options length', len);
      const buf = Buffer.alloc(len);
      check(emitTcpOptions(input.repr, buf, 0) === len, 'emit wrote a different length');
      const out: TcpOptionsRepr = {};
      check(parseTcpOptions(buf, 0, len, out) === null, 'emitted options rejected');
      const want = { ...input.repr };
      if (want.sack) {
        const kept = emittedOptions(input.repr).sack;
        if (kept) want.sack = kept;
        else delete want.sack;
      }
      check(same(out, want), 'emit → parse changed the options', { want, out });
    }),
};

export const udpTarget: FuzzTarget = {
  name: 'udp',
  about: 'UDP: hostile bytes give a reason or an in-bounds view; Repr emit → parse is identity',
  property: () =>
    fc.property(bytes(64), fc.record({ srcPort: u16, dstPort: u16, payload: bytes(64) }), u32, u32, (raw, repr, src, dst) => {
      const p = UdpPacket.parse(raw, src, dst);
      if (typeof p !== 'string') check(p.payload.length + UDP_HEADER_LEN <= raw.length, 'payload past the datagram');
      else check(['truncated', 'badLength', 'badChecksum'].includes(p), 'unknown reason', p);
      const buf = Buffer.alloc(UdpRepr.bufferLen(repr));
      UdpRepr.emit(repr, buf, src, dst);
      const back = UdpPacket.parse(buf, src, dst);
      check(typeof back !== 'string', 'emitted datagram rejected', back);
      check(same(UdpRepr.parse(back as UdpPacket), repr), 'emit → parse changed the datagram');
    }),
};

const icmpRepr: fc.Arbitrary<Icmpv4Repr> = fc.oneof(
  fc.record({ kind: fc.constantFrom('echoRequest' as const, 'echoReply' as const), ident: u16, seq: u16, data: bytes(48) }),
  fc.record({ kind: fc.constant('destUnreachable' as const), code: fc.integer({ min: 0, max: 15 }), nextHopMtu: u16, data: bytes(48) }).map((r) => (r.code === 4 ? r : { ...r, nextHopMtu: 0 })),
  fc.record({ kind: fc.constant('timeExceeded' as const), code: fc.integer({ min: 0, max: 1 }), data: bytes(48) }),
  fc.record({ kind: fc.constant('other' as const), type: fc.integer({ min: 0, max: 255 }).filter((t) => ![0, 3, 8, 11].includes(t)), code: fc.integer({ min: 0, max: 255 }), rest: u32, data: bytes(48) }),
);

export const icmpv4Target: FuzzTarget = {
  name: 'icmpv4',
  about: 'ICMPv4: hostile bytes give a reason or a view; Repr emit → parse is identity',
  property: () =>
    fc.property(bytes(64), icmpRepr, (raw, repr) => {
      const p = Icmpv4Packet.parse(raw);
      if (typeof p !== 'string') Icmpv4Repr.parse(p);
      else check(p === 'truncated' || p === 'badChecksum', 'unknown reason', p);
      const buf = Buffer.alloc(Icmpv4Repr.bufferLen(repr));
      Icmpv4Repr.emit(repr, buf);
      const back = Icmpv4Packet.parse(buf);
      check(typeof back !== 'string', 'emitted message rejected', back);
      check(same(Icmpv4Repr.parse(back as Icmpv4Packet), repr), 'emit → parse changed the message');
    }),
};

const mac = fc.integer({ min: 0, max: 0xffff_ffff_ffff });

export const ethernetArpTarget: FuzzTarget = {
  name: 'ethernet-arp',
  about: 'Ethernet and ARP: hostile bytes give a reason; Repr emit → parse is identity',
  property: () =>
    fc.property(
      bytes(64),
      fc.record({ dst: mac, src: mac, etherType: fc.integer({ min: 0x600, max: 0xffff }) }),
      fc.record({ operation: fc.constantFrom(1, 2), senderHw: mac, senderProto: u32, targetHw: mac, targetProto: u32 }),
      (raw, eth, arp) => {
        parseEthernet(raw);
        parseArp(raw);
        const buf = Buffer.alloc(ETHERNET_HEADER_LEN + ARP_LEN);
        emitEthernet(eth, buf);
        emitArp(arp, buf, ETHERNET_HEADER_LEN);
        check(same(parseEthernet(buf), eth), 'Ethernet emit → parse');
        check(same(parseArp(buf.subarray(ETHERNET_HEADER_LEN)), arp), 'ARP emit → parse');
      },
    ),
};

export const WIRE_TARGETS = [ipv4Target, tcpTarget, tcpOptionsTarget, udpTarget, icmpv4Target, ethernetArpTarget];
