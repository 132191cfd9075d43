/**
 * IPv4 header (RFC 791 §3.1). View + Repr per the rule in ./index.ts.
 *
 * Options are not interpreted: they are skipped and only counted in the
 * header length (IHL). We never send options, so emit always writes IHL=5.
 */
import { checksum } from './checksum.js';

const VER_IHL = 0;
const TOS = 1;
const TOTAL_LEN = 2;
const IDENT = 4;
const FLAGS_FRAG = 6;
const TTL = 8;
const PROTOCOL = 9;
const CHECKSUM = 10;
const SRC = 12;
const DST = 16;

export const IPV4_HEADER_LEN = 20;
/** Largest datagram the 16-bit total length field can describe. */
export const IPV4_MAX_DATAGRAM = 65535;
/** Don't Fragment and More Fragments bits of the flags/offset word (RFC 791 §3.1). */
export const IPV4_DF = 0x4000;
export const IPV4_MF = 0x2000;
const FRAG_OFFSET_MASK = 0x1fff;

export const IPV4_BROADCAST = 0xffffffff;

export type Ipv4DropReason = 'truncated' | 'badVersion' | 'badHeaderLength' | 'badTotalLength' | 'badChecksum';

export class Ipv4Packet {
  private constructor(readonly buf: Buffer) {}

  /**
   * Checked constructor for untrusted bytes. Validates version, IHL, total
   * length and header checksum once (RFC 791 §3.1, RFC 1122 §3.2.1.1-2). The
   * returned view covers exactly `total length` bytes: link padding after the
   * datagram is trimmed off.
   */
  static parse(buf: Buffer): Ipv4Packet | Ipv4DropReason {
    if (buf.length < IPV4_HEADER_LEN) return 'truncated';
    const vi = buf[VER_IHL];
    if (vi >>> 4 !== 4) return 'badVersion';
    const hl = (vi & 0x0f) * 4;
    if (hl < IPV4_HEADER_LEN || hl > buf.length) return 'badHeaderLength';
    const total = buf.readUInt16BE(TOTAL_LEN);
    if (total < hl || total > buf.length) return 'badTotalLength';
    if (checksum(buf, 0, hl) !== 0) return 'badChecksum';
    return new Ipv4Packet(total === buf.length ? buf : buf.subarray(0, total));
  }

  /** Unchecked view for emitting into a buffer of at least IPV4_HEADER_LEN bytes. */
  static over(buf: Buffer): Ipv4Packet {
    return new Ipv4Packet(buf);
  }

  get version(): number {
    return this.buf[VER_IHL] >>> 4;
  }
  /** Header length in bytes (IHL * 4), options included. */
  get headerLen(): number {
    return (this.buf[VER_IHL] & 0x0f) * 4;
  }
  get tos(): number {
    return this.buf[TOS];
  }
  set tos(v: number) {
    this.buf[TOS] = v;
  }
  get totalLen(): number {
    return this.buf.readUInt16BE(TOTAL_LEN);
  }
  set totalLen(v: number) {
    this.buf.writeUInt16BE(v, TOTAL_LEN);
  }
  get ident(): number {
    return this.buf.readUInt16BE(IDENT);
  }
  set ident(v: number) {
    this.buf.writeUInt16BE(v & 0xffff, IDENT);
  }
  get dontFrag(): boolean {
    return (this.buf.readUInt16BE(FLAGS_FRAG) & IPV4_DF) !== 0;
  }
  get moreFrags(): boolean {
    return (this.buf.readUInt16BE(FLAGS_FRAG) & IPV4_MF) !== 0;
  }
  /** Fragment offset in bytes (the field counts 8-byte units). */
  get fragOffset(): number {
    return (this.buf.readUInt16BE(FLAGS_FRAG) & FRAG_OFFSET_MASK) * 8;
  }
  /** True for any piece of a fragmented datagram (MF set or offset non-zero). */
  get isFragment(): boolean {
    return (this.buf.readUInt16BE(FLAGS_FRAG) & (IPV4_MF | FRAG_OFFSET_MASK)) !== 0;
  }
  /** Write flags and offset (bytes, must be a multiple of 8) together. */
  setFlagsFrag(dontFrag: boolean, moreFrags: boolean, fragOffset: number): void {
    const v = (dontFrag ? IPV4_DF : 0) | (moreFrags ? IPV4_MF : 0) | ((fragOffset >>> 3) & FRAG_OFFSET_MASK);
    this.buf.writeUInt16BE(v, FLAGS_FRAG);
  }
  get ttl(): number {
    return this.buf[TTL];
  }
  set ttl(v: number) {
    this.buf[TTL] = v;
  }
  get protocol(): number {
    return this.buf[PROTOCOL];
  }
  set protocol(v: number) {
    this.buf[PROTOCOL] = v;
  }
  get checksum(): number {
    return this.buf.readUInt16BE(CHECKSUM);
  }
  get src(): number {
    return this.buf.readUInt32BE(SRC);
  }
  set src(v: number) {
    this.buf.writeUInt32BE(v >>> 0, SRC);
  }
  get dst(): number {
    return this.buf.readUInt32BE(DST);
  }
  set dst(v: number) {
    this.buf.writeUInt32BE(v >>> 0, DST);
  }
  /** Transport bytes (after options), a subarray sharing memory. */
  get payload(): Buffer {
    return this.buf.subarray(this.headerLen, this.totalLen);
  }
  /** Recompute the header checksum over the current header bytes. */
  fillChecksum(): void {
    this.buf.writeUInt16BE(0, CHECKSUM);
    this.buf.writeUInt16BE(checksum(this.buf, 0, this.headerLen), CHECKSUM);
  }
}

/** Plain-data IPv4 header. `payloadLen` excludes the header. */
export interface Ipv4Repr {
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  tos: number;
  ident: number;
  dontFrag: boolean;
  moreFrags: boolean;
  /** Bytes; a multiple of 8. */
  fragOffset: number;
  payloadLen: number;
}

export const Ipv4Repr = {
  parse(p: Ipv4Packet): Ipv4Repr {
    return {
      src: p.src,
      dst: p.dst,
      protocol: p.protocol,
      ttl: p.ttl,
      tos: p.tos,
      ident: p.ident,
      dontFrag: p.dontFrag,
      moreFrags: p.moreFrags,
      fragOffset: p.fragOffset,
      payloadLen: p.totalLen - p.headerLen,
    };
  },

  /** Bytes needed for the emitted header plus payload. */
  bufferLen(r: Ipv4Repr): number {
    return IPV4_HEADER_LEN + r.payloadLen;
  },

  /** Write an option-less header into buf[0, 20) and fill its checksum. */
  emit(r: Ipv4Repr, buf: Buffer): void {
    emitIpv4Header(buf, r.src, r.dst, r.protocol, r.ttl, r.ident, r.payloadLen, r.dontFrag, r.moreFrags, r.fragOffset, r.tos);
  },
};

/**
 * Write an option-less header into buf[0, 20) with a valid checksum. The
 * allocation-free form of Ipv4Repr.emit for the output hot path.
 */
export function emitIpv4Header(
  buf: Buffer,
  src: number,
  dst: number,
  protocol: number,
  ttl: number,
  ident: number,
  payloadLen: number,
  dontFrag = false,
  moreFrags = false,
  fragOffset = 0,
  tos = 0,
): void {
  buf[VER_IHL] = 0x45;
  buf[TOS] = tos;
  buf.writeUInt16BE(IPV4_HEADER_LEN + payloadLen, TOTAL_LEN);
  buf.writeUInt16BE(ident & 0xffff, IDENT);
  const ff = (dontFrag ? IPV4_DF : 0) | (moreFrags ? IPV4_MF : 0) | ((fragOffset >>> 3) & FRAG_OFFSET_MASK);
  buf.writeUInt16BE(ff, FLAGS_FRAG);
  buf[TTL] = ttl;
  buf[PROTOCOL] = protocol;
  buf.writeUInt16BE(0, CHECKSUM);
  buf.writeUInt32BE(src >>> 0, SRC);
  buf.writeUInt32BE(dst >>> 0, DST);
  buf.writeUInt16BE(checksum(buf, 0, IPV4_HEADER_LEN), CHECKSUM);
}
