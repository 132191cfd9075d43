/**
 * TCP header (RFC 9293 §3.1). View + Repr per the rule in ./index.ts.
 * (Types fixed first so TCP, the socket layer and the conformance runner can
 * be written against them; the view and parse/emit follow below.)
 */

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

/** Normalised TCP options (RFC 9293 §3.2, RFC 7323, RFC 2018). Absent = not present. */
export interface TcpOptionsRepr {
  mss?: number;
  /** Window scale shift, clamped to 14 by parse (RFC 7323 §2.3). */
  wscale?: number;
  sackPermitted?: boolean;
  /** SACK blocks as [left, right) sequence pairs (RFC 2018 §3). */
  sack?: Array<[number, number]>;
  timestamp?: { val: number; ecr: number };
}

export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Bitwise OR of TCP_* flags. */
  flags: number;
  /** The raw 16-bit window field (unscaled). */
  window: number;
  urgent: number;
  options: TcpOptionsRepr;
  /** Segment data; a subarray of the received packet on input. */
  payload: Buffer;
}

// ---------------------------------------------------------------------------
// View, parse and emit (RFC 9293 §3.1).

import { finish, fold, pseudoHeaderSum, sumBytes } from './checksum.js';
import { emitTcpOptions, parseTcpOptions, tcpOptionsLen } from './tcp-options.js';

const SRC_PORT = 0;
const DST_PORT = 2;
const SEQ = 4;
const ACK = 8;
const DATA_OFF = 12;
const FLAGS = 13;
const WINDOW = 14;
const CHECKSUM = 16;
const URGENT = 18;
export const TCP_HEADER_LEN = 20;
const NO_PAYLOAD = Buffer.alloc(0);
const IPPROTO_TCP = 6;

/** Thin view over a TCP header at buf[0]; see the wire rule in ./index.ts. */
export class TcpView {
  private constructor(readonly buf: Buffer) {}

  /**
   * Checked constructor for untrusted bytes (`buf` is exactly the segment:
   * header, options, data). Returns a view or a drop reason.
   */
  static parse(buf: Buffer): TcpView | string {
    if (buf.length < TCP_HEADER_LEN) return 'truncated';
    const hl = (buf[DATA_OFF] >>> 4) * 4;
    if (hl < TCP_HEADER_LEN || hl > buf.length) return 'badDataOffset';
    return new TcpView(buf);
  }

  /** Unchecked: for emitting into a buffer already sized for the header. */
  static over(buf: Buffer): TcpView {
    return new TcpView(buf);
  }

  get srcPort(): number { return this.buf.readUInt16BE(SRC_PORT); }
  set srcPort(v: number) { this.buf.writeUInt16BE(v, SRC_PORT); }
  get dstPort(): number { return this.buf.readUInt16BE(DST_PORT); }
  set dstPort(v: number) { this.buf.writeUInt16BE(v, DST_PORT); }
  get seq(): number { return this.buf.readUInt32BE(SEQ); }
  set seq(v: number) { this.buf.writeUInt32BE(v >>> 0, SEQ); }
  get ack(): number { return this.buf.readUInt32BE(ACK); }
  set ack(v: number) { this.buf.writeUInt32BE(v >>> 0, ACK); }
  /** Header length in bytes (data offset × 4). */
  get headerLen(): number { return (this.buf[DATA_OFF] >>> 4) * 4; }
  set headerLen(v: number) { this.buf[DATA_OFF] = (v / 4) << 4; }
  get flags(): number { return this.buf[FLAGS]; }
  set flags(v: number) { this.buf[FLAGS] = v & 0xff; }
  get window(): number { return this.buf.readUInt16BE(WINDOW); }
  set window(v: number) { this.buf.writeUInt16BE(v & 0xffff, WINDOW); }
  get checksum(): number { return this.buf.readUInt16BE(CHECKSUM); }
  set checksum(v: number) { this.buf.writeUInt16BE(v, CHECKSUM); }
  get urgent(): number { return this.buf.readUInt16BE(URGENT); }
  set urgent(v: number) { this.buf.writeUInt16BE(v & 0xffff, URGENT); }
  get options(): Buffer { return this.buf.subarray(TCP_HEADER_LEN, this.headerLen); }
  get payload(): Buffer { return this.buf.subarray(this.headerLen); }

  /** True if the checksum over pseudo header + segment verifies (RFC 9293 §3.1). */
  verifyChecksum(src: number, dst: number): boolean {
    const len = this.buf.length;
    return finish(sumBytes(this.buf, 0, len, pseudoHeaderSum(src, dst, IPPROTO_TCP, len))) === 0;
  }
}

/**
 * Reusable objects for parseTcpSegment: a receiver that is done with each
 * Repr before it parses the next (TcpLayer on its connection path) saves the
 * Repr, options and timestamp objects per segment. Every options field is
 * present so the object keeps one shape.
 */
export interface TcpReprScratch {
  readonly repr: TcpRepr;
  readonly options: TcpOptionsRepr;
  readonly timestamp: { val: number; ecr: number };
}

export function newTcpReprScratch(): TcpReprScratch {
  const options: TcpOptionsRepr = { mss: undefined, wscale: undefined, sackPermitted: undefined, sack: undefined, timestamp: undefined };
  const repr: TcpRepr = { srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 0, urgent: 0, options, payload: Buffer.alloc(0) };
  return { repr, options, timestamp: { val: 0, ecr: 0 } };
}

/** A Repr of one's own from a scratch one: options copied, no undefined fields. */
export function detachTcpRepr(r: TcpRepr): TcpRepr {
  const o = r.options;
  const options: TcpOptionsRepr = {};
  if (o.mss !== undefined) options.mss = o.mss;
  if (o.wscale !== undefined) options.wscale = o.wscale;
  if (o.sackPermitted !== undefined) options.sackPermitted = o.sackPermitted;
  if (o.sack !== undefined) options.sack = o.sack;
  if (o.timestamp !== undefined) options.timestamp = { val: o.timestamp.val, ecr: o.timestamp.ecr };
  return { srcPort: r.srcPort, dstPort: r.dstPort, seq: r.seq, ack: r.ack, flags: r.flags, window: r.window, urgent: r.urgent, options, payload: r.payload };
}

/**
 * Parse and verify a received segment (`buf` = the IP payload) into a Repr,
 * or return a drop reason: 'truncated', 'badDataOffset', 'badChecksum',
 * 'badOptionLength', 'badFlags'. SYN together with FIN or RST is refused here
 * as Linux refuses it (it drops SYN+FIN in LISTEN and SYN+RST everywhere);
 * every other combination is left to the RFC 9293 §3.10.7 processing.
 * With `scratch` the Repr returned is scratch.repr, valid until the next parse.
 */
export function parseTcpSegment(buf: Buffer, src: number, dst: number, checksumVerified = false, scratch?: TcpReprScratch): TcpRepr | string {
  // The checks of TcpView.parse, read straight from `buf`: no view object per segment.
  const len = buf.length;
  if (len < TCP_HEADER_LEN) return 'truncated';
  const hl = (buf[DATA_OFF] >>> 4) * 4;
  if (hl < TCP_HEADER_LEN || hl > len) return 'badDataOffset';
  // The link vouches for it (virtio NEEDS_CSUM/DATA_VALID, link.ts RxMeta).
  if (!checksumVerified && finish(sumBytes(buf, 0, len, pseudoHeaderSum(src, dst, IPPROTO_TCP, len))) !== 0) return 'badChecksum';
  const flags = buf[FLAGS];
  if ((flags & TCP_SYN) !== 0 && (flags & (TCP_FIN | TCP_RST)) !== 0) return 'badFlags';
  let options: TcpOptionsRepr;
  if (scratch) {
    options = scratch.options;
    options.mss = options.wscale = undefined;
    options.sackPermitted = undefined;
    options.sack = undefined;
    options.timestamp = undefined;
  } else {
    options = {};
  }
  if (hl > TCP_HEADER_LEN) {
    const bad = parseTcpOptions(buf, TCP_HEADER_LEN, hl, options, scratch?.timestamp);
    if (bad !== null) return bad;
  }
  // Pure ACKs share one empty Buffer: no view object for zero bytes.
  const payload = hl === len ? NO_PAYLOAD : buf.subarray(hl);
  if (!scratch) {
    return {
      srcPort: buf.readUInt16BE(SRC_PORT),
      dstPort: buf.readUInt16BE(DST_PORT),
      seq: buf.readUInt32BE(SEQ),
      ack: buf.readUInt32BE(ACK),
      flags,
      window: buf.readUInt16BE(WINDOW),
      urgent: buf.readUInt16BE(URGENT),
      options,
      payload,
    };
  }
  const r = scratch.repr;
  r.srcPort = buf.readUInt16BE(SRC_PORT);
  r.dstPort = buf.readUInt16BE(DST_PORT);
  r.seq = buf.readUInt32BE(SEQ);
  r.ack = buf.readUInt32BE(ACK);
  r.flags = flags;
  r.window = buf.readUInt16BE(WINDOW);
  r.urgent = buf.readUInt16BE(URGENT);
  r.options = options;
  r.payload = payload;
  return r;
}

/** Big-endian stores without Buffer's per-call argument checks (values are masked). */
function put16(buf: Uint8Array, at: number, v: number): void {
  buf[at] = (v >>> 8) & 0xff;
  buf[at + 1] = v & 0xff;
}
function put32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 24;
  buf[at + 1] = (v >>> 16) & 0xff;
  buf[at + 2] = (v >>> 8) & 0xff;
  buf[at + 3] = v & 0xff;
}

/** Header length (with options) that emitTcpSegment will write for `repr`. */
export function tcpHeaderLen(repr: TcpRepr): number {
  return TCP_HEADER_LEN + tcpOptionsLen(repr.options);
}

/**
 * Write header, options and payload at buf[off] and fill in the checksum with
 * the pseudo header for src→dst. `buf` must have room for
 * tcpHeaderLen(repr) + repr.payload.length bytes from `off`. Returns the
 * segment length. `partialChecksum`: write only the folded pseudo-header sum
 * over the whole length, for the device to finish (checksum offload: Linux
 * __tcp_v4_send_check with CHECKSUM_PARTIAL, virtio NEEDS_CSUM).
 */
export function emitTcpSegment(repr: TcpRepr, buf: Buffer, off: number, src: number, dst: number, partialChecksum = false): number {
  // Written at buf[off] directly: no subarray and no view per segment.
  const hl = tcpHeaderLen(repr);
  const len = hl + repr.payload.length;
  // Plain byte stores: Buffer#writeUInt16BE/32BE validate their arguments on
  // every call, a measurable share of emit on the send path (bench:tcp profile).
  put16(buf, off + SRC_PORT, repr.srcPort);
  put16(buf, off + DST_PORT, repr.dstPort);
  put32(buf, off + SEQ, repr.seq);
  put32(buf, off + ACK, repr.ack);
  buf[off + DATA_OFF] = (hl / 4) << 4;
  buf[off + FLAGS] = repr.flags & 0xff;
  put16(buf, off + WINDOW, repr.window);
  put16(buf, off + CHECKSUM, 0);
  put16(buf, off + URGENT, repr.urgent);
  emitTcpOptions(repr.options, buf, off + TCP_HEADER_LEN);
  const payload = repr.payload;
  if (payload.length > 0) buf.set(payload, off + hl);
  const pseudo = pseudoHeaderSum(src, dst, IPPROTO_TCP, len);
  put16(buf, off + CHECKSUM, partialChecksum ? fold(pseudo) : finish(sumBytes(buf, off, len, pseudo)));
  return len;
}
