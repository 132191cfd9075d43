/** Packet surgery for the fuzzers: re-address captured packets, repair checksums after mutation. */
import { checksum, finish, pseudoHeaderSum, sumBytes } from '../wire/checksum.js';
import { Ipv4Packet } from '../wire/ipv4.js';
import { emitIpv4Header } from '../wire/ipv4.js';
import { emitTcpSegment, tcpHeaderLen, type TcpRepr } from '../wire/tcp.js';

/** Recompute the IPv4 header checksum if the header length is sane; returns the packet. */
export function fixIpChecksum(p: Buffer): Buffer {
  if (p.length < 20 || p[0] >>> 4 !== 4) return p;
  const hl = (p[0] & 15) * 4;
  if (hl >= 20 && hl <= p.length) Ipv4Packet.over(p).fillChecksum();
  return p;
}

/** Recompute the TCP/UDP/ICMP checksum of an unfragmented datagram (over its total length). */
export function fixL4Checksum(p: Buffer): Buffer {
  if (p.length < 20 || p[0] >>> 4 !== 4) return p;
  const hl = (p[0] & 15) * 4;
  const total = Math.min(p.length, p.readUInt16BE(2));
  if (hl < 20 || hl > total || (p.readUInt16BE(6) & 0x3fff) !== 0) return p;
  const l4 = p.subarray(hl, total);
  const proto = p[9];
  const src = p.readUInt32BE(12);
  const dst = p.readUInt32BE(16);
  if (proto === 6 && l4.length >= 20) {
    l4.writeUInt16BE(0, 16);
    l4.writeUInt16BE(finish(sumBytes(l4, 0, l4.length, pseudoHeaderSum(src, dst, 6, l4.length))), 16);
  } else if (proto === 17 && l4.length >= 8) {
    l4.writeUInt16BE(0, 6);
    const c = finish(sumBytes(l4, 0, l4.length, pseudoHeaderSum(src, dst, 17, l4.length)));
    l4.writeUInt16BE(c === 0 ? 0xffff : c, 6);
  } else if (proto === 1 && l4.length >= 8) {
    l4.writeUInt16BE(0, 2);
    l4.writeUInt16BE(checksum(l4, 0, l4.length), 2);
  }
  return p;
}

/** A copy of `p` from `src` to `dst` with every checksum made valid again. */
export function readdress(p: Buffer, src: number, dst: number): Buffer {
  const q = Buffer.from(p);
  q.writeUInt32BE(src >>> 0, 12);
  q.writeUInt32BE(dst >>> 0, 16);
  return fixIpChecksum(fixL4Checksum(q));
}

/** A whole IPv4 datagram carrying `seg` from src to dst. */
export function tcpPacket(seg: TcpRepr, src: number, dst: number, ident = 0): Buffer {
  const len = tcpHeaderLen(seg) + seg.payload.length;
  const buf = Buffer.alloc(20 + len);
  emitTcpSegment(seg, buf, 20, src, dst);
  emitIpv4Header(buf, src, dst, 6, 64, ident, len, true);
  return buf;
}

/** One IPv4 fragment (payload bytes at byte offset `off`). */
export function ipFragment(src: number, dst: number, protocol: number, ident: number, off: number, more: boolean, payload: Buffer): Buffer {
  const buf = Buffer.alloc(20 + payload.length);
  emitIpv4Header(buf, src, dst, protocol, 64, ident, payload.length, false, more, off);
  payload.copy(buf, 20);
  return buf;
}
