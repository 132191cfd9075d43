/**
 * The addon's send-side C code against golden bytes and against the JS
 * reference it replaces: the partial-checksum completion the no-offload path
 * uses (native/checksum.h, Linux skb_checksum_help) and the software GSO
 * that cuts a super-packet for a plain TUN (native/soft-gso.h, the rules of
 * src/link/gso.ts segmentTcp4 and Linux tcp_gso_segment).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadAddon } from '../../src/link/native.js';
import { completeChecksum, segmentTcp4 } from '../../src/link/gso.js';
import { emitIpv4Header } from '../../src/wire/ipv4.js';
import { TCP_ACK, TCP_CWR, TCP_FIN, TCP_PSH, emitTcpSegment, type TcpRepr } from '../../src/wire/tcp.js';

const addon = loadAddon();
const SRC = 0x0a000001;
const DST = 0x0a000002;

function tcpPacket(payload: Buffer, flags: number, partial: boolean, seq = 0x01020304): Buffer {
  const repr: TcpRepr = {
    srcPort: 5001, dstPort: 40000, seq, ack: 0x0a0b0c0d, flags, window: 502, urgent: 0,
    options: { timestamp: { val: 0x11223344, ecr: 0x55667788 } }, payload,
  };
  const p = Buffer.alloc(20 + 32 + payload.length);
  emitTcpSegment(repr, p, 20, SRC, DST, partial);
  emitIpv4Header(p, SRC, DST, 6, 64, 0x1234, p.length - 20, true);
  return p;
}

describe('finishChecksum (native/checksum.h)', () => {
  it('golden: completes a partial TCP checksum to the bytes Linux computes', () => {
    const p = tcpPacket(Buffer.from('hello, tunstack'), TCP_ACK | TCP_PSH, true);
    expect(p.readUInt16BE(36)).toBe(0x1438); // folded pseudo-header sum (10.0.0.1 → 10.0.0.2, TCP, 47 bytes)
    expect(addon.finishChecksum(p, 20, 16)).toBe(true);
    // Golden from an independent implementation: scapy's raw(IP()/TCP()/payload) for the same fields.
    expect(p.readUInt16BE(36)).toBe(0x6bb8);
    expect(p.equals(tcpPacket(Buffer.from('hello, tunstack'), TCP_ACK | TCP_PSH, false))).toBe(true);
  });

  it('matches the JS checksum for any payload length and alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 0, max: 7 }), (bytes, shift) => {
        const p = tcpPacket(Buffer.from(bytes), TCP_ACK, true);
        // Misaligned copy: the C sum must not care where the packet sits.
        const at = Buffer.alloc(p.length + shift).subarray(shift);
        p.copy(at);
        const ref = Buffer.from(p);
        completeChecksum(ref);
        expect(addon.finishChecksum(at, 20, 16)).toBe(true);
        expect(at.equals(ref)).toBe(true);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('UDP: a computed zero goes out as 0xffff (RFC 768); offsets past the end are refused', () => {
    // Words 0x0000 + 0xfff7 + 0x0008 + 0x0000 sum to 0xffff: the computed checksum is zero.
    const u = Buffer.from([0x00, 0x00, 0xff, 0xf7, 0x00, 0x08, 0x00, 0x00]);
    expect(addon.finishChecksum(u, 0, 6)).toBe(true);
    expect(u.readUInt16BE(6)).toBe(0xffff);
    expect(addon.finishChecksum(Buffer.alloc(30), 20, 16)).toBe(false);
    expect(addon.finishChecksum(Buffer.alloc(30), 40, 0)).toBe(false);
  });
});

describe('softGsoTcp4 (native/soft-gso.h)', () => {
  it('golden: cuts 3 × 1448 + 500 bytes into 4 segments; FIN/PSH last, CWR first, ident +1 each', () => {
    const payload = Buffer.from(Array.from({ length: 1448 * 3 + 500 }, (_, i) => (i * 13) & 0xff));
    const sp = tcpPacket(payload, TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR, true, 0xfffffa00);
    const segs = addon.softGsoTcp4(sp, 1448)!;
    expect(segs.map((s) => s.length)).toEqual([1500, 1500, 1500, 552]);
    // Golden headers of the second segment from scapy (raw(IP(id=0x1235, flags=DF)/TCP(seq=0xfffffa00 + 1448,
    // flags=A, TS option)/payload[1448:2896])): total length 1500, ident +1, IP checksum 0x0ee5; TCP checksum 0xebe3.
    expect(segs[1].subarray(0, 52).toString('hex')).toBe(
      '450005dc1235400040060ee50a0000010a00000213899c40ffffffa80a0b0c0d801001f6ebe300000101080a1122334455667788',
    );
    expect(segs.map((s) => s[33])).toEqual([TCP_ACK | TCP_CWR, TCP_ACK, TCP_ACK, TCP_ACK | TCP_PSH | TCP_FIN]);
    expect(segs[3].readUInt32BE(24)).toBe((0xfffffa00 + 3 * 1448) >>> 0); // wrapped
  });

  it('byte for byte what the JS reference (segmentTcp4) produces', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9000 }),
        fc.integer({ min: 48, max: 1460 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.constantFrom(TCP_ACK, TCP_ACK | TCP_PSH, TCP_ACK | TCP_FIN | TCP_PSH | TCP_CWR),
        (len, mss, seq, flags) => {
          const payload = Buffer.from(Array.from({ length: len }, (_, i) => (i * 31 + len) & 0xff));
          const sp = tcpPacket(payload, flags, true, seq);
          const c = addon.softGsoTcp4(Buffer.from(sp), mss)!;
          const js = len <= mss ? [(() => { const b = Buffer.from(sp); completeChecksum(b); return b; })()] : segmentTcp4(Buffer.from(sp), mss);
          expect(c.length).toBe(js.length);
          for (let i = 0; i < c.length; i++) expect(c[i].equals(js[i]), `segment ${i}`).toBe(true);
        },
      ),
      { seed: 11, numRuns: 200 },
    );
  });

  it('refuses what is not TCP/IPv4 with sane header lengths', () => {
    const sp = tcpPacket(Buffer.alloc(3000), TCP_ACK, true);
    const udp = Buffer.from(sp);
    udp[9] = 17;
    expect(addon.softGsoTcp4(udp, 1448)).toBeNull();
    const badIhl = Buffer.from(sp);
    badIhl[0] = 0x43;
    expect(addon.softGsoTcp4(badIhl, 1448)).toBeNull();
    expect(addon.softGsoTcp4(sp.subarray(0, 30), 1448)).toBeNull();
    expect(addon.softGsoTcp4(sp, 0)).toBeNull();
  });
});
