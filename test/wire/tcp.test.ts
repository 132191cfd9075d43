import { describe, expect, it } from 'vitest';
import {
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_SYN,
  TcpView,
  emitTcpSegment,
  parseTcpSegment,
  tcpHeaderLen,
  type TcpRepr,
} from '../../src/wire/tcp.js';

const LO = 0x7f000001;

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

// Captured with `tcpdump -i lo -xx -v` in a scratch netns on Linux 6.18
// (socat client 127.0.0.1:56372 -> socat listener 127.0.0.1:7777, payload
// "hello"). TCP bytes only. On lo the kernel leaves checksums partial
// (offload), so the checksum field holds the correct value tcpdump -v
// reported ("incorrect -> 0x....") instead of the captured partial sum.
const SYN = hex(`dc34 1e61 a225 859f 0000 0000 a002 ffd7 dfb6 0000
  0204 ffd7 0402 080a f2b3 5b39 0000 0000 0103 030a`);
const SYN_ACK = hex(`1e61 dc34 563f f0be a225 85a0 a012 ffcb 2d19 0000
  0204 ffd7 0402 080a 00ca 6ad0 f2b3 5b39 0103 030a`);
const DATA = hex(`dc34 1e61 a225 85a0 563f f0bf 8018 0040 11b9 0000
  0101 080a f2b3 5b39 00ca 6ad0 6865 6c6c 6f`);
const FIN = hex(`dc34 1e61 a225 85a5 563f f0bf 8011 0040 5592 0000
  0101 080a f2b3 5b39 00ca 6ad0`);

function parseOk(buf: Buffer): TcpRepr {
  const r = parseTcpSegment(buf, LO, LO);
  if (typeof r === 'string') throw new Error(`unexpected drop ${r}`);
  return r;
}

function reEmit(r: TcpRepr): Buffer {
  const out = Buffer.alloc(tcpHeaderLen(r) + r.payload.length);
  const n = emitTcpSegment(r, out, 0, LO, LO);
  expect(n).toBe(out.length);
  return out;
}

describe('TCP header (RFC 9293 §3.1) against Linux golden bytes', () => {
  it('deconstructs a Linux SYN: mss, sackOK+TS, nop, wscale', () => {
    const r = parseOk(SYN);
    expect(r).toMatchObject({ srcPort: 56372, dstPort: 7777, seq: 2720368031, ack: 0, flags: TCP_SYN, window: 65495, urgent: 0 });
    expect(r.options).toEqual({ mss: 65495, sackPermitted: true, timestamp: { val: 4071840569, ecr: 0 }, wscale: 10 });
    expect(r.payload.length).toBe(0);
  });

  it('constructs the Linux SYN byte for byte (Linux option layout)', () => {
    expect(reEmit(parseOk(SYN)).toString('hex')).toBe(SYN.toString('hex'));
  });

  it('round-trips the SYN-ACK', () => {
    const r = parseOk(SYN_ACK);
    expect(r.flags).toBe(TCP_SYN | TCP_ACK);
    expect(r.ack).toBe(2720368032);
    expect(r.options.timestamp).toEqual({ val: 13265616, ecr: 4071840569 });
    expect(reEmit(r).toString('hex')).toBe(SYN_ACK.toString('hex'));
  });

  it('round-trips a data segment with nop,nop,TS and payload', () => {
    const r = parseOk(DATA);
    expect(r.flags).toBe(TCP_PSH | TCP_ACK);
    expect(r.payload.toString()).toBe('hello');
    expect(r.options).toEqual({ timestamp: { val: 4071840569, ecr: 13265616 } });
    expect(reEmit(r).toString('hex')).toBe(DATA.toString('hex'));
  });

  it('round-trips a FIN', () => {
    const r = parseOk(FIN);
    expect(r.flags).toBe(TCP_FIN | TCP_ACK);
    expect(r.seq).toBe(2720368037);
    expect(reEmit(r).toString('hex')).toBe(FIN.toString('hex'));
  });

  it('emits at an offset (header room in front) with the same bytes', () => {
    const r = parseOk(DATA);
    const out = Buffer.alloc(20 + tcpHeaderLen(r) + r.payload.length, 0xee);
    emitTcpSegment(r, out, 20, LO, LO);
    expect(out.subarray(0, 20).every((b) => b === 0xee)).toBe(true);
    expect(out.subarray(20).toString('hex')).toBe(DATA.toString('hex'));
  });

  it('payload is a zero-copy subarray of the packet', () => {
    const buf = Buffer.from(DATA);
    const r = parseOk(buf);
    buf[buf.length - 1] = 0x21;
    expect(r.payload.toString()).toBe('hell!');
  });
});

describe('TCP parse refuses hostile bytes with a drop reason', () => {
  it('truncated: shorter than the 20-byte fixed header', () => {
    expect(parseTcpSegment(SYN.subarray(0, 19), LO, LO)).toBe('truncated');
    expect(parseTcpSegment(Buffer.alloc(0), LO, LO)).toBe('truncated');
  });

  it('badDataOffset: data offset below 5 words', () => {
    const b = Buffer.from(SYN);
    b[12] = 0x40;
    expect(parseTcpSegment(b, LO, LO)).toBe('badDataOffset');
  });

  it('badDataOffset: header length beyond the segment', () => {
    const b = Buffer.from(SYN.subarray(0, 36));
    expect(parseTcpSegment(b, LO, LO)).toBe('badDataOffset');
  });

  it('badChecksum: one flipped payload bit', () => {
    const b = Buffer.from(DATA);
    b[b.length - 1] ^= 1;
    expect(parseTcpSegment(b, LO, LO)).toBe('badChecksum');
  });

  it('badChecksum: wrong pseudo header (other source address)', () => {
    expect(parseTcpSegment(DATA, 0x7f000002, LO)).toBe('badChecksum');
  });

  it('badFlags: SYN+FIN and SYN+RST (Linux drops them)', () => {
    for (const extra of [TCP_FIN, 0x04]) {
      const r = { ...parseOk(SYN), flags: TCP_SYN | extra };
      expect(parseTcpSegment(reEmit(r), LO, LO)).toBe('badFlags');
    }
  });

  it('badOptionLength: option length 0 and overrun', () => {
    const r = parseOk(DATA);
    const b = reEmit(r);
    // Turn the leading NOP into a timestamp option of length 0.
    b[20] = 8;
    b[21] = 0;
    fixChecksum(b);
    expect(parseTcpSegment(b, LO, LO)).toBe('badOptionLength');
    b[21] = 40;
    fixChecksum(b);
    expect(parseTcpSegment(b, LO, LO)).toBe('badOptionLength');
  });
});

/** Recompute the checksum of a hand-edited segment (test helper). */
function fixChecksum(b: Buffer): void {
  const v = TcpView.over(b);
  v.checksum = 0;
  let s = LO + LO + 6 + b.length;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (i + 1 < b.length ? b[i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  v.checksum = ~s & 0xffff;
}

describe('TcpView accessors', () => {
  it('reads the fixed fields of the golden SYN', () => {
    const v = TcpView.parse(SYN);
    if (typeof v === 'string') throw new Error(v);
    expect([v.srcPort, v.dstPort, v.seq, v.ack, v.headerLen, v.flags, v.window, v.checksum, v.urgent]).toEqual([
      56372, 7777, 2720368031, 0, 40, TCP_SYN, 65495, 0xdfb6, 0,
    ]);
    expect(v.options.length).toBe(20);
    expect(v.verifyChecksum(LO, LO)).toBe(true);
  });
});
