import { describe, expect, it } from 'vitest';
import {
  emitTcpOptions,
  parseTcpOptions,
  tcpOptionsLen,
} from '../../src/wire/tcp-options.js';
import { updateChecksum16 } from '../../src/wire/checksum.js';
import {
  LINUX_ACK_SACK1 as CAP_ACK_SACK1,
  LINUX_ACK_SACK2 as CAP_ACK_SACK2,
  LINUX_SYN_ACK as CAP_SYN_ACK,
  TUN_KERNEL,
  TUN_SCRIPT,
} from './linux-captures.js';
import { TCP_ACK, TCP_SYN, emitTcpSegment, parseTcpSegment, tcpHeaderLen, type TcpOptionsRepr, type TcpRepr } from '../../src/wire/tcp.js';

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

function parse(b: Buffer): TcpOptionsRepr | string {
  const o: TcpOptionsRepr = {};
  const bad = parseTcpOptions(b, 0, b.length, o);
  return bad ?? o;
}

function emit(o: TcpOptionsRepr): string {
  const b = Buffer.alloc(tcpOptionsLen(o));
  expect(emitTcpOptions(o, b, 0)).toBe(b.length);
  expect(b.length % 4).toBe(0);
  return b.toString('hex');
}

// Golden TCP segments captured from Linux over a TUN (see linux-captures.ts for how).
const KERNEL = TUN_KERNEL;
const SCRIPT = TUN_SCRIPT;
const LINUX_SYN_ACK = CAP_SYN_ACK();
const LINUX_ACK_SACK2 = CAP_ACK_SACK2();
const LINUX_ACK_SACK1 = CAP_ACK_SACK1();

/** The option area of a captured IPv4+TCP packet. */
function optionArea(pkt: Buffer): Buffer {
  return pkt.subarray(40, 20 + (pkt[32] >>> 4) * 4);
}

function parseSegment(pkt: Buffer): TcpRepr {
  const r = parseTcpSegment(pkt.subarray(20), KERNEL, SCRIPT);
  if (typeof r === 'string') throw new Error(`unexpected drop ${r}`);
  return r;
}

describe('TCP options in segments captured from Linux (RFC 7323, RFC 2018)', () => {
  it('deconstructs the kernel SYN-ACK options: mss, sackOK, TS, nop, wscale', () => {
    expect(parse(optionArea(LINUX_SYN_ACK))).toEqual({
      mss: 1460,
      sackPermitted: true,
      timestamp: { val: 1726175773, ecr: 100 },
      wscale: 10,
    });
  });

  it('deconstructs two SACK blocks, most recent first as RFC 2018 §4 requires', () => {
    expect(parse(optionArea(LINUX_ACK_SACK2))).toEqual({
      timestamp: { val: 1726175875, ecr: 101 },
      sack: [
        [1301, 1401],
        [1101, 1201],
      ],
    });
    expect(parse(optionArea(LINUX_ACK_SACK1))).toEqual({ timestamp: { val: 1726175925, ecr: 104 }, sack: [[1301, 1401]] });
  });

  it('constructs each captured option area byte for byte (Linux tcp_options_write layout)', () => {
    for (const pkt of [LINUX_SYN_ACK, LINUX_ACK_SACK2, LINUX_ACK_SACK1]) {
      const o = parse(optionArea(pkt));
      if (typeof o === 'string') throw new Error(o);
      expect(emit(o)).toBe(optionArea(pkt).toString('hex'));
    }
  });

  it('whole captured segments verify their checksum and re-emit identically', () => {
    const syn = parseSegment(LINUX_SYN_ACK);
    expect(syn).toMatchObject({ srcPort: 5555, dstPort: 40000, seq: 0x3e2035a0, ack: 1001, flags: TCP_SYN | TCP_ACK, window: 65160 });
    for (const pkt of [LINUX_SYN_ACK, LINUX_ACK_SACK2, LINUX_ACK_SACK1]) {
      const r = parseSegment(pkt);
      const out = Buffer.alloc(tcpHeaderLen(r) + r.payload.length);
      emitTcpSegment(r, out, 0, KERNEL, SCRIPT);
      expect(out.toString('hex')).toBe(pkt.subarray(20).toString('hex'));
    }
    expect(parseSegment(LINUX_ACK_SACK2).flags).toBe(TCP_ACK);
  });

  it('drops every truncation of the captured SACK option area and a corrupted SACK length, never throwing', () => {
    const area = optionArea(LINUX_ACK_SACK2);
    // Cutting inside the TS or SACK option leaves a length that overruns the area.
    for (const cut of [3, 5, 11, 15, 16, 20, 27]) {
      expect(parse(area.subarray(0, cut)), `cut at ${cut}`).toBe('badOptionLength');
    }
    const corrupt = Buffer.from(area);
    corrupt[15] = 0x13; // SACK length 19 overruns by one
    expect(parse(corrupt)).toBe('badOptionLength');
    const seg = Buffer.from(LINUX_ACK_SACK2.subarray(20));
    // SACK length 18 -> 32 runs past the header; the checksum is patched (RFC 1624) so the
    // segment gets past checksum verification and is refused for the option itself.
    const oldWord = seg.readUInt16BE(34);
    seg[35] = 0x20;
    seg.writeUInt16BE(updateChecksum16(seg.readUInt16BE(16), oldWord, seg.readUInt16BE(34)), 16);
    expect(parseTcpSegment(seg, KERNEL, SCRIPT)).toBe('badOptionLength');
  });
});

describe('TCP option parsing (RFC 9293 §3.2, RFC 7323, RFC 2018)', () => {
  it('clamps a window scale above 14 to 14 (RFC 7323 §2.3)', () => {
    expect(parse(hex('01 03 03 0f'))).toEqual({ wscale: 14 });
    expect(parse(hex('01 03 03 0e'))).toEqual({ wscale: 14 });
    expect(parse(hex('01 03 03 07'))).toEqual({ wscale: 7 });
  });

  it('skips unknown options by their length (RFC 9293 §3.2 MUST-6)', () => {
    // kind 30 (MPTCP) len 4, then MSS 1460
    expect(parse(hex('1e 04 aa bb 02 04 05 b4'))).toEqual({ mss: 1460 });
  });

  it('stops at EOL (RFC 9293 §3.2)', () => {
    expect(parse(hex('00 02 04 05 b4 00 00 00'))).toEqual({});
  });

  it('refuses an option length below 2 and one overrunning the area', () => {
    expect(parse(hex('02 00 05 b4'))).toBe('badOptionLength');
    expect(parse(hex('02 01 05 b4'))).toBe('badOptionLength');
    expect(parse(hex('01 01 08 0a 00 00'))).toBe('badOptionLength');
    expect(parse(hex('01 01 01 02'))).toBe('badOptionLength'); // length byte missing
  });

  it('ignores a known option with the wrong fixed length, as Linux does', () => {
    expect(parse(hex('02 03 05 01 04 02'))).toEqual({ sackPermitted: true });
  });

  it('parses SACK blocks as [left, right) pairs (RFC 2018 §3)', () => {
    expect(parse(hex('01 01 05 12 00 00 00 0a 00 00 00 14 ff ff ff f0 00 00 00 10'))).toEqual({
      sack: [
        [10, 20],
        [0xfffffff0, 16],
      ],
    });
  });

  it('ignores a SACK option whose length is not 2+8n', () => {
    expect(parse(hex('05 06 00 00 00 0a 01 01'))).toEqual({});
  });

  it('parses timestamps (RFC 7323 §3.2)', () => {
    expect(parse(hex('01 01 08 0a 00 00 00 01 ff ff ff ff'))).toEqual({ timestamp: { val: 1, ecr: 0xffffffff } });
  });
});

describe('TCP option emission in Linux layout (tcp_options_write)', () => {
  const ts = { val: 0x01020304, ecr: 0x05060708 };

  it('SYN with everything: mss, sackOK+TS, nop, wscale', () => {
    expect(emit({ mss: 1460, sackPermitted: true, timestamp: ts, wscale: 7 })).toBe(
      '020405b4' + '0402080a0102030405060708' + '01030307',
    );
  });

  it('SYN without TS: mss, nop,nop,sackOK, nop,wscale', () => {
    expect(emit({ mss: 1460, sackPermitted: true, wscale: 7 })).toBe('020405b4' + '01010402' + '01030307');
  });

  it('SYN without SACK: mss, nop,nop,TS, nop,wscale', () => {
    expect(emit({ mss: 1460, timestamp: ts, wscale: 7 })).toBe('020405b4' + '0101080a0102030405060708' + '01030307');
  });

  it('data segment: nop,nop,TS then nop,nop,SACK', () => {
    expect(emit({ timestamp: ts, sack: [[1, 2]] })).toBe('0101080a0102030405060708' + '0101050a' + '0000000100000002');
  });

  it('limits SACK blocks to 3 beside timestamps and 4 without (RFC 2018 §3)', () => {
    const sack: Array<[number, number]> = [
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
      [9, 10],
    ];
    expect(tcpOptionsLen({ timestamp: ts, sack })).toBe(12 + 4 + 24);
    expect(tcpOptionsLen({ sack })).toBe(4 + 32);
    const o: TcpOptionsRepr = {};
    const b = Buffer.alloc(36);
    emitTcpOptions({ sack }, b, 0);
    expect(parseTcpOptions(b, 0, b.length, o)).toBeNull();
    expect(o.sack).toEqual(sack.slice(0, 4));
  });

  it('emits nothing for empty options', () => {
    expect(emit({})).toBe('');
  });
});
