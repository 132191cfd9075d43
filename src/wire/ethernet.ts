/**
 * Ethernet II header (IEEE 802.3 / RFC 894 framing of IP). View + Repr per
 * the rule in ./index.ts.
 *
 * MAC addresses are carried as numbers (48 bits fit exactly in a double), as
 * IPv4 addresses are: comparing and hashing them allocates nothing, and a
 * view reads one with a single readUIntBE.
 */

export type MacAddress = number;

const DST = 0;
const SRC = 6;
const ETHERTYPE = 12;
export const ETHERNET_HEADER_LEN = 14;
/** Smallest frame on the wire without FCS; shorter payloads are padded (IEEE 802.3 §3.2.8). */
export const ETHERNET_MIN_FRAME = 60;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
/** Values below this are 802.3 length fields, not EtherTypes (IEEE 802.3 §3.2.6). */
const ETHERTYPE_MIN = 0x0600;

export const MAC_BROADCAST: MacAddress = 0xffff_ffff_ffff;
export const MAC_ZERO: MacAddress = 0;

const TWO_40 = 2 ** 40;

/** Group (multicast or broadcast) bit: least significant bit of the first octet. */
export function isMulticastMac(mac: MacAddress): boolean {
  return (Math.floor(mac / TWO_40) & 1) === 1;
}

export function isLocallyAdministeredMac(mac: MacAddress): boolean {
  return (Math.floor(mac / TWO_40) & 2) === 2;
}

export function formatMac(mac: MacAddress): string {
  return mac.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:');
}

/** Parse "aa:bb:cc:dd:ee:ff" (or '-' separated); undefined for anything else. */
export function parseMac(text: string): MacAddress | undefined {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(text);
  if (!m) return undefined;
  return parseInt(m.slice(1).join(''), 16);
}

export function readMac(buf: Buffer, off: number): MacAddress {
  return buf.readUIntBE(off, 6);
}

export function writeMac(buf: Buffer, off: number, mac: MacAddress): void {
  buf.writeUIntBE(mac, off, 6);
}

/** Thin view over an Ethernet II frame at buf[0]; see the wire rule in ./index.ts. */
export class EthernetFrame {
  private constructor(readonly buf: Buffer) {}

  /** Checked constructor for untrusted bytes; returns a view or the drop reason 'truncated'. */
  static parse(buf: Buffer): EthernetFrame | 'truncated' {
    if (buf.length < ETHERNET_HEADER_LEN) return 'truncated';
    return new EthernetFrame(buf);
  }

  /** Unchecked: for emitting into a buffer of at least ETHERNET_HEADER_LEN bytes. */
  static over(buf: Buffer): EthernetFrame {
    return new EthernetFrame(buf);
  }

  get dst(): MacAddress { return this.buf.readUIntBE(DST, 6); }
  set dst(v: MacAddress) { this.buf.writeUIntBE(v, DST, 6); }
  get src(): MacAddress { return this.buf.readUIntBE(SRC, 6); }
  set src(v: MacAddress) { this.buf.writeUIntBE(v, SRC, 6); }
  get etherType(): number { return this.buf.readUInt16BE(ETHERTYPE); }
  set etherType(v: number) { this.buf.writeUInt16BE(v, ETHERTYPE); }
  /** Everything after the header, including any 802.3 padding (upper layers trim by their own length). */
  get payload(): Buffer { return this.buf.subarray(ETHERNET_HEADER_LEN); }
}

export interface EthernetRepr {
  dst: MacAddress;
  src: MacAddress;
  etherType: number;
}

export type EthernetDrop = 'truncated' | 'notEthernetII';

/**
 * Parse a received frame header, or return a drop reason. 802.3 frames with
 * a length field (LLC/SNAP) carry nothing we speak, so they are refused here.
 */
export function parseEthernet(buf: Buffer): EthernetRepr | EthernetDrop {
  const f = EthernetFrame.parse(buf);
  if (typeof f === 'string') return f;
  const etherType = f.etherType;
  if (etherType < ETHERTYPE_MIN) return 'notEthernetII';
  return { dst: f.dst, src: f.src, etherType };
}

export function ethernetHeaderLen(): number {
  return ETHERNET_HEADER_LEN;
}

/** Write the header at buf[off]; the payload follows at off + ETHERNET_HEADER_LEN. */
export function emitEthernet(repr: EthernetRepr, buf: Buffer, off = 0): void {
  buf.writeUIntBE(repr.dst, off + DST, 6);
  buf.writeUIntBE(repr.src, off + SRC, 6);
  buf.writeUInt16BE(repr.etherType, off + ETHERTYPE);
}
