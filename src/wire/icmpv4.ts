/**
 * ICMPv4 messages (RFC 792). View + Repr per the rule in ./index.ts.
 *
 * Every message starts with type, code, checksum and a 4-byte "rest of
 * header" whose meaning depends on the type (ident/seq for echo, unused or
 * next-hop MTU for destination unreachable, RFC 1191 §4). The checksum covers
 * the whole ICMP message (RFC 792, "Checksum").
 */
import { checksum } from './checksum.js';

const TYPE = 0;
const CODE = 1;
const CHECKSUM = 2;
const IDENT = 4;
const SEQ = 6;
const REST = 4;
export const ICMPV4_HEADER_LEN = 8;

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;

/** Destination unreachable codes (RFC 792). */
export const ICMP_UNREACH_NET = 0;
export const ICMP_UNREACH_HOST = 1;
export const ICMP_UNREACH_PROTOCOL = 2;
export const ICMP_UNREACH_PORT = 3;
export const ICMP_UNREACH_FRAG_NEEDED = 4;
/** Time exceeded codes (RFC 792). */
export const ICMP_EXC_TTL = 0;
export const ICMP_EXC_FRAGTIME = 1;

export type Icmpv4DropReason = 'truncated' | 'badChecksum';

/** Error types: messages about other datagrams, never answered with an error (RFC 1122 §3.2.2). */
export function isIcmpError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

export class Icmpv4Packet {
  private constructor(readonly buf: Buffer) {}

  /** Checked constructor: at least the 8-byte header and a valid checksum over the whole message. */
  static parse(buf: Buffer): Icmpv4Packet | Icmpv4DropReason {
    if (buf.length < ICMPV4_HEADER_LEN) return 'truncated';
    if (checksum(buf, 0, buf.length) !== 0) return 'badChecksum';
    return new Icmpv4Packet(buf);
  }

  /** Unchecked view for emitting into a buffer sized by Icmpv4Repr.bufferLen. */
  static over(buf: Buffer): Icmpv4Packet {
    return new Icmpv4Packet(buf);
  }

  get type(): number {
    return this.buf[TYPE];
  }
  set type(v: number) {
    this.buf[TYPE] = v;
  }
  get code(): number {
    return this.buf[CODE];
  }
  set code(v: number) {
    this.buf[CODE] = v;
  }
  get checksum(): number {
    return this.buf.readUInt16BE(CHECKSUM);
  }
  set checksum(v: number) {
    this.buf.writeUInt16BE(v, CHECKSUM);
  }
  /** Echo identifier (RFC 792 echo message). */
  get ident(): number {
    return this.buf.readUInt16BE(IDENT);
  }
  set ident(v: number) {
    this.buf.writeUInt16BE(v, IDENT);
  }
  get seq(): number {
    return this.buf.readUInt16BE(SEQ);
  }
  set seq(v: number) {
    this.buf.writeUInt16BE(v, SEQ);
  }
  /** The type-specific 32-bit word after the checksum. */
  get rest(): number {
    return this.buf.readUInt32BE(REST);
  }
  set rest(v: number) {
    this.buf.writeUInt32BE(v >>> 0, REST);
  }
  /** Echo data, or the quoted datagram for error messages. */
  get data(): Buffer {
    return this.buf.subarray(ICMPV4_HEADER_LEN);
  }
  fillChecksum(): void {
    this.buf.writeUInt16BE(0, CHECKSUM);
    this.buf.writeUInt16BE(checksum(this.buf, 0, this.buf.length), CHECKSUM);
  }
}

export type Icmpv4Repr =
  | { kind: 'echoRequest' | 'echoReply'; ident: number; seq: number; data: Buffer }
  /** `data` quotes the offending datagram: its IP header and at least 8 payload bytes (RFC 792). */
  | { kind: 'destUnreachable'; code: number; nextHopMtu: number; data: Buffer }
  | { kind: 'timeExceeded'; code: number; data: Buffer }
  /** Any other type, kept opaque so it can be counted and ignored. */
  | { kind: 'other'; type: number; code: number; rest: number; data: Buffer };

function typeOf(r: Icmpv4Repr): number {
  switch (r.kind) {
    case 'echoRequest':
      return ICMP_ECHO_REQUEST;
    case 'echoReply':
      return ICMP_ECHO_REPLY;
    case 'destUnreachable':
      return ICMP_DEST_UNREACHABLE;
    case 'timeExceeded':
      return ICMP_TIME_EXCEEDED;
    case 'other':
      return r.type;
  }
}

export const Icmpv4Repr = {
  parse(p: Icmpv4Packet): Icmpv4Repr {
    const data = p.data;
    switch (p.type) {
      case ICMP_ECHO_REQUEST:
        return { kind: 'echoRequest', ident: p.ident, seq: p.seq, data };
      case ICMP_ECHO_REPLY:
        return { kind: 'echoReply', ident: p.ident, seq: p.seq, data };
      case ICMP_DEST_UNREACHABLE:
        // Next-hop MTU lives in the low 16 bits for code 4 (RFC 1191 §4); zero otherwise.
        return { kind: 'destUnreachable', code: p.code, nextHopMtu: p.code === ICMP_UNREACH_FRAG_NEEDED ? p.seq : 0, data };
      case ICMP_TIME_EXCEEDED:
        return { kind: 'timeExceeded', code: p.code, data };
      default:
        return { kind: 'other', type: p.type, code: p.code, rest: p.rest, data };
    }
  },

  bufferLen(r: Icmpv4Repr): number {
    return ICMPV4_HEADER_LEN + r.data.length;
  },

  /** Write the message into buf[0, bufferLen) and fill the checksum. */
  emit(r: Icmpv4Repr, buf: Buffer): void {
    const p = Icmpv4Packet.over(buf);
    p.type = typeOf(r);
    switch (r.kind) {
      case 'echoRequest':
      case 'echoReply':
        p.code = 0;
        p.ident = r.ident;
        p.seq = r.seq;
        break;
      case 'destUnreachable':
        p.code = r.code;
        p.rest = r.nextHopMtu & 0xffff;
        break;
      case 'timeExceeded':
        p.code = r.code;
        p.rest = 0;
        break;
      case 'other':
        p.code = r.code;
        p.rest = r.rest;
        break;
    }
    r.data.copy(buf, ICMPV4_HEADER_LEN);
    Icmpv4Packet.over(buf.subarray(0, ICMPV4_HEADER_LEN + r.data.length)).fillChecksum();
  },
};
