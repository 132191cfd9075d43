/**
 * TupleTable (src/tcp/demux.ts): exact 4-tuple lookups, including the cache
 * of the last local endpoint's table, which must never answer for another
 * endpoint or outlive the table it caches.
 */
import { describe, expect, it } from 'vitest';
import { TupleTable } from '../../src/tcp/demux.js';

const t = (localAddr: number, localPort: number, remoteAddr: number, remotePort: number) => ({ localAddr, localPort, remoteAddr, remotePort });

describe('TupleTable', () => {
  it('keeps entries of different local endpoints apart while the cache moves between them', () => {
    const table = new TupleTable<string>();
    table.set(t(1, 80, 9, 1000), 'a');
    table.set(t(1, 81, 9, 1000), 'b');
    table.set(t(0xffffffff, 80, 0xffffffff, 65535), 'c');
    expect(table.get(1, 80, 9, 1000)).toBe('a');
    expect(table.get(1, 81, 9, 1000)).toBe('b');
    expect(table.get(0xffffffff, 80, 0xffffffff, 65535)).toBe('c');
    expect(table.get(1, 82, 9, 1000)).toBeUndefined();
    expect(table.get(1, 80, 9, 1001)).toBeUndefined();
    expect(table.size).toBe(3);
  });

  it('counts a replaced value once and deletes only the given value when asked to', () => {
    const table = new TupleTable<string>();
    table.set(t(1, 80, 9, 1000), 'a');
    table.set(t(1, 80, 9, 1000), 'a2');
    expect(table.size).toBe(1);
    expect(table.delete(t(1, 80, 9, 1000), 'a')).toBe(false);
    expect(table.get(1, 80, 9, 1000)).toBe('a2');
    expect(table.delete(t(1, 80, 9, 1000), 'a2')).toBe(true);
    expect(table.delete(t(1, 80, 9, 1000))).toBe(false);
    expect(table.size).toBe(0);
  });

  it('forgets a local endpoint emptied while cached, and serves it again once refilled', () => {
    const table = new TupleTable<number>();
    table.set(t(1, 80, 9, 1000), 0);
    expect(table.get(1, 80, 9, 1000)).toBe(0);
    expect(table.delete(t(1, 80, 9, 1000))).toBe(true);
    expect(table.get(1, 80, 9, 1000)).toBeUndefined();
    expect([...table.values()]).toEqual([]);
    table.set(t(1, 80, 9, 1001), 7);
    table.set(t(2, 80, 9, 1001), 8);
    expect(table.get(1, 80, 9, 1001)).toBe(7);
    expect(table.get(1, 80, 9, 1000)).toBeUndefined();
    expect([...table.values()].sort()).toEqual([7, 8]);
    expect(table.size).toBe(2);
  });
});

describe('TupleTable.take', () => {
  it('returns and removes the value, and leaves other entries', () => {
    const table = new TupleTable<number>();
    table.set(t(1, 80, 9, 1000), 0);
    table.set(t(1, 80, 9, 1001), 1);
    expect(table.take(t(1, 80, 9, 1000))).toBe(0);
    expect(table.take(t(1, 80, 9, 1000))).toBeUndefined();
    expect(table.get(1, 80, 9, 1001)).toBe(1);
    expect(table.size).toBe(1);
  });
});
