import { describe, expect, it } from 'vitest';
import { UdpPacket, UdpRepr } from '../../src/wire/udp.js';
import { A_10_9_0_1, A_10_9_0_2, LINUX_UDP_HELLO } from '../ip/helpers.js';

const S = A_10_9_0_1;
const D = A_10_9_0_2;

function parseOk(b: Buffer, src = S, dst = D): UdpPacket {
  const p = UdpPacket.parse(b, src, dst);
  if (typeof p === 'string') throw new Error(`unexpected drop ${p}`);
  return p;
}

describe('UDP view (RFC 768)', () => {
  it('deconstructs a Linux datagram and verifies its checksum with the pseudo header', () => {
    const u = LINUX_UDP_HELLO().subarray(20);
    const p = parseOk(u);
    expect([p.srcPort, p.dstPort, p.length, p.checksum]).toEqual([40000, 7, 13, 0x0ba6]);
    expect(UdpRepr.parse(p).payload.toString()).toBe('hello');
  });

  it('constructs the same bytes, checksum included', () => {
    const u = LINUX_UDP_HELLO().subarray(20);
    const r: UdpRepr = { srcPort: 40000, dstPort: 7, payload: Buffer.from('hello') };
    const out = Buffer.alloc(UdpRepr.bufferLen(r));
    UdpRepr.emit(r, out, S, D);
    expect(out.toString('hex')).toBe(u.toString('hex'));
  });

  it('accepts checksum 0 as "not computed" on IPv4 (RFC 768)', () => {
    const u = Buffer.from(LINUX_UDP_HELLO().subarray(20));
    u.writeUInt16BE(0, 6);
    u[10] ^= 0xff; // payload changed: would fail a real checksum
    expect(parseOk(u).payload.length).toBe(5);
  });

  it('sends a computed zero checksum as 0xffff (RFC 768), which verifies', () => {
    const probe: UdpRepr = { srcPort: 1, dstPort: 2, payload: Buffer.alloc(2) };
    const b = Buffer.alloc(10);
    UdpRepr.emit(probe, b, S, D);
    // Choosing the payload word equal to that checksum makes the true sum 0xffff, i.e. checksum 0.
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(b.readUInt16BE(6));
    const out = Buffer.alloc(10);
    UdpRepr.emit({ srcPort: 1, dstPort: 2, payload }, out, S, D);
    expect(out.readUInt16BE(6)).toBe(0xffff);
    expect(typeof UdpPacket.parse(out, S, D)).toBe('object');
  });

  it('rejects a checksum computed for another address (pseudo header)', () => {
    expect(UdpPacket.parse(LINUX_UDP_HELLO().subarray(20), S, 0x0a090003)).toBe('badChecksum');
  });

  it('drops truncated and impossible lengths; trims bytes beyond the length field', () => {
    const u = LINUX_UDP_HELLO().subarray(20);
    expect(UdpPacket.parse(u.subarray(0, 7), S, D)).toBe('truncated');
    const long = Buffer.from(u);
    long.writeUInt16BE(14, 4);
    expect(UdpPacket.parse(long, S, D)).toBe('badLength');
    const short = Buffer.from(u);
    short.writeUInt16BE(7, 4);
    expect(UdpPacket.parse(short, S, D)).toBe('badLength');
    const padded = Buffer.concat([u, Buffer.from([0, 0])]);
    expect(parseOk(padded).payload.toString()).toBe('hello');
    const corrupt = Buffer.from(u);
    corrupt[9] ^= 1;
    expect(UdpPacket.parse(corrupt, S, D)).toBe('badChecksum');
  });
});
