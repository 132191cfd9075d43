import { describe, expect, it } from 'vitest';
import { checksum } from '../../src/wire/checksum.js';
import { Ipv4Packet, Ipv4Repr } from '../../src/wire/ipv4.js';
import { A_10_9_0_1, A_10_9_0_2, LINUX_FRAG_HEADERS, LINUX_UDP_HELLO, hex } from '../ip/helpers.js';

function parseOk(b: Buffer): Ipv4Packet {
  const p = Ipv4Packet.parse(b);
  if (typeof p === 'string') throw new Error(`unexpected drop ${p}`);
  return p;
}

describe('IPv4 view (RFC 791 §3.1)', () => {
  it('deconstructs a Linux UDP datagram', () => {
    const p = parseOk(LINUX_UDP_HELLO());
    expect(p.version).toBe(4);
    expect(p.headerLen).toBe(20);
    expect(p.totalLen).toBe(33);
    expect(p.ident).toBe(0x3942);
    expect(p.dontFrag).toBe(true);
    expect(p.moreFrags).toBe(false);
    expect(p.fragOffset).toBe(0);
    expect(p.isFragment).toBe(false);
    expect(p.ttl).toBe(64);
    expect(p.protocol).toBe(17);
    expect(p.src).toBe(A_10_9_0_1);
    expect(p.dst).toBe(A_10_9_0_2);
    expect(p.payload.length).toBe(13);
    expect(Ipv4Repr.parse(p)).toEqual({
      src: A_10_9_0_1, dst: A_10_9_0_2, protocol: 17, ttl: 64, tos: 0, ident: 0x3942,
      dontFrag: true, moreFrags: false, fragOffset: 0, payloadLen: 13,
    });
  });

  it('constructs the same header bytes as Linux', () => {
    const golden = LINUX_UDP_HELLO();
    const repr = Ipv4Repr.parse(parseOk(golden));
    const out = Buffer.alloc(Ipv4Repr.bufferLen(repr));
    Ipv4Repr.emit(repr, out);
    expect(out.subarray(0, 20).toString('hex')).toBe(golden.subarray(0, 20).toString('hex'));
  });

  it('reads fragment offset and MF from Linux fragments (offset in 8-byte units)', () => {
    const [f1, f2, f3] = LINUX_FRAG_HEADERS;
    const v = [f1, f2, f3].map((h) => Ipv4Packet.over(h));
    expect(v.map((p) => p.fragOffset)).toEqual([0, 1480, 2960]);
    expect(v.map((p) => p.moreFrags)).toEqual([true, true, false]);
    expect(v.every((p) => p.isFragment)).toBe(true);
    // Header checksums as captured are valid.
    for (const h of [f1, f2, f3]) expect(checksum(h, 0, 20)).toBe(0);
  });

  it('trims link padding: the view covers total length only', () => {
    const padded = Buffer.concat([LINUX_UDP_HELLO(), Buffer.alloc(13, 0xee)]);
    const p = parseOk(padded);
    expect(p.buf.length).toBe(33);
    expect(p.payload.toString('hex')).toBe('9c400007000d0ba668656c6c6f');
  });

  it('skips options: payload starts after IHL*4', () => {
    // Header with one 4-byte option (NOP NOP NOP EOL), IHL 6, built here.
    const b = Buffer.alloc(28);
    b[0] = 0x46;
    b.writeUInt16BE(28, 2);
    b[8] = 64;
    b[9] = 17;
    b.writeUInt32BE(A_10_9_0_1, 12);
    b.writeUInt32BE(A_10_9_0_2, 16);
    hex('01010100').copy(b, 20);
    b.writeUInt16BE(checksum(b, 0, 24), 10);
    const p = parseOk(b);
    expect(p.headerLen).toBe(24);
    expect(p.payload.length).toBe(4);
  });

  it('drops malformed headers with a named reason and never throws', () => {
    const g = LINUX_UDP_HELLO();
    const mut = (f: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(g);
      f(b);
      return b;
    };
    expect(Ipv4Packet.parse(g.subarray(0, 19))).toBe('truncated');
    expect(Ipv4Packet.parse(Buffer.alloc(0))).toBe('truncated');
    expect(Ipv4Packet.parse(mut((b) => (b[0] = 0x65)))).toBe('badVersion');
    expect(Ipv4Packet.parse(mut((b) => (b[0] = 0x44)))).toBe('badHeaderLength');
    expect(Ipv4Packet.parse(mut((b) => (b[0] = 0x4f)))).toBe('badHeaderLength'); // 60 > 33 bytes
    expect(Ipv4Packet.parse(mut((b) => b.writeUInt16BE(34, 2)))).toBe('badTotalLength');
    expect(Ipv4Packet.parse(mut((b) => b.writeUInt16BE(19, 2)))).toBe('badTotalLength');
    expect(Ipv4Packet.parse(mut((b) => (b[8] = 63)))).toBe('badChecksum');
  });
});
