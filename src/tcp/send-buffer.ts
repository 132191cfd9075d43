/**
 * Send buffer: bytes written by the application and not yet acknowledged,
 * kept as the Buffers the application handed us (referenced, not copied).
 * Offset 0 is SND.UNA's byte; the connection maps sequence numbers to offsets.
 */
import type { MemoryAccount } from './memory.js';

/**
 * Shared by every empty send buffer (frozen: a push would throw): an idle
 * connection holds no array of its own, and a drained one lets go of its
 * array (bench/scale.ts).
 */
const NO_CHUNKS: Buffer[] = Object.freeze([]) as unknown as Buffer[];

export class SendBuffer {
  /** The layer's tcp_mem account (memory.ts), charged as bytes come and go. */
  account: MemoryAccount | undefined;
  private chunks: Buffer[] = NO_CHUNKS;
  private head = 0;
  /** Bytes of chunks[head] already consumed (acknowledged). */
  private headOff = 0;
  private len = 0;

  get length(): number {
    return this.len;
  }

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.len += data.length;
    this.account?.charge(data.length);
    // Bytes that continue the last chunk in memory (socket writes packed by
    // WriteArena) extend it, so a segment over both is a subarray, not a copy.
    const n = this.chunks.length;
    if (n > this.head) {
      const last = this.chunks[n - 1];
      if (last.buffer === data.buffer && last.byteOffset + last.length === data.byteOffset) {
        this.chunks[n - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + data.length);
        return;
      }
    }
    if (this.chunks === NO_CHUNKS) this.chunks = [];
    this.chunks.push(data);
  }

  /** Drop `n` acknowledged bytes from the front. */
  consume(n: number): void {
    let left = Math.min(n, this.len);
    this.len -= left;
    this.account?.charge(-left);
    while (left > 0) {
      const c = this.chunks[this.head];
      const avail = c.length - this.headOff;
      if (left < avail) {
        this.headOff += left;
        break;
      }
      left -= avail;
      this.head++;
      this.headOff = 0;
    }
    if (this.len === 0 && this.headOff === 0 && this.head === this.chunks.length) {
      this.chunks = NO_CHUNKS; // drained: release the array
      this.head = 0;
    }
    // Compact occasionally so the array does not grow without bound.
    else if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * `n` bytes starting at `offset`: a subarray when they lie in one chunk,
   * otherwise one copy (the segment payload).
   */
  slice(offset: number, n: number): Buffer {
    let i = this.head;
    let off = offset + this.headOff;
    while (i < this.chunks.length && off >= this.chunks[i].length) {
      off -= this.chunks[i].length;
      i++;
    }
    const first = this.chunks[i];
    if (off + n <= first.length) return first.subarray(off, off + n);
    const out = Buffer.allocUnsafe(n);
    let w = 0;
    while (w < n) {
      const c = this.chunks[i++];
      const take = Math.min(c.length - off, n - w);
      c.copy(out, w, off, off + take);
      w += take;
      off = 0;
    }
    return out;
  }

  clear(): void {
    this.account?.charge(-this.len);
    this.chunks = NO_CHUNKS;
    this.head = 0;
    this.headOff = 0;
    this.len = 0;
  }
}
