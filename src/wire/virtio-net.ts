/**
 * struct virtio_net_hdr (virtio spec 1.2 §5.1.6, Linux
 * include/uapi/linux/virtio_net.h): the 10-byte prefix a TUN/TAP device
 * opened with IFF_VNET_HDR puts before every packet in both directions. It
 * carries the offload metadata: whether the transport checksum is partial
 * (NEEDS_CSUM, with where to finish it) or already verified (DATA_VALID), and
 * for a GSO super-packet the segmentation type and segment size.
 *
 * Byte order: the fields are `__virtio16`, which for TUN is the host's order
 * unless TUNSETVNETBE is used (Linux tun_is_little_endian); we never set it,
 * and only run on little-endian hosts (x86-64, arm64), so they are read and
 * written little-endian here.
 *
 * View + Repr per the rule in ./index.ts.
 */

export const VNET_HDR_LEN = 10;

/** flags */
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;

/** gso_type */
export const VIRTIO_NET_HDR_GSO_NONE = 0;
export const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
export const VIRTIO_NET_HDR_GSO_UDP = 3;
export const VIRTIO_NET_HDR_GSO_TCPV6 = 4;
export const VIRTIO_NET_HDR_GSO_UDP_L4 = 5;
export const VIRTIO_NET_HDR_GSO_ECN = 0x80;

const FLAGS = 0;
const GSO_TYPE = 1;
const HDR_LEN = 2;
const GSO_SIZE = 4;
const CSUM_START = 6;
const CSUM_OFFSET = 8;

export interface VirtioNetHdrRepr {
  flags: number;
  gsoType: number;
  /** Bytes of headers (link + IP + transport) in front of the GSO payload. */
  hdrLen: number;
  /** Payload bytes per segment the super-packet stands for (0 without GSO). */
  gsoSize: number;
  /** Where checksumming starts (the transport header) for NEEDS_CSUM. */
  csumStart: number;
  /** Offset of the checksum field from csumStart (TCP 16, UDP 6). */
  csumOffset: number;
}

/** Thin view over a virtio_net_hdr at buf[off]. */
export class VirtioNetHdrView {
  private constructor(readonly buf: Buffer, readonly off: number) {}

  static parse(buf: Buffer, off = 0): VirtioNetHdrView | 'truncated' {
    if (off < 0 || buf.length - off < VNET_HDR_LEN) return 'truncated';
    return new VirtioNetHdrView(buf, off);
  }

  static over(buf: Buffer, off = 0): VirtioNetHdrView {
    return new VirtioNetHdrView(buf, off);
  }

  get flags(): number { return this.buf[this.off + FLAGS]; }
  get gsoType(): number { return this.buf[this.off + GSO_TYPE]; }
  get hdrLen(): number { return this.buf.readUInt16LE(this.off + HDR_LEN); }
  get gsoSize(): number { return this.buf.readUInt16LE(this.off + GSO_SIZE); }
  get csumStart(): number { return this.buf.readUInt16LE(this.off + CSUM_START); }
  get csumOffset(): number { return this.buf.readUInt16LE(this.off + CSUM_OFFSET); }
}

/**
 * Parse a header into a Repr; 'truncated' if fewer than 10 bytes remain,
 * 'badGsoType' for a type we do not know, 'badCsumStart' for a NEEDS_CSUM
 * header whose checksum field would lie outside the packet (the kernel
 * checks the same in virtio_net_hdr_to_skb).
 */
export function parseVirtioNetHdr(buf: Buffer, off = 0): VirtioNetHdrRepr | 'truncated' | 'badGsoType' | 'badCsumStart' {
  const v = VirtioNetHdrView.parse(buf, off);
  if (typeof v === 'string') return v;
  const gsoType = v.gsoType;
  const base = gsoType & ~VIRTIO_NET_HDR_GSO_ECN;
  if (
    base !== VIRTIO_NET_HDR_GSO_NONE &&
    base !== VIRTIO_NET_HDR_GSO_TCPV4 &&
    base !== VIRTIO_NET_HDR_GSO_TCPV6 &&
    base !== VIRTIO_NET_HDR_GSO_UDP &&
    base !== VIRTIO_NET_HDR_GSO_UDP_L4
  ) {
    return 'badGsoType';
  }
  const r: VirtioNetHdrRepr = {
    flags: v.flags,
    gsoType,
    hdrLen: v.hdrLen,
    gsoSize: v.gsoSize,
    csumStart: v.csumStart,
    csumOffset: v.csumOffset,
  };
  if (r.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM && off + VNET_HDR_LEN + r.csumStart + r.csumOffset + 2 > buf.length) {
    return 'badCsumStart';
  }
  return r;
}

/** Write `h` at buf[off, off+10). */
export function emitVirtioNetHdr(h: VirtioNetHdrRepr, buf: Uint8Array, off = 0): void {
  writeVirtioNetHdr(buf, off, h.flags, h.gsoType, h.hdrLen, h.gsoSize, h.csumStart, h.csumOffset);
}

/** The same as emitVirtioNetHdr without a Repr object (the per-packet send path). */
export function writeVirtioNetHdr(
  buf: Uint8Array,
  off: number,
  flags: number,
  gsoType: number,
  hdrLen: number,
  gsoSize: number,
  csumStart: number,
  csumOffset: number,
): void {
  buf[off + FLAGS] = flags;
  buf[off + GSO_TYPE] = gsoType;
  buf[off + HDR_LEN] = hdrLen & 0xff;
  buf[off + HDR_LEN + 1] = hdrLen >>> 8;
  buf[off + GSO_SIZE] = gsoSize & 0xff;
  buf[off + GSO_SIZE + 1] = gsoSize >>> 8;
  buf[off + CSUM_START] = csumStart & 0xff;
  buf[off + CSUM_START + 1] = csumStart >>> 8;
  buf[off + CSUM_OFFSET] = csumOffset & 0xff;
  buf[off + CSUM_OFFSET + 1] = csumOffset >>> 8;
}

/**
 * The header for an outgoing IPv4 datagram whose transport checksum is
 * partial (`csumPartial`: the field holds the folded pseudo-header sum, as
 * Linux's CHECKSUM_PARTIAL), cut by the kernel into `gsoSize`-byte TCP
 * segments when `gsoSize` > 0 and the payload is larger (Linux
 * virtio_net_hdr_from_skb). `packet` starts at its IPv4 header.
 */
export function writeVnetHdrForIpv4(out: Uint8Array, off: number, packet: Uint8Array, gsoSize: number, csumPartial: boolean): void {
  if (!csumPartial || packet.length < 20) {
    writeVirtioNetHdr(out, off, 0, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 0, 0);
    return;
  }
  const ihl = (packet[0] & 0x0f) * 4;
  const protocol = packet[9];
  const csumOffset = protocol === 6 ? 16 : 6;
  if (protocol !== 6 || gsoSize === 0 || packet.length < ihl + 20) {
    writeVirtioNetHdr(out, off, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 0, 0, ihl, csumOffset);
    return;
  }
  const thl = (packet[ihl + 12] >>> 4) * 4;
  const payload = packet.length - ihl - thl;
  const gsoType = payload > gsoSize ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_NONE;
  writeVirtioNetHdr(
    out,
    off,
    VIRTIO_NET_HDR_F_NEEDS_CSUM,
    gsoType,
    ihl + thl,
    gsoType === VIRTIO_NET_HDR_GSO_NONE ? 0 : gsoSize,
    ihl,
    csumOffset,
  );
}
