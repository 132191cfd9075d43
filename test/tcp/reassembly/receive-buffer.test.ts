import { describe, expect, it } from 'vitest';
import { ReceiveBuffer } from '../../../src/tcp/reassembly/receive-buffer.js';

function readAll(r: ReceiveBuffer): string {
  let s = '';
  for (let b = r.read(); b; b = r.read()) s += b.toString();
  return s;
}

describe('receive buffer: out-of-order ranges', () => {
  it('holds ranges beyond a hole and delivers them when it fills', () => {
    const r = new ReceiveBuffer();
    r.insertOutOfOrder(110, Buffer.from('klm'));
    r.insertOutOfOrder(105, Buffer.from('fgh'));
    expect(r.oooBytes).toBe(6);
    expect(r.drain(100)).toBe(100);
    r.pushInOrder(Buffer.from('abcde'));
    expect(r.drain(105)).toBe(108);
    expect(readAll(r)).toBe('abcdefgh');
    expect(r.hasOutOfOrder).toBe(true);
  });

  it('stores overlapping data once, keeping what was held', () => {
    const r = new ReceiveBuffer();
    r.insertOutOfOrder(10, Buffer.from('CDE'));
    r.insertOutOfOrder(8, Buffer.from('abcdefg')); // covers 8..15; 10..13 already held
    expect(r.oooBytes).toBe(7);
    expect(r.drain(8)).toBe(15);
    expect(readAll(r)).toBe('abCDEfg');
  });

  it('trims a range that starts before RCV.NXT when draining', () => {
    const r = new ReceiveBuffer();
    r.insertOutOfOrder(5, Buffer.from('vwxyz'));
    expect(r.drain(7)).toBe(10);
    expect(readAll(r)).toBe('xyz');
  });

  it('works across sequence wrap-around', () => {
    const r = new ReceiveBuffer();
    r.insertOutOfOrder(0xfffffffe, Buffer.from('ab'));
    r.insertOutOfOrder(0, Buffer.from('cd'));
    expect(r.sackBlocks(4)).toEqual([[0xfffffffe, 2]]);
    expect(r.drain(0xfffffffe)).toBe(2);
    expect(readAll(r)).toBe('abcd');
  });

  it('reports SACK blocks lowest first, merged, at most max (RFC 2018 §4)', () => {
    const r = new ReceiveBuffer();
    r.insertOutOfOrder(10, Buffer.alloc(5));
    r.insertOutOfOrder(15, Buffer.alloc(5));
    r.insertOutOfOrder(30, Buffer.alloc(5));
    r.insertOutOfOrder(50, Buffer.alloc(5));
    expect(r.sackBlocks(2)).toEqual([
      [10, 20],
      [30, 35],
    ]);
  });
});
