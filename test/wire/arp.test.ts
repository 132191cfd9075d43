import { describe, expect, it } from 'vitest';
import { SeededRng, randBytes, randInt } from '../../src/util/random.js';
import { ARP_LEN, ARP_REPLY, ARP_REQUEST, ArpPacket, emitArp, parseArp } from '../../src/wire/arp.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// ARP payloads (after the 14-byte Ethernet header) captured with `tcpdump -xx -e`
// on a veth pair between two namespaces, Linux 6.18, triggered by ping:
// request "who-has 10.210.0.2 tell 10.210.0.1" and its reply.
const REQUEST = hex('0001 0800 0604 0001 0200 0000 000a 0ad2 0001 0000 0000 0000 0ad2 0002');
const REPLY = hex('0001 0800 0604 0002 0200 0000 000b 0ad2 0002 0200 0000 000a 0ad2 0001');

describe('ARP packet (RFC 826)', () => {
  it('deconstructs a captured request (target hardware address zero)', () => {
    expect(parseArp(REQUEST)).toEqual({
      operation: ARP_REQUEST,
      senderHw: 0x02000000000a,
      senderProto: 0x0ad20001,
      targetHw: 0,
      targetProto: 0x0ad20002,
    });
  });

  it('deconstructs a captured reply', () => {
    expect(parseArp(REPLY)).toEqual({
      operation: ARP_REPLY,
      senderHw: 0x02000000000b,
      senderProto: 0x0ad20002,
      targetHw: 0x02000000000a,
      targetProto: 0x0ad20001,
    });
  });

  it('constructs the captured reply byte for byte', () => {
    const out = Buffer.alloc(ARP_LEN);
    emitArp(parseArp(REPLY) as Exclude<ReturnType<typeof parseArp>, string>, out);
    expect(out.equals(REPLY)).toBe(true);
  });

  it('accepts trailing Ethernet padding (frames are padded to 60 bytes)', () => {
    const padded = Buffer.concat([REQUEST, Buffer.alloc(18)]);
    expect(typeof parseArp(padded)).toBe('object');
  });

  it('refuses every truncation without throwing', () => {
    for (let n = 0; n < ARP_LEN; n++) expect(parseArp(REQUEST.subarray(0, n))).toBe('truncated');
  });

  it('refuses other hardware, protocol, address lengths and operations with named reasons', () => {
    const bad = (off: number, v: number): Buffer => {
      const b = Buffer.from(REQUEST);
      b[off] = v;
      return b;
    };
    expect(parseArp(bad(1, 6))).toBe('unsupportedHardware'); // IEEE 802 htype 6
    expect(parseArp(bad(2, 0x86))).toBe('unsupportedProtocol');
    expect(parseArp(bad(4, 8))).toBe('badAddressLength');
    expect(parseArp(bad(5, 16))).toBe('badAddressLength');
    expect(parseArp(bad(7, 3))).toBe('unknownOperation'); // RARP request (RFC 903)
    // hlen lies about the real length: checked before addresses are read.
    expect(ArpPacket.parse(REQUEST.subarray(0, 8))).toBe('truncated');
  });

  it('never throws on random bytes', () => {
    const seed = 12345;
    console.log('ARP fuzz seed', seed);
    const rng = new SeededRng(seed);
    for (let i = 0; i < 2000; i++) {
      const len = randInt(rng, 40);
      const b = randBytes(rng, len);
      if (len >= 6) b.writeUInt32BE(0x00010800, 0);
      expect(() => parseArp(b)).not.toThrow();
    }
  });
});
