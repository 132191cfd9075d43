import { describe, expect, it } from 'vitest';
import {
  checksum,
  finish,
  fold,
  pseudoHeaderSum,
  sumBytes,
  updateChecksum16,
  updateChecksum32,
} from '../../src/wire/checksum.js';
import { SeededRng } from '../../src/util/random.js';

/** Reference RFC 1071 §4.1 implementation over 16-bit words, for comparison. */
function reference(buf: Uint8Array, off: number, len: number): number {
  let sum = 0;
  let i = off;
  for (; i + 1 < off + len; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i < off + len) sum += buf[i] << 8;
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000); // exact beyond 2^32
  return ~sum & 0xffff;
}

describe('internet checksum (RFC 1071)', () => {
  it('matches the RFC 1071 §3 worked example', () => {
    // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (folded); checksum = ~ddf2 = 220d.
    const b = Buffer.from('0001f203f4f5f6f7', 'hex');
    expect(fold(sumBytes(b, 0, b.length))).toBe(0xddf2);
    expect(checksum(b, 0, b.length)).toBe(0x220d);
  });

  it('verifies a real IPv4 header to zero', () => {
    // IPv4 header of an ICMP echo request from Linux 6.18 `ping 127.0.0.1` in a scratch
    // namespace (captured with tcpdump -xx -i lo).
    const h = Buffer.from('45000054f9ad4000400142f97f0000017f000001', 'hex');
    expect(checksum(h, 0, 20)).toBe(0);
  });

  it('agrees with the 16-bit reference for random lengths and offsets (seeded)', () => {
    const seed = 1234;
    const rng = new SeededRng(seed);
    for (let n = 0; n < 500; n++) {
      const len = rng.u32() % 1600;
      const off = rng.u32() % 8;
      const b = Buffer.alloc(off + len);
      for (let i = 0; i < b.length; i++) b[i] = rng.u32() & 255;
      expect(checksum(b, off, len), `seed ${seed} case ${n}`).toBe(reference(b, off, len));
    }
  });

  it('handles sums beyond 32 bits (64 KiB of 0xff)', () => {
    const b = Buffer.alloc(65536, 0xff);
    expect(checksum(b, 0, b.length)).toBe(reference(b, 0, b.length));
  });

  it('agrees with the reference for views at every alignment within a shared ArrayBuffer (word path)', () => {
    // sumBytes reads aligned native words from the underlying ArrayBuffer, so the
    // view's byteOffset matters as much as `off`: cover all of them, and lengths
    // across the 64 KiB lane-chunk boundary with all-0xff bytes (worst-case carries).
    const seed = 99;
    const rng = new SeededRng(seed);
    const big = new Uint8Array(300_000);
    for (let i = 0; i < big.length; i++) big[i] = rng.u32() & 255;
    for (let base = 0; base < 8; base++) {
      const view = big.subarray(base, base + 280_000);
      for (const len of [31, 32, 33, 35, 1460, 1461, 9001, 65535, 65536, 65539, 200_003]) {
        for (let off = 0; off < 4; off++) {
          expect(checksum(view, off, len), `seed ${seed} base ${base} off ${off} len ${len}`).toBe(reference(view, off, len));
        }
      }
    }
    const ones = new Uint8Array(270_000).fill(0xff).subarray(3);
    expect(checksum(ones, 1, 262_147)).toBe(reference(ones, 1, 262_147));
  });

  it('stays correct when consecutive calls alternate between different buffers', () => {
    const a = Buffer.from(Array.from({ length: 1500 }, (_, i) => (i * 7) & 255));
    const b = Buffer.from(Array.from({ length: 1500 }, (_, i) => (i * 13 + 5) & 255));
    for (let i = 0; i < 4; i++) {
      expect(checksum(a, 1, 1400)).toBe(reference(a, 1, 1400));
      expect(checksum(b, 2, 1401)).toBe(reference(b, 2, 1401));
    }
  });

  it('pseudo header sum folds like the byte-wise one', () => {
    const ph = Buffer.from('0a4d00010a4d00020011001c', 'hex');
    expect(fold(pseudoHeaderSum(0x0a4d0001, 0x0a4d0002, 17, 0x1c))).toBe(fold(sumBytes(ph, 0, ph.length)));
  });
});

describe('incremental update (RFC 1624)', () => {
  it('updating TTL matches recomputation', () => {
    // Same captured header as above.
    const h = Buffer.from('45000054f9ad4000400142f97f0000017f000001', 'hex');
    const oldWord = h.readUInt16BE(8);
    h[8] = 0x3f; // TTL 64 -> 63
    const updated = updateChecksum16(h.readUInt16BE(10), oldWord, h.readUInt16BE(8));
    h.writeUInt16BE(0, 10);
    expect(updated).toBe(checksum(h, 0, 20));
  });

  it('updating a 32-bit field matches recomputation (seeded)', () => {
    const rng = new SeededRng(99);
    for (let n = 0; n < 200; n++) {
      const b = Buffer.alloc(24);
      for (let i = 0; i < 24; i++) b[i] = rng.u32() & 255;
      const c0 = checksum(b, 0, 24);
      const oldV = b.readUInt32BE(8);
      const newV = rng.u32();
      b.writeUInt32BE(newV, 8);
      expect(updateChecksum32(c0, oldV, newV)).toBe(checksum(b, 0, 24));
    }
  });

  it('finish of zero sum is 0xffff', () => {
    expect(finish(0)).toBe(0xffff);
  });
});
