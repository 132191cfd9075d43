/** An IPv4 packet on the link as a TraceSegment (for the ladder); never throws on bad bytes. */
import { ICMP_DEST_UNREACHABLE, ICMP_UNREACH_FRAG_NEEDED } from '../wire/icmpv4.js';
import { formatIpv4 } from '../wire/ip-address.js';
import { Ipv4Packet, Ipv4Repr } from '../wire/ipv4.js';
import { TcpView, TCP_HEADER_LEN, TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, type TcpOptionsRepr, type TcpRepr } from '../wire/tcp.js';
import { parseTcpOptions } from '../wire/tcp-options.js';
import type { Side, TcpFields, TraceSegment } from './trace-format.js';

const FLAG_LETTERS: Array<[number, string]> = [
  [TCP_SYN, 'S'],
  [TCP_FIN, 'F'],
  [TCP_RST, 'R'],
  [TCP_PSH, 'P'],
  [TCP_ACK, '.'],
  [TCP_URG, 'U'],
  [TCP_ECE, 'E'],
  [TCP_CWR, 'W'],
];

export function flagLetters(flags: number): string {
  return FLAG_LETTERS.filter(([bit]) => flags & bit).map(([, l]) => l).join('');
}

function tcpFields(seg: TcpRepr): TcpFields {
  const o = seg.options;
  return {
    srcPort: seg.srcPort,
    dstPort: seg.dstPort,
    seq: seg.seq,
    ack: seg.ack,
    flags: flagLetters(seg.flags),
    window: seg.window,
    len: seg.payload.length,
    options: {
      ...(o.mss !== undefined ? { mss: o.mss } : {}),
      ...(o.wscale !== undefined ? { wscale: o.wscale } : {}),
      ...(o.sackPermitted ? { sackPermitted: true } : {}),
      ...(o.sack && o.sack.length > 0 ? { sack: o.sack.map(([l, r]): [number, number] => [l, r]) } : {}),
      ...(o.timestamp ? { ts: [o.timestamp.val, o.timestamp.ecr] as [number, number] } : {}),
    },
  };
}

/** Describe `packet` (an IPv4 datagram) sent by `from` at `t`; undefined for bytes that are not IPv4. */
export function recordPacket(id: number, from: Side, t: number, packet: Buffer): TraceSegment | undefined {
  const p = Ipv4Packet.parse(packet);
  if (typeof p === 'string') return undefined;
  const ip = Ipv4Repr.parse(p);
  const hl = (packet[0] & 0x0f) * 4;
  const payload = p.buf.subarray(hl);
  const rec: TraceSegment = {
    id,
    from,
    t,
    ip: { id: ip.ident, len: p.buf.length, df: ip.dontFrag, mf: ip.moreFrags, fragOffset: ip.fragOffset, proto: ip.protocol },
  };
  if (ip.moreFrags || ip.fragOffset > 0) {
    // Only the first fragment carries the transport header (and its checksum covers the whole datagram).
    if (ip.fragOffset === 0 && ip.protocol === 17 && payload.length >= 8) {
      rec.udp = { srcPort: payload.readUInt16BE(0), dstPort: payload.readUInt16BE(2), len: payload.readUInt16BE(4) };
    }
    return rec;
  }
  if (ip.protocol === 6) {
    // Header fields without the checksum check: with checksum offload the
    // checksum is finished later (by the kernel), and a corrupted segment is
    // still worth drawing (its receiver counts it as badChecksum).
    const v = TcpView.parse(payload);
    if (typeof v !== 'string') {
      const options: TcpOptionsRepr = {};
      if (parseTcpOptions(payload, TCP_HEADER_LEN, v.headerLen, options) === null) {
        rec.tcp = tcpFields({ srcPort: v.srcPort, dstPort: v.dstPort, seq: v.seq, ack: v.ack, flags: v.flags, window: v.window, urgent: v.urgent, options, payload: payload.subarray(v.headerLen) });
      }
    }
  } else if (ip.protocol === 17 && payload.length >= 8) {
    rec.udp = { srcPort: payload.readUInt16BE(0), dstPort: payload.readUInt16BE(2), len: payload.readUInt16BE(4) };
  } else if (ip.protocol === 1 && payload.length >= 4) {
    rec.icmp = { type: payload[0], code: payload[1], src: formatIpv4(ip.src) };
    // Destination unreachable, fragmentation needed: the next-hop MTU is the low half of the second word (RFC 1191 §4).
    if (payload[0] === ICMP_DEST_UNREACHABLE && payload[1] === ICMP_UNREACH_FRAG_NEEDED && payload.length >= 8) rec.icmp.mtu = payload.readUInt16BE(6);
  }
  return rec;
}
