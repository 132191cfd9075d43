/**
 * Script packets to live datagrams (inbound) and the checks for outbound
 * non-TCP lines. Inbound TCP follows packetdrill's map_inbound_packet: the
 * peer's sequence numbers are used as written, our ACK and SACK values are
 * shifted by our ISN, and TS ecr is remapped to a TS val we really sent.
 */
import { mapInboundEcr } from './comparator.js';
import type { Flow } from './interpreter.js';
import {
  OPT_EOL, OPT_MSS, OPT_NOP, OPT_SACK, OPT_SACK_OK, OPT_TS, OPT_WSCALE, PROTO_ICMP, PROTO_UDP,
  buildIcmpDatagram, buildTcpDatagram, buildUdpDatagram, type DecodedDatagram, type RawOption,
} from './packet.js';
import { ScriptUnsupported } from './parser.js';
import type { Profile } from './profile.js';
import { ECN_FIELD, type IcmpPacketSpec, type OptionSpec, type PacketSpec, type TcpPacketSpec } from './script.js';

const ACK = 0x10;

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v & 0xffff);
  return b;
}

function rawOption(o: OptionSpec, offset: number, ackSet: boolean, flow: Flow): RawOption {
  switch (o.kind) {
    case 'nop':
      return { kind: OPT_NOP, data: Buffer.alloc(0) };
    case 'eol':
      return { kind: OPT_EOL, data: Buffer.alloc(0) };
    case 'mss':
      return { kind: OPT_MSS, data: u16(o.value) };
    case 'wscale':
      return { kind: OPT_WSCALE, data: Buffer.from([o.value & 255]) };
    case 'sackOK':
      return { kind: OPT_SACK_OK, data: Buffer.alloc(0) };
    case 'sack': {
      const d = Buffer.alloc(o.blocks.length * 8);
      o.blocks.forEach(([l, r], i) => {
        d.writeUInt32BE((l + offset) >>> 0, i * 8);
        d.writeUInt32BE((r + offset) >>> 0, i * 8 + 4);
      });
      return { kind: OPT_SACK, data: d };
    }
    case 'TS': {
      const d = Buffer.alloc(8);
      d.writeUInt32BE(o.val >>> 0, 0);
      d.writeUInt32BE(ackSet ? mapInboundEcr(o.ecr, flow.map) : o.ecr >>> 0, 4);
      return { kind: OPT_TS, data: d };
    }
  }
}

export function buildInboundTcp(spec: TcpPacketSpec, flow: Flow, profile: Profile): Buffer {
  const offset = flow.map.localOffset ?? 0;
  const ackSet = (spec.flags & ACK) !== 0;
  if (spec.options === 'any') throw new ScriptUnsupported('<...> options on an inbound packet');
  return buildTcpDatagram({
    src: profile.remoteAddr,
    dst: profile.localAddr,
    srcPort: flow.remotePort,
    dstPort: flow.localPort,
    seq: spec.seq >>> 0,
    ack: ackSet ? ((spec.ack ?? 0) + offset) >>> 0 : (spec.ack ?? 0) >>> 0,
    flags: spec.flags,
    // packetdrill's default for an inbound line without `win`.
    window: spec.win ?? 65535,
    urgent: spec.urg,
    options: (spec.options ?? []).map((o) => rawOption(o, offset, ackSet, flow)),
    payload: Buffer.alloc(spec.len),
    ecn: spec.ecn === undefined ? 0 : ECN_FIELD[spec.ecn][0],
  });
}

const ICMP_TYPES: Record<string, number> = { echo_reply: 0, unreachable: 3, source_quench: 4, redirect: 5, echo_request: 8, time_exceeded: 11, parameter_problem: 12 };
const ICMP_UNREACH_CODES: Record<string, number> = {
  net_unreachable: 0, host_unreachable: 1, protocol_unreachable: 2, port_unreachable: 3, frag_needed: 4,
  source_route_failed: 5, net_unknown: 6, host_unknown: 7, net_prohibited: 9, host_prohibited: 10, prohibited: 13,
};

function icmpTypeCode(spec: IcmpPacketSpec): [number, number] {
  const type = ICMP_TYPES[spec.type];
  if (type === undefined) throw new ScriptUnsupported(`ICMP type ${spec.type}`);
  let code = 0;
  if (spec.code !== undefined) {
    const c = type === 3 ? ICMP_UNREACH_CODES[spec.code] : type === 11 && spec.code === 'ttl_exceeded' ? 0 : undefined;
    if (c === undefined) throw new ScriptUnsupported(`ICMP code ${spec.code}`);
    code = c;
  }
  return [type, code];
}

const FIN = 0x01;
const PSH = 0x08;
const CWR = 0x80;

/**
 * packetdrill --mss: an inbound TCP line with more payload than that reaches
 * the stack as GSO pieces of at most `mss` bytes (packetdrill writes it to its
 * TUN with virtio gso_size = mss, netdev.c; Linux tcp_gso_segment cuts it):
 * every piece carries the header and options, CWR only the first, FIN and
 * PSH only the last.
 */
export function splitForMss(spec: PacketSpec, mss: number | undefined): PacketSpec[] {
  if (spec.proto !== 'tcp' || !mss || spec.len <= mss) return [spec];
  const out: PacketSpec[] = [];
  for (let off = 0; off < spec.len; off += mss) {
    const len = Math.min(mss, spec.len - off);
    const last = off + len === spec.len;
    let flags = spec.flags;
    if (!last) flags &= ~(FIN | PSH);
    if (off > 0) flags &= ~CWR;
    const seq = (spec.seq + off) >>> 0;
    out.push({ ...spec, flags, seq, end: (seq + len) >>> 0, len });
  }
  return out;
}

/** The live datagrams for a script packet (several when --mss cuts it). */
export function buildInboundAll(spec: PacketSpec, flow: Flow, profile: Profile): Buffer[] {
  return splitForMss(spec, profile.injectMss).map((p) => buildInbound(p, flow, profile));
}

export function buildInbound(spec: PacketSpec, flow: Flow, profile: Profile): Buffer {
  if (spec.proto === 'tcp') return buildInboundTcp(spec, flow, profile);
  if (spec.proto === 'udp') return buildUdpDatagram(profile.remoteAddr, profile.localAddr, flow.remotePort, profile.port, spec.len);
  const [type, code] = icmpTypeCode(spec);
  // The quoted datagram is one we sent: IP header + first 8 bytes of its transport header (RFC 792).
  let quoted: Buffer;
  if (spec.quotedUdp) {
    quoted = buildUdpDatagram(profile.localAddr, profile.remoteAddr, flow.localPort, flow.remotePort, spec.quotedUdp.len).subarray(0, 28);
  } else {
    const q = spec.quotedTcp ?? { seq: 0, end: 0, len: 0 };
    const seq = (q.seq + (flow.map.localOffset ?? 0)) >>> 0;
    quoted = buildTcpDatagram({
      src: profile.localAddr, dst: profile.remoteAddr, srcPort: flow.localPort, dstPort: flow.remotePort,
      seq, ack: 0, flags: ACK, window: 0, options: [], payload: Buffer.alloc(q.len),
    }).subarray(0, 28);
    quoted.writeUInt16BE(20 + 20 + q.len, 2);
  }
  const rest = spec.mtu !== undefined ? spec.mtu & 0xffff : 0;
  return buildIcmpDatagram(profile.remoteAddr, profile.localAddr, type, code, rest, quoted);
}

/** Outbound UDP/ICMP lines: protocol, ICMP type/code, UDP payload length. */
export function checkNonTcp(spec: PacketSpec, d: DecodedDatagram): string | undefined {
  if (spec.proto === 'udp') {
    if (d.protocol !== PROTO_UDP) return `expected UDP, got IP protocol ${d.protocol}`;
    const len = d.payload.length >= 8 ? d.payload.readUInt16BE(4) - 8 : -1;
    return len === spec.len ? undefined : `UDP payload length: expected ${spec.len} vs actual ${len}`;
  }
  if (spec.proto === 'icmp') {
    if (d.protocol !== PROTO_ICMP || d.payload.length < 8) return `expected ICMP, got IP protocol ${d.protocol}`;
    const [type, code] = icmpTypeCode(spec);
    if (d.payload[0] !== type || (spec.code !== undefined && d.payload[1] !== code)) {
      return `ICMP type/code: expected ${type}/${code} vs actual ${d.payload[0]}/${d.payload[1]}`;
    }
  }
  return undefined;
}
