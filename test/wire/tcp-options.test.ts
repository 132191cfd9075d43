import { describe, expect, it } from 'vitest';
import {
  emitTcpOptions,
  parseTcpOptionList,
  parseTcpOptions,
  tcpOptionsLen,
} from '../../src/wire/tcp-options.js';
import type { TcpOptionsRepr } from '../../src/wire/tcp.js';

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

  it('lists raw options in order for the conformance runner', () => {
    const l = parseTcpOptionList(hex('02 04 05 b4 01 03 03 07 00 00'));
    if (typeof l === 'string') throw new Error(l);
    expect(l.map((o) => [o.kind, o.data.toString('hex')])).toEqual([
      [2, '05b4'],
      [1, ''],
      [3, '07'],
      [0, ''],
    ]);
    expect(parseTcpOptionList(hex('02 08 05 b4'))).toBe('badOptionLength');
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
