/**
 * ARP for IPv4 over Ethernet (RFC 826). View + Repr per the rule in
 * ./index.ts. Only hardware type Ethernet (1) with protocol IPv4 (0x0800),
 * hlen 6 and plen 4 is accepted; anything else is a counted drop.
 */
import type { MacAddress } from './ethernet.js';

const HTYPE = 0;
const PTYPE = 2;
const HLEN = 4;
const PLEN = 5;
const OPER = 6;
const SHA = 8;
const SPA = 14;
const THA = 18;
const TPA = 24;
/** Length of an Ethernet/IPv4 ARP packet (RFC 826 "Packet format"). */
export const ARP_LEN = 28;
const ARP_FIXED_LEN = 8;

export const ARP_HTYPE_ETHERNET = 1;
export const ARP_PTYPE_IPV4 = 0x0800;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

export type ArpDrop = 'truncated' | 'unsupportedHardware' | 'unsupportedProtocol' | 'badAddressLength' | 'unknownOperation';

/** Thin view over an Ethernet/IPv4 ARP packet at buf[0]. */
export class ArpPacket {
  private constructor(readonly buf: Buffer) {}

  /**
   * Checked constructor: validates the fixed part first so that the address
   * lengths it declares are known before the addresses are read.
   */
  static parse(buf: Buffer): ArpPacket | Exclude<ArpDrop, 'unknownOperation'> {
    if (buf.length < ARP_FIXED_LEN) return 'truncated';
    if (buf.readUInt16BE(HTYPE) !== ARP_HTYPE_ETHERNET) return 'unsupportedHardware';
    if (buf.readUInt16BE(PTYPE) !== ARP_PTYPE_IPV4) return 'unsupportedProtocol';
    if (buf[HLEN] !== 6 || buf[PLEN] !== 4) return 'badAddressLength';
    if (buf.length < ARP_LEN) return 'truncated';
    return new ArpPacket(buf);
  }

  /** Unchecked: for emitting into a buffer of at least ARP_LEN bytes. */
  static over(buf: Buffer): ArpPacket {
    return new ArpPacket(buf);
  }

  get operation(): number { return this.buf.readUInt16BE(OPER); }
  set operation(v: number) { this.buf.writeUInt16BE(v, OPER); }
  get senderHw(): MacAddress { return this.buf.readUIntBE(SHA, 6); }
  set senderHw(v: MacAddress) { this.buf.writeUIntBE(v, SHA, 6); }
  get senderProto(): number { return this.buf.readUInt32BE(SPA); }
  set senderProto(v: number) { this.buf.writeUInt32BE(v >>> 0, SPA); }
  get targetHw(): MacAddress { return this.buf.readUIntBE(THA, 6); }
  set targetHw(v: MacAddress) { this.buf.writeUIntBE(v, THA, 6); }
  get targetProto(): number { return this.buf.readUInt32BE(TPA); }
  set targetProto(v: number) { this.buf.writeUInt32BE(v >>> 0, TPA); }
}

export interface ArpRepr {
  /** ARP_REQUEST or ARP_REPLY. */
  operation: number;
  senderHw: MacAddress;
  senderProto: number;
  targetHw: MacAddress;
  targetProto: number;
}

/** Parse an ARP packet (the Ethernet payload, padding allowed) or return a drop reason. */
export function parseArp(buf: Buffer): ArpRepr | ArpDrop {
  const p = ArpPacket.parse(buf);
  if (typeof p === 'string') return p;
  const operation = p.operation;
  if (operation !== ARP_REQUEST && operation !== ARP_REPLY) return 'unknownOperation';
  return {
    operation,
    senderHw: p.senderHw,
    senderProto: p.senderProto,
    targetHw: p.targetHw,
    targetProto: p.targetProto,
  };
}

export function arpLen(): number {
  return ARP_LEN;
}

/** Write the packet at buf[off] (ARP_LEN bytes). */
export function emitArp(repr: ArpRepr, buf: Buffer, off = 0): void {
  const p = ArpPacket.over(off === 0 ? buf : buf.subarray(off, off + ARP_LEN));
  p.buf.writeUInt16BE(ARP_HTYPE_ETHERNET, HTYPE);
  p.buf.writeUInt16BE(ARP_PTYPE_IPV4, PTYPE);
  p.buf[HLEN] = 6;
  p.buf[PLEN] = 4;
  p.operation = repr.operation;
  p.senderHw = repr.senderHw;
  p.senderProto = repr.senderProto;
  p.targetHw = repr.targetHw;
  p.targetProto = repr.targetProto;
}
