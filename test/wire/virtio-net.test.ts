/**
 * struct virtio_net_hdr golden bytes. Layout from the virtio spec 1.2
 * §5.1.6 and include/uapi/linux/virtio_net.h: u8 flags, u8 gso_type, then
 * hdr_len, gso_size, csum_start, csum_offset as 16-bit little-endian (TUN's
 * native order on x86-64/arm64). The TCPv4 GSO header is the one the kernel
 * hands a TUN reader for a TSO super-packet from a socket with timestamps
 * (IPv4 20 + TCP 32 header bytes, MSS 1448); test/linux/offload-linux.test.ts
 * checks the same fields on a live kernel.
 */
import { describe, expect, it } from 'vitest';
import {
  VIRTIO_NET_HDR_F_DATA_VALID,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_GSO_NONE,
  VIRTIO_NET_HDR_GSO_TCPV4,
  VIRTIO_NET_HDR_GSO_TCPV6,
  VNET_HDR_LEN,
  emitVirtioNetHdr,
  parseVirtioNetHdr,
  writeVnetHdrForIpv4,
  type VirtioNetHdrRepr,
} from '../../src/wire/virtio-net.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// GSO TCPv4, NEEDS_CSUM: hdr_len 52, gso_size 1448, csum_start 20, csum_offset 16.
const GSO_TCPV4 = hex('01 01 3400 a805 1400 1000');
// GSO TCPv6, NEEDS_CSUM: hdr_len 72 (40 + 32), gso_size 1428, csum_start 40, csum_offset 16.
const GSO_TCPV6 = hex('01 04 4800 9405 2800 1000');
// Not GSO, checksum already verified (a packet the kernel received and checked).
const DATA_VALID = hex('02 00 0000 0000 0000 0000');
// Not GSO, NEEDS_CSUM for UDP: csum_start 20, csum_offset 6.
const CSUM_UDP = hex('01 00 0000 0000 1400 0600');

const withRoom = (h: Buffer, n: number): Buffer => Buffer.concat([h, Buffer.alloc(n)]);

describe('virtio_net_hdr parse/emit (golden bytes)', () => {
  const cases: Array<[string, Buffer, VirtioNetHdrRepr]> = [
    ['GSO TCPv4 + NEEDS_CSUM', GSO_TCPV4, { flags: 1, gsoType: 1, hdrLen: 52, gsoSize: 1448, csumStart: 20, csumOffset: 16 }],
    ['GSO TCPv6 + NEEDS_CSUM', GSO_TCPV6, { flags: 1, gsoType: 4, hdrLen: 72, gsoSize: 1428, csumStart: 40, csumOffset: 16 }],
    ['DATA_VALID', DATA_VALID, { flags: 2, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 }],
    ['NEEDS_CSUM for UDP', CSUM_UDP, { flags: 1, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 20, csumOffset: 6 }],
  ];
  for (const [name, bytes, repr] of cases) {
    it(`${name}: parses to its fields and emits the same 10 bytes`, () => {
      expect(parseVirtioNetHdr(withRoom(bytes, 80))).toEqual(repr);
      const out = Buffer.alloc(VNET_HDR_LEN);
      emitVirtioNetHdr(repr, out);
      expect(out.equals(bytes)).toBe(true);
    });
  }

  it('constants match linux/virtio_net.h', () => {
    expect([VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_F_DATA_VALID]).toEqual([1, 2]);
    expect([VIRTIO_NET_HDR_GSO_NONE, VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_TCPV6]).toEqual([0, 1, 4]);
  });

  it('hostile headers are drop reasons, never throws', () => {
    expect(parseVirtioNetHdr(Buffer.alloc(9))).toBe('truncated');
    expect(parseVirtioNetHdr(hex('00 07 0000 0000 0000 0000'))).toBe('badGsoType');
    // NEEDS_CSUM pointing past the packet (the kernel refuses the same in virtio_net_hdr_to_skb).
    expect(parseVirtioNetHdr(withRoom(hex('01 00 0000 0000 ff00 1000'), 40))).toBe('badCsumStart');
  });
});

describe('writeVnetHdrForIpv4: the header we write for each outgoing datagram', () => {
  // IPv4 (20) + TCP with timestamps (32) + 3000 payload bytes, MSS 1448.
  function tcpPacket(payload: number): Buffer {
    const p = Buffer.alloc(52 + payload);
    p[0] = 0x45;
    p[9] = 6;
    p[20 + 12] = 8 << 4;
    return p;
  }
  it('a TCP super-packet: GSO TCPv4, NEEDS_CSUM, hdr_len = IP + TCP headers', () => {
    const out = Buffer.alloc(10);
    writeVnetHdrForIpv4(out, 0, tcpPacket(3000), 1448, true);
    expect(out.equals(GSO_TCPV4)).toBe(true);
  });
  it('one segment with a partial checksum: NEEDS_CSUM only', () => {
    const out = Buffer.alloc(10);
    writeVnetHdrForIpv4(out, 0, tcpPacket(1000), 1448, true);
    expect(parseVirtioNetHdr(withRoom(out, 60))).toMatchObject({ flags: 1, gsoType: 0, gsoSize: 0, csumStart: 20, csumOffset: 16 });
  });
  it('a full checksum (UDP, ICMP, offload off): all zero', () => {
    const out = Buffer.alloc(10, 0xee);
    writeVnetHdrForIpv4(out, 0, tcpPacket(3000), 1448, false);
    expect(out.equals(Buffer.alloc(10))).toBe(true);
  });
});
