/**
 * The runner's own IPv4/TCP/UDP/ICMP codec. It deliberately does not reuse
 * src/wire: a conformance checker that decoded packets with the code under
 * test would pass a bug that is symmetric in encoder and decoder. Only the
 * checksum primitive is shared (it has its own golden tests).
 */
import { checksum, finish, pseudoHeaderSum, sumBytes } from '../wire/checksum.js';

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

/** One raw TCP option in wire order (RFC 9293 §3.2): kind, and the data bytes after kind/length. */
export interface RawOption {
  kind: number;
  data: Buffer;
}

export const OPT_EOL = 0;
export const OPT_NOP = 1;
export const OPT_MSS = 2;
export const OPT_WSCALE = 3;
export const OPT_SACK_OK = 4;
export const OPT_SACK = 5;
export const OPT_TS = 8;

export interface DecodedTcp {
  src: number;
  dst: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  urgent: number;
  options: RawOption[];
  payload: Buffer;
}

export interface DecodedDatagram {
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  /** The IP ECN field (RFC 3168 §5), the low two bits of the TOS byte. */
  ecn: number;
  /** Transport bytes (after the IP header, bounded by total length). */
  payload: Buffer;
  tcp?: DecodedTcp;
  /** Set when a TCP segment's checksum or layout is wrong: the comparator reports it. */
  error?: string;
}

/** Decode an outbound IPv4 datagram; never throws. */
export function decodeDatagram(buf: Buffer): DecodedDatagram | string {
  if (buf.length < 20) return 'datagram shorter than an IPv4 header';
  if (buf[0] >> 4 !== 4) return `IP version ${buf[0] >> 4}`;
  const ihl = (buf[0] & 15) * 4;
  const total = buf.readUInt16BE(2);
  if (ihl < 20 || total < ihl || total > buf.length) return `bad IPv4 lengths ihl=${ihl} total=${total} have=${buf.length}`;
  if (checksum(buf, 0, ihl) !== 0) return 'bad IPv4 header checksum';
  const d: DecodedDatagram = {
    src: buf.readUInt32BE(12),
    dst: buf.readUInt32BE(16),
    protocol: buf[9],
    ttl: buf[8],
    ecn: buf[1] & 3,
    payload: buf.subarray(ihl, total),
  };
  if (d.protocol === PROTO_TCP) {
    const t = decodeTcp(d.payload, d.src, d.dst);
    if (typeof t === 'string') d.error = t;
    else d.tcp = t;
  }
  return d;
}

function decodeTcp(seg: Buffer, src: number, dst: number): DecodedTcp | string {
  if (seg.length < 20) return 'TCP segment shorter than its header';
  const off = (seg[12] >> 4) * 4;
  if (off < 20 || off > seg.length) return `bad TCP data offset ${off}`;
  const sum = finish(sumBytes(seg, 0, seg.length, pseudoHeaderSum(src, dst, PROTO_TCP, seg.length)));
  if (sum !== 0) return 'bad TCP checksum';
  const options = decodeOptions(seg.subarray(20, off));
  if (typeof options === 'string') return options;
  return {
    src,
    dst,
    srcPort: seg.readUInt16BE(0),
    dstPort: seg.readUInt16BE(2),
    seq: seg.readUInt32BE(4),
    ack: seg.readUInt32BE(8),
    flags: seg[13],
    window: seg.readUInt16BE(14),
    urgent: seg.readUInt16BE(18),
    options,
    payload: seg.subarray(off),
  };
}

/** Raw option list in order; EOL ends the list (trailing padding is not reported). */
export function decodeOptions(b: Buffer): RawOption[] | string {
  const out: RawOption[] = [];
  let i = 0;
  while (i < b.length) {
    const kind = b[i];
    if (kind === OPT_EOL) {
      out.push({ kind, data: Buffer.alloc(0) });
      break;
    }
    if (kind === OPT_NOP) {
      out.push({ kind, data: Buffer.alloc(0) });
      i++;
      continue;
    }
    if (i + 1 >= b.length) return `TCP option ${kind} truncated`;
    const len = b[i + 1];
    if (len < 2 || i + len > b.length) return `TCP option ${kind} has bad length ${len}`;
    out.push({ kind, data: b.subarray(i + 2, i + len) });
    i += len;
  }
  return out;
}

export function encodeOptions(opts: RawOption[]): Buffer {
  const parts: Buffer[] = [];
  for (const o of opts) {
    if (o.kind === OPT_EOL || o.kind === OPT_NOP) parts.push(Buffer.from([o.kind]));
    else parts.push(Buffer.concat([Buffer.from([o.kind, o.data.length + 2]), o.data]));
  }
  const raw = Buffer.concat(parts);
  // Pad with EOL (zeros) to a 32-bit boundary, as RFC 9293 §3.1 requires of the header.
  const padded = Buffer.alloc((raw.length + 3) & ~3);
  raw.copy(padded);
  return padded;
}

function ipv4Header(buf: Buffer, src: number, dst: number, protocol: number, ttl: number, id: number, ecn = 0): void {
  buf[0] = 0x45;
  buf[1] = ecn & 3;
  buf.writeUInt16BE(buf.length, 2);
  buf.writeUInt16BE(id & 0xffff, 4);
  buf.writeUInt16BE(0x4000, 6); // DF, as Linux sets on TCP (RFC 1191 PMTUD)
  buf[8] = ttl;
  buf[9] = protocol;
  buf.writeUInt16BE(0, 10);
  buf.writeUInt32BE(src >>> 0, 12);
  buf.writeUInt32BE(dst >>> 0, 16);
  buf.writeUInt16BE(checksum(buf, 0, 20), 10);
}

export interface TcpBuild {
  src: number;
  dst: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  urgent?: number;
  options: RawOption[];
  payload: Buffer;
  /** The IP ECN field (RFC 3168 §5); 0 Not-ECT. */
  ecn?: number;
}

/** Build a complete IPv4+TCP datagram with correct checksums. */
export function buildTcpDatagram(t: TcpBuild, id = 0): Buffer {
  const opts = encodeOptions(t.options);
  const tcpLen = 20 + opts.length + t.payload.length;
  const buf = Buffer.alloc(20 + tcpLen);
  ipv4Header(buf, t.src, t.dst, PROTO_TCP, 64, id, t.ecn);
  const s = buf.subarray(20);
  s.writeUInt16BE(t.srcPort, 0);
  s.writeUInt16BE(t.dstPort, 2);
  s.writeUInt32BE(t.seq >>> 0, 4);
  s.writeUInt32BE(t.ack >>> 0, 8);
  s[12] = ((20 + opts.length) / 4) << 4;
  s[13] = t.flags & 0xff;
  s.writeUInt16BE(t.window & 0xffff, 14);
  s.writeUInt16BE(t.urgent ?? 0, 18);
  opts.copy(s, 20);
  t.payload.copy(s, 20 + opts.length);
  s.writeUInt16BE(finish(sumBytes(s, 0, tcpLen, pseudoHeaderSum(t.src, t.dst, PROTO_TCP, tcpLen))), 16);
  return buf;
}

/** Build IPv4+UDP with `len` zero bytes of payload. */
export function buildUdpDatagram(src: number, dst: number, srcPort: number, dstPort: number, len: number): Buffer {
  const udpLen = 8 + len;
  const buf = Buffer.alloc(20 + udpLen);
  ipv4Header(buf, src, dst, PROTO_UDP, 64, 0);
  const u = buf.subarray(20);
  u.writeUInt16BE(srcPort, 0);
  u.writeUInt16BE(dstPort, 2);
  u.writeUInt16BE(udpLen, 4);
  const sum = finish(sumBytes(u, 0, udpLen, pseudoHeaderSum(src, dst, PROTO_UDP, udpLen)));
  u.writeUInt16BE(sum === 0 ? 0xffff : sum, 6);
  return buf;
}

/** Build IPv4+ICMP whose body quotes `quoted` (an IP header + 8 bytes, RFC 792). */
export function buildIcmpDatagram(src: number, dst: number, type: number, code: number, rest: number, quoted: Buffer): Buffer {
  const buf = Buffer.alloc(20 + 8 + quoted.length);
  ipv4Header(buf, src, dst, PROTO_ICMP, 64, 0);
  const m = buf.subarray(20);
  m[0] = type;
  m[1] = code;
  m.writeUInt32BE(rest >>> 0, 4);
  quoted.copy(m, 8);
  m.writeUInt16BE(checksum(m, 0, m.length), 2);
  return buf;
}
