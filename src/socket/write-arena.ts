/**
 * Where socket writes are copied (the one copy of the payload, at write():
 * Node lets the caller reuse a Buffer once its write callback has run, so
 * TCP must own its bytes). Writes up to a block are packed back to back into
 * 1 MiB blocks, so consecutive writes are adjacent in memory and the send
 * buffer merges them into one run (send-buffer.ts push): segments and GSO
 * super-packets then reference the payload instead of gathering it from many
 * chunks with another copy.
 *
 * A block is needed as long as any unacknowledged byte in it. Once the
 * socket reports (`release`) that the stream is acknowledged past a full
 * block's last byte, the block is kept for reuse instead of allocating fresh
 * memory for the next MiB: a fresh block costs page faults and, being
 * external memory, GC pressure on every MiB sent (bench:profile down on).
 * Nothing else keeps a view of acknowledged bytes: TCP copies the payload
 * into each packet it emits and drops acknowledged chunks.
 */
const BLOCK = 1 << 20;
/** Full blocks a socket remembers while their bytes are in flight; older ones are left to the GC. */
const MAX_RETIRED = 8;
/**
 * Acknowledged blocks waiting for reuse, shared by every socket of the
 * process like Node's own Buffer pool, so memory held for reuse stays a few
 * MiB however many sockets have streamed (a per-socket spare would pin a
 * block in every idle connection).
 */
const SPARE_BLOCKS = 4;
const spare: Buffer[] = [];
/**
 * A socket's first bytes (before it has a block) are copied into Node's
 * pooled small Buffers instead: a short-lived connection that writes one
 * response would otherwise allocate a 1 MiB block of its own, never filled
 * and so never reused — at Connection: close rates a third of the CPU went
 * to collecting them (bench/conn-rate.ts). Streams move to blocks after this.
 */
const POOLED_START = 64 * 1024;

/** The block of an arena that has not needed one yet: shared, so a short connection allocates nothing here. */
const NO_BLOCK = Buffer.alloc(0);

export class WriteArena {
  private block: Buffer = NO_BLOCK;
  private used = 0;
  /** Stream offset just past the last byte copied into a block. */
  private copied = 0;
  /** Full blocks still holding unacknowledged bytes, oldest first, with the stream offset past their last byte (created with the second block). */
  private retired: Array<{ block: Buffer; end: number }> | null = null;
  /** Blocks taken from the spares instead of allocated (for tests and bench). */
  reused = 0;

  copy(src: Uint8Array): Buffer {
    const n = src.length;
    if (this.block.length === 0 && this.copied + n <= POOLED_START) {
      this.copied += n;
      const out = Buffer.allocUnsafe(n);
      out.set(src);
      return out;
    }
    // Larger than a block: its own allocation, already one contiguous run.
    if (n > BLOCK) {
      this.copied += n;
      return Buffer.from(src);
    }
    if (this.used + n > this.block.length) this.nextBlock();
    const out = this.block.subarray(this.used, this.used + n);
    out.set(src);
    this.used += n;
    this.copied += n;
    return out;
  }

  /** A string written in `encoding`, encoded once into the arena (what net.Socket's writeUtf8String spares). */
  copyString(src: string, encoding: BufferEncoding): Buffer {
    const n = Buffer.byteLength(src, encoding);
    if (n > BLOCK || (this.block.length === 0 && this.copied + n <= POOLED_START)) {
      // Buffer.from pools small strings; byteLength may overestimate malformed base64/hex.
      const out = Buffer.from(src, encoding);
      this.copied += out.length;
      return out;
    }
    if (this.used + n > this.block.length) this.nextBlock();
    const written = this.block.write(src, this.used, n, encoding);
    const out = this.block.subarray(this.used, this.used + written);
    this.used += written;
    this.copied += written;
    return out;
  }

  /**
   * Every byte copied before stream offset `acked` (counted from the first
   * copy) is acknowledged: full blocks that end there may be reused.
   */
  release(acked: number): void {
    const r = this.retired;
    while (r !== null && r.length > 0 && r[0].end <= acked) {
      const { block } = r.shift()!;
      if (spare.length < SPARE_BLOCKS) spare.push(block);
    }
  }

  private nextBlock(): void {
    if (this.block.length > 0) {
      const r = (this.retired ??= []);
      r.push({ block: this.block, end: this.copied });
      if (r.length > MAX_RETIRED) r.shift();
    }
    const reuse = spare.pop();
    if (reuse) this.reused++;
    this.block = reuse ?? Buffer.allocUnsafeSlow(BLOCK);
    this.used = 0;
  }
}
