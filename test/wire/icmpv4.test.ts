import { describe, expect, it } from 'vitest';
import { Icmpv4Packet, Icmpv4Repr, ICMP_UNREACH_PORT } from '../../src/wire/icmpv4.js';
import { LINUX_ECHO_REQUEST, LINUX_LO_PORT_UNREACH, hex } from '../ip/helpers.js';

function parseOk(b: Buffer): Icmpv4Packet {
  const p = Icmpv4Packet.parse(b);
  if (typeof p === 'string') throw new Error(`unexpected drop ${p}`);
  return p;
}

describe('ICMPv4 view (RFC 792)', () => {
  it('deconstructs a Linux echo request', () => {
    const msg = LINUX_ECHO_REQUEST().subarray(20);
    const p = parseOk(msg);
    expect(p.type).toBe(8);
    expect(p.code).toBe(0);
    expect(p.ident).toBe(0x1504);
    expect(p.seq).toBe(1);
    const r = Icmpv4Repr.parse(p);
    expect(r.kind).toBe('echoRequest');
    expect(r.data.toString('hex')).toBe('3d34046b000000009d08010000000000');
  });

  it('constructs the same echo request bytes', () => {
    const msg = LINUX_ECHO_REQUEST().subarray(20);
    const r = Icmpv4Repr.parse(parseOk(msg));
    const out = Buffer.alloc(Icmpv4Repr.bufferLen(r));
    Icmpv4Repr.emit(r, out);
    expect(out.toString('hex')).toBe(msg.toString('hex'));
  });

  it('deconstructs and reconstructs a Linux port unreachable with its quoted datagram', () => {
    const msg = LINUX_LO_PORT_UNREACH().subarray(20);
    const r = Icmpv4Repr.parse(parseOk(msg));
    expect(r).toMatchObject({ kind: 'destUnreachable', code: ICMP_UNREACH_PORT, nextHopMtu: 0 });
    expect(r.data.length).toBe(34);
    expect(r.data.readUInt16BE(22)).toBe(9998); // quoted UDP destination port
    const out = Buffer.alloc(Icmpv4Repr.bufferLen(r));
    Icmpv4Repr.emit(r, out);
    expect(out.toString('hex')).toBe(msg.toString('hex'));
  });

  it('emits time exceeded (type 11) with a valid checksum', () => {
    const out = Buffer.alloc(8 + 28);
    Icmpv4Repr.emit({ kind: 'timeExceeded', code: 1, data: Buffer.alloc(28, 7) }, out);
    const p = parseOk(out);
    expect([p.type, p.code, p.rest]).toEqual([11, 1, 0]);
  });

  it('drops truncated messages and bad checksums (checksum covers the whole message)', () => {
    expect(Icmpv4Packet.parse(hex('0800 f7ff 0000'))).toBe('truncated');
    const msg = Buffer.from(LINUX_ECHO_REQUEST().subarray(20));
    msg[msg.length - 1] ^= 1; // a data byte, not the header
    expect(Icmpv4Packet.parse(msg)).toBe('badChecksum');
  });
});
