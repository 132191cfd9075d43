import { describe, expect, it } from 'vitest';
import { SendBuffer } from '../../src/tcp/send-buffer.js';

describe('send buffer', () => {
  it('slices within a chunk without copying and across chunks with one copy', () => {
    const b = new SendBuffer();
    const one = Buffer.from('hello');
    b.push(one);
    b.push(Buffer.from(' world'));
    expect(b.length).toBe(11);
    const s = b.slice(1, 3);
    expect(s.toString()).toBe('ell');
    one[1] = 0x45;
    expect(s.toString()).toBe('Ell'); // a view, not a copy
    expect(b.slice(3, 5).toString()).toBe('lo wo');
  });

  it('consumes acknowledged bytes from the front, across chunk boundaries', () => {
    const b = new SendBuffer();
    for (const w of ['ab', 'cd', 'ef']) b.push(Buffer.from(w));
    b.consume(3);
    expect(b.length).toBe(3);
    expect(b.slice(0, 3).toString()).toBe('def');
    b.consume(10);
    expect(b.length).toBe(0);
  });

  it('stays correct across many pushes and consumes (compaction)', () => {
    const b = new SendBuffer();
    let expected = '';
    for (let i = 0; i < 500; i++) {
      const s = String.fromCharCode(97 + (i % 26)).repeat(1 + (i % 3));
      b.push(Buffer.from(s));
      expected += s;
      if (i % 2 === 1) {
        b.consume(2);
        expected = expected.slice(2);
      }
    }
    expect(b.length).toBe(expected.length);
    expect(b.slice(0, expected.length).toString()).toBe(expected);
  });
});
