/**
 * UDP header (RFC 768). View + Repr per the rule in ./index.ts.
 *
 * The checksum covers a pseudo header (source, destination, zero, protocol,
 * UDP length), the UDP header and the data. On IPv4 a transmitted checksum of
 * zero means "none computed" and is accepted; a computed zero is sent as
 * 0xffff (RFC 768, "Fields"; RFC 1122 §4.1.3.4).
 */
import { finish, pseudoHeaderSum, sumBytes } from './checksum.js';

const SRC_PORT = 0;
const DST_PORT = 2;
const LENGTH = 4;
const CHECKSUM = 6;
export const UDP_HEADER_LEN = 8;
const IPPROTO_UDP = 17;

export type UdpDropReason = 'truncated' | 'badLength' | 'badChecksum';

/** Checksum field value for `buf` (a whole UDP datagram with its checksum field zeroed or not: the field is skipped). */
function computeChecksum(buf: Buffer, src: number, dst: number): number {
  let acc = pseudoHeaderSum(src, dst, IPPROTO_UDP, buf.length);
  acc = sumBytes(buf, 0, CHECKSUM, acc);
  acc = sumBytes(buf, UDP_HEADER_LEN, buf.length - UDP_HEADER_LEN, acc);
  const c = finish(acc);
  return c === 0 ? 0xffff : c;
}

export class UdpPacket {
  private constructor(readonly buf: Buffer) {}

  /**
   * Checked constructor. The length field must cover the header and fit in
   * the IP payload (RFC 768; Linux drops a datagram whose length exceeds the
   * IP payload and trims IP payload beyond it, as we do). A non-zero checksum
   * must verify against the pseudo header of `src`/`dst`, unless the link
   * vouches for it (`checksumVerified`, virtio NEEDS_CSUM/DATA_VALID).
   */
  static parse(buf: Buffer, src: number, dst: number, checksumVerified = false): UdpPacket | UdpDropReason {
    if (buf.length < UDP_HEADER_LEN) return 'truncated';
    const len = buf.readUInt16BE(LENGTH);
    if (len < UDP_HEADER_LEN || len > buf.length) return 'badLength';
    const p = new UdpPacket(len === buf.length ? buf : buf.subarray(0, len));
    const field = p.checksum;
    if (field !== 0 && !checksumVerified) {
      const acc = sumBytes(p.buf, 0, len, pseudoHeaderSum(src, dst, IPPROTO_UDP, len));
      if (finish(acc) !== 0) return 'badChecksum';
    }
    return p;
  }

  /** Unchecked view for emitting into a buffer sized by UdpRepr.bufferLen. */
  static over(buf: Buffer): UdpPacket {
    return new UdpPacket(buf);
  }

  get srcPort(): number {
    return this.buf.readUInt16BE(SRC_PORT);
  }
  set srcPort(v: number) {
    this.buf.writeUInt16BE(v, SRC_PORT);
  }
  get dstPort(): number {
    return this.buf.readUInt16BE(DST_PORT);
  }
  set dstPort(v: number) {
    this.buf.writeUInt16BE(v, DST_PORT);
  }
  get length(): number {
    return this.buf.readUInt16BE(LENGTH);
  }
  set length(v: number) {
    this.buf.writeUInt16BE(v, LENGTH);
  }
  get checksum(): number {
    return this.buf.readUInt16BE(CHECKSUM);
  }
  set checksum(v: number) {
    this.buf.writeUInt16BE(v, CHECKSUM);
  }
  get payload(): Buffer {
    return this.buf.subarray(UDP_HEADER_LEN, this.length);
  }
  /** Compute and store the checksum over the view's bytes. */
  fillChecksum(src: number, dst: number): void {
    this.checksum = computeChecksum(this.buf, src, dst);
  }
}

export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

export const UdpRepr = {
  parse(p: UdpPacket): UdpRepr {
    return { srcPort: p.srcPort, dstPort: p.dstPort, payload: p.payload };
  },

  bufferLen(r: UdpRepr): number {
    return UDP_HEADER_LEN + r.payload.length;
  },

  /**
   * Write header and payload into buf[0, bufferLen) with the checksum for
   * src/dst. If `r.payload` already sits at buf[8..] (built in place) the copy
   * is skipped.
   */
  emit(r: UdpRepr, buf: Buffer, src: number, dst: number): void {
    const len = UDP_HEADER_LEN + r.payload.length;
    const p = UdpPacket.over(len === buf.length ? buf : buf.subarray(0, len));
    p.srcPort = r.srcPort;
    p.dstPort = r.dstPort;
    p.length = len;
    const inPlace = r.payload.buffer === buf.buffer && r.payload.byteOffset === buf.byteOffset + UDP_HEADER_LEN;
    if (!inPlace) r.payload.copy(buf, UDP_HEADER_LEN);
    p.fillChecksum(src, dst);
  },
};
