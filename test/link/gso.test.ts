/**
 * Software GSO (src/link/gso.ts) against the rules of Linux tcp_gso_segment:
 * a super-packet with a partial checksum is cut into the MSS segments it
 * stands for, each a valid datagram on its own.
 */
import { describe, expect, it } from 'vitest';
import { completeChecksum, segmentTcp4 } from '../../src/link/gso.js';
import { Ipv4Packet, emitIpv4Header } from '../../src/wire/ipv4.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, emitTcpSegment, parseTcpSegment, type TcpRepr } from '../../src/wire/tcp.js';
import { fold, pseudoHeaderSum } from '../../src/wire/checksum.js';

const SRC = 0x0a000001;
const DST = 0x0a000002;

function superPacket(payload: Buffer, flags: number, partial: boolean): Buffer {
  const repr: TcpRepr = {
    srcPort: 9, dstPort: 40000, seq: 0xfffff000, ack: 77, flags, window: 512, urgent: 0,
    options: { timestamp: { val: 1, ecr: 2 } }, payload,
  };
  const p = Buffer.alloc(20 + 32 + payload.length);
  emitTcpSegment(repr, p, 20, SRC, DST, partial);
  emitIpv4Header(p, SRC, DST, 6, 64, 0x1234, p.length - 20, true);
  return p;
}

describe('partial checksums (CHECKSUM_PARTIAL / NEEDS_CSUM)', () => {
  it('the field holds the folded pseudo-header sum; completing it gives the full checksum', () => {
    const payload = Buffer.from(Array.from({ length: 3001 }, (_, i) => (i * 7) & 0xff));
    const full = superPacket(payload, TCP_ACK, false);
    const partial = superPacket(payload, TCP_ACK, true);
    expect(partial.readUInt16BE(36)).toBe(fold(pseudoHeaderSum(SRC, DST, 6, 32 + 3001)));
    expect(partial.readUInt16BE(36)).not.toBe(full.readUInt16BE(36));
    completeChecksum(partial);
    expect(partial.equals(full)).toBe(true);
  });
});

describe('segmentTcp4: a super-packet cut into MSS segments', () => {
  const payload = Buffer.from(Array.from({ length: 1448 * 3 + 500 }, (_, i) => (i * 13) & 0xff));
  const segs = segmentTcp4(superPacket(payload, TCP_ACK | TCP_PSH | TCP_FIN, true), 1448);

  it('into ceil(len / gso_size) datagrams of gso_size payload bytes (the last shorter)', () => {
    expect(segs.map((s) => s.length - 52)).toEqual([1448, 1448, 1448, 500]);
  });
  it('each a valid IPv4 datagram with the next identification', () => {
    segs.forEach((s, i) => {
      const ip = Ipv4Packet.parse(s);
      expect(typeof ip).not.toBe('string');
      expect(s.readUInt16BE(4)).toBe(0x1234 + i);
      expect(s.readUInt16BE(2)).toBe(s.length);
    });
  });
  it('each TCP segment verifies, with its sequence number, the options repeated, PSH and FIN only on the last', () => {
    const got = Buffer.concat(
      segs.map((s, i) => {
        const r = parseTcpSegment(s.subarray(20), SRC, DST);
        if (typeof r === 'string') throw new Error(r);
        expect(r.seq).toBe((0xfffff000 + i * 1448) >>> 0);
        expect(r.options.timestamp).toEqual({ val: 1, ecr: 2 });
        const last = i === segs.length - 1;
        expect(r.flags).toBe(last ? TCP_ACK | TCP_PSH | TCP_FIN : TCP_ACK);
        return r.payload;
      }),
    );
    expect(got.equals(payload)).toBe(true);
  });
});
