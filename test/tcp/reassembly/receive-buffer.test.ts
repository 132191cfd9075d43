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
    expect(r.takeSackBlocks(4, true)).toEqual([[0xfffffffe, 2]]);
    expect(r.drain(0xfffffffe)).toBe(2);
    expect(readAll(r)).toBe('abcd');
  });

  it('reports the block of the latest segment first, then the others by recency (RFC 2018 §4 MUST)', () => {
    const r = new ReceiveBuffer();
    r.insertOutOfOrder(10, Buffer.alloc(5));
    r.insertOutOfOrder(30, Buffer.alloc(5));
    r.insertOutOfOrder(50, Buffer.alloc(5));
    expect(r.takeSackBlocks(4, true)).toEqual([
      [50, 55],
      [30, 35],
      [10, 15],
    ]);
    r.insertOutOfOrder(15, Buffer.alloc(5)); // extends the oldest block: it moves to the front
    expect(r.takeSackBlocks(2, true)).toEqual([
      [10, 20],
      [50, 55],
    ]);
    expect(r.drain(10)).toBe(20); // the hole before it fills: the block is gone
    expect(r.takeSackBlocks(4, true)).toEqual([
      [50, 55],
      [30, 35],
    ]);
  });

  it('D-SACK: a duplicate out-of-order segment is reported first, once, before its block (RFC 2883 §4 case 2)', () => {
    const r = new ReceiveBuffer();
    r.insertOutOfOrder(10, Buffer.alloc(10));
    r.insertOutOfOrder(40, Buffer.alloc(10));
    r.insertOutOfOrder(12, Buffer.alloc(4)); // entirely held already
    expect(r.takeSackBlocks(3, true)).toEqual([
      [12, 16],
      [10, 20],
      [40, 50],
    ]);
    expect(r.takeSackBlocks(3, true)).toEqual([
      [10, 20],
      [40, 50],
    ]);
    r.insertOutOfOrder(45, Buffer.alloc(10)); // half new: only the held half is a duplicate
    expect(r.takeSackBlocks(3, false)).toEqual([
      [40, 55],
      [10, 20],
    ]);
  });

  it('D-SACK for data below RCV.NXT stands alone and duplicates before one ACK widen it (Linux tcp_dsack_extend)', () => {
    const r = new ReceiveBuffer();
    r.noteDuplicate(100, 200);
    r.noteDuplicate(200, 300);
    expect(r.hasSackInfo).toBe(true);
    expect(r.takeSackBlocks(3, true)).toEqual([[100, 300]]);
    expect(r.hasSackInfo).toBe(false);
  });
});
