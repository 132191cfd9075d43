/**
 * Output fragmentation (RFC 791 §3.2 "Fragmentation", §2.3).
 *
 * Every fragment but the last carries a multiple of 8 data bytes, so the data
 * per fragment is (mtu - header) rounded down to 8. Each fragment copies the
 * original header (we never send options, so there is nothing to filter by
 * the copy flag) with its own offset, MF bit, length and checksum.
 */
import { IPV4_HEADER_LEN, Ipv4Packet } from '../wire/ipv4.js';

/**
 * Split `datagram` (an option-less header already written in its first 20
 * bytes, DF clear) into fragments of at most `mtu` bytes, passing each to
 * `send`. Returns the number of fragments sent, or 0 if the MTU cannot hold
 * one 8-byte data unit.
 */
export function fragment(datagram: Buffer, mtu: number, send: (packet: Buffer) => void): number {
  const maxData = (mtu - IPV4_HEADER_LEN) & ~7;
  if (maxData < 8) return 0;
  const dataLen = datagram.length - IPV4_HEADER_LEN;
  let n = 0;
  for (let off = 0; off < dataLen; off += maxData) {
    const len = Math.min(maxData, dataLen - off);
    const frag = Buffer.allocUnsafe(IPV4_HEADER_LEN + len);
    datagram.copy(frag, 0, 0, IPV4_HEADER_LEN);
    datagram.copy(frag, IPV4_HEADER_LEN, IPV4_HEADER_LEN + off, IPV4_HEADER_LEN + off + len);
    const v = Ipv4Packet.over(frag);
    v.totalLen = frag.length;
    v.setFlagsFrag(false, off + len < dataLen, off);
    v.fillChecksum();
    send(frag);
    n++;
  }
  return n;
}
