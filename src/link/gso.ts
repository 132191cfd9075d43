/**
 * Software GSO and checksum completion for IPv4/TCP (Linux
 * tcp_gso_segment + skb_checksum_help): what the kernel does with a
 * super-packet we write with a virtio_net_hdr, done in JS so the in-memory
 * link's GSO mode puts real MSS-sized segments on the simulated wire and
 * virtual-time tests cover the offloaded send path.
 *
 * Input: an IPv4 datagram (no options needed, but honoured) carrying TCP,
 * whose TCP checksum field holds the folded pseudo-header sum over the whole
 * TCP length (CHECKSUM_PARTIAL) when `csumPartial`. Output: datagrams of at
 * most `gsoSize` payload bytes each, with IP total length, identification
 * (+1 per segment, as Linux for TSO4) and header checksum, TCP sequence
 * number and complete checksum; FIN and PSH only on the last segment, CWR
 * only on the first (tcp_gso_segment).
 */
import { finish, pseudoHeaderSum, sumBytes, checksum } from '../wire/checksum.js';

const TCP_FIN = 0x01;
const TCP_PSH = 0x08;
const TCP_CWR = 0x80;

/** Replace a partial TCP/UDP checksum by the complete one, in place. */
export function completeChecksum(packet: Buffer): void {
  const ihl = (packet[0] & 0x0f) * 4;
  const protocol = packet[9];
  const off = protocol === 6 ? 16 : 6;
  if (packet.length < ihl + off + 2) return;
  packet.writeUInt16BE(0, ihl + off);
  const len = packet.length - ihl;
  const src = packet.readUInt32BE(12);
  const dst = packet.readUInt32BE(16);
  let c = finish(sumBytes(packet, ihl, len, pseudoHeaderSum(src, dst, protocol, len)));
  if (protocol === 17 && c === 0) c = 0xffff; // RFC 768: zero means "no checksum"
  packet.writeUInt16BE(c, ihl + off);
}

/**
 * Cut `packet` into segments of `gsoSize` payload bytes (all of it if it
 * fits in one). Returns the packets to put on the wire, each a fresh Buffer
 * with complete checksums.
 */
export function segmentTcp4(packet: Buffer, gsoSize: number): Buffer[] {
  const ihl = (packet[0] & 0x0f) * 4;
  const thl = (packet[ihl + 12] >>> 4) * 4;
  const hl = ihl + thl;
  const payloadLen = packet.length - hl;
  if (gsoSize <= 0 || payloadLen <= gsoSize) {
    completeChecksum(packet);
    return [packet];
  }
  const out: Buffer[] = [];
  const seq0 = packet.readUInt32BE(ihl + 4);
  const id0 = packet.readUInt16BE(4);
  const flags = packet[ihl + 13];
  const src = packet.readUInt32BE(12);
  const dst = packet.readUInt32BE(16);
  for (let off = 0, i = 0; off < payloadLen; off += gsoSize, i++) {
    const n = Math.min(gsoSize, payloadLen - off);
    const last = off + n >= payloadLen;
    const seg = Buffer.allocUnsafe(hl + n);
    packet.copy(seg, 0, 0, hl);
    packet.copy(seg, hl, hl + off, hl + off + n);
    seg.writeUInt16BE(hl + n, 2);
    seg.writeUInt16BE((id0 + i) & 0xffff, 4);
    seg.writeUInt16BE(0, 10);
    seg.writeUInt16BE(checksum(seg, 0, ihl), 10);
    seg.writeUInt32BE((seq0 + off) >>> 0, ihl + 4);
    let f = flags;
    if (!last) f &= ~(TCP_FIN | TCP_PSH);
    if (i > 0) f &= ~TCP_CWR;
    seg[ihl + 13] = f;
    seg.writeUInt16BE(0, ihl + 16);
    const tlen = thl + n;
    seg.writeUInt16BE(finish(sumBytes(seg, ihl, tlen, pseudoHeaderSum(src, dst, 6, tlen))), ihl + 16);
    out.push(seg);
  }
  return out;
}
