/**
 * Where socket writes are copied (the one copy of the payload, at write():
 * Node lets the caller reuse a Buffer once its write callback has run, so
 * TCP must own its bytes). Small and medium writes are packed back to back
 * into 1 MiB blocks, so consecutive writes are adjacent in memory and the
 * send buffer merges them into one run (send-buffer.ts push): segments and
 * GSO super-packets then reference the payload instead of gathering it from
 * many chunks with another copy. A block lives as long as any unacknowledged
 * byte in it.
 */
const BLOCK = 1 << 20;

export class WriteArena {
  private block: Buffer = Buffer.alloc(0);
  private used = 0;

  copy(src: Uint8Array): Buffer {
    const n = src.length;
    // Large writes get their own allocation: already one contiguous run.
    if (n > BLOCK / 4) return Buffer.from(src);
    if (this.used + n > this.block.length) {
      this.block = Buffer.allocUnsafeSlow(BLOCK);
      this.used = 0;
    }
    const out = this.block.subarray(this.used, this.used + n);
    out.set(src);
    this.used += n;
    return out;
  }

  /** A string written in `encoding`, encoded straight into the arena (what net.Socket's writeUtf8String spares). */
  copyString(src: string, encoding: BufferEncoding): Buffer {
    const n = Buffer.byteLength(src, encoding);
    if (n > BLOCK / 4) return Buffer.from(src, encoding);
    if (this.used + n > this.block.length) {
      this.block = Buffer.allocUnsafeSlow(BLOCK);
      this.used = 0;
    }
    // byteLength is exact for text; for malformed base64/hex it may
    // overestimate, so what was written decides.
    const written = this.block.write(src, this.used, n, encoding);
    const out = this.block.subarray(this.used, this.used + written);
    this.used += written;
    return out;
  }
}
