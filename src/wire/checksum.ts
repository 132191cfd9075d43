/**
 * The internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * The hot path reads the payload as aligned 32-bit words straight from the
 * packet's memory (see sumBytes) and folds once at the end; partial sums are
 * plain JS numbers (exact to 2^53) so header, pseudo header and payload sums
 * can be added before folding (RFC 1071 §2(C), deferred carries).
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * One Uint32Array view over the ArrayBuffer last summed. Packets of a batch
 * share the addon's slab (and small Buffers share Node's pool), so this is
 * nearly always a hit and no view is allocated per packet. It only caches a
 * view, never a result, so it cannot leak state between stacks.
 */
let cachedBuffer: ArrayBufferLike | undefined;
let cachedWords: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

function wordsOf(ab: ArrayBufferLike): Uint32Array<ArrayBufferLike> {
  if (ab !== cachedBuffer) {
    cachedBuffer = ab;
    cachedWords = new Uint32Array(ab, 0, ab.byteLength >>> 2);
  }
  return cachedWords;
}

/**
 * Sum native-order 32-bit words u32[k, e) as 16-bit halves in two int32
 * lanes (integer adds stay out of floating point), folded to 16 bits.
 * At most 16384 words per call so neither lane can overflow 2^31.
 */
function sumWords(u32: Uint32Array<ArrayBufferLike>, k: number, e: number): number {
  let lo = 0;
  let hi = 0;
  for (; k + 4 <= e; k += 4) {
    const a = u32[k];
    const b = u32[k + 1];
    const c = u32[k + 2];
    const d = u32[k + 3];
    lo = (lo + (a & 0xffff) + (b & 0xffff) + (c & 0xffff) + (d & 0xffff)) | 0;
    hi = (hi + (a >>> 16) + (b >>> 16) + (c >>> 16) + (d >>> 16)) | 0;
  }
  for (; k < e; k++) {
    const a = u32[k];
    lo = (lo + (a & 0xffff)) | 0;
    hi = (hi + (a >>> 16)) | 0;
  }
  let t = (lo >>> 16) + (lo & 0xffff) + (hi >>> 16) + (hi & 0xffff);
  t = (t >>> 16) + (t & 0xffff);
  return (t >>> 16) + (t & 0xffff);
}

/**
 * Bytes at region positions [from, to) summed as big-endian 16-bit words
 * (even positions are high bytes). Pairs at a time: a per-byte parity branch
 * made a 20-byte IPv4 header cost twice as much (bench:tcp profile).
 */
function sumBytesBE(buf: Uint8Array, off: number, from: number, to: number): number {
  let s = 0;
  let i = from;
  if (i < to && (i & 1) === 1) s += buf[off + i++];
  for (; i + 1 < to; i += 2) s += (buf[off + i] << 8) | buf[off + i + 1];
  if (i < to) s += buf[off + i] << 8;
  return s;
}

/**
 * Add the bytes of buf[off, off+len) to `acc` (an unfolded partial sum in
 * network byte order) and return the new partial sum.
 *
 * The middle of the region is read as aligned native 32-bit words through a
 * Uint32Array over the same memory (no copy). On a little-endian machine
 * those words pair bytes the other way round; the ones'-complement sum is
 * byte-order independent up to a final byte swap (RFC 1071 §2(B)), and which
 * way depends only on whether the aligned words start at an even or odd
 * position of the region. Head and tail bytes (< 4 each) are summed directly.
 */
export function sumBytes(buf: Uint8Array, off: number, len: number, acc = 0): number {
  if (len < 32) return acc + sumBytesBE(buf, off, 0, len);
  const r = buf.byteOffset + off; // absolute address of the region in its ArrayBuffer
  const head = (4 - (r & 3)) & 3;
  const nWords = (len - head) >>> 2;
  const tail = head + nWords * 4;
  let be = sumBytesBE(buf, off, 0, head) + sumBytesBE(buf, off, tail, len);
  const u32 = wordsOf(buf.buffer);
  const k0 = (r + head) >>> 2;
  let t = 0;
  for (let k = k0, e = k0 + nWords; k < e; k += 16384) t += sumWords(u32, k, Math.min(e, k + 16384));
  t = (t >>> 16) + (t & 0xffff);
  t = (t >>> 16) + (t & 0xffff);
  // Native little-endian words starting at an even region position hold the
  // network-order 16-bit words byte-swapped: swap the folded sum back.
  if (LITTLE_ENDIAN && (head & 1) === 0) t = ((t & 0xff) << 8) | (t >>> 8);
  else if (!LITTLE_ENDIAN && (head & 1) === 1) t = ((t & 0xff) << 8) | (t >>> 8);
  be += t;
  return acc + be;
}

/**
 * Fold a partial sum to 16 bits (ones' complement addition with end-around
 * carry). Note a partial sum taken at an odd byte offset must not be combined
 * with others: callers sum whole headers and payloads starting at even offsets
 * relative to the checksummed region — except via `sumBytes` on the
 * concatenation order, which is always word aligned in our formats.
 */
export function fold(acc: number): number {
  // Fold 32-bit words: first the part above 2^32 (acc may exceed 32 bits).
  let hi = Math.floor(acc / 0x1_0000_0000);
  let s = (acc >>> 0) + hi;
  hi = Math.floor(s / 0x1_0000_0000);
  s = (s >>> 0) + hi;
  // Now fold the 32-bit value to 16.
  s = (s >>> 16) + (s & 0xffff);
  s = (s >>> 16) + (s & 0xffff);
  s = (s >>> 16) + (s & 0xffff);
  return s & 0xffff;
}

/** The checksum field value: ones' complement of the folded sum. */
export function finish(acc: number): number {
  return ~fold(acc) & 0xffff;
}

/** Checksum of one region (e.g. an IPv4 header or an ICMP message). */
export function checksum(buf: Uint8Array, off: number, len: number): number {
  return finish(sumBytes(buf, off, len));
}

/**
 * Partial sum of the TCP/UDP pseudo-header (RFC 9293 §3.1, RFC 768):
 * source, destination, zero, protocol, transport length.
 */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 0) + (dst >>> 0) + protocol + length;
}

/**
 * Incremental update of a checksum field when one 16-bit word changes from
 * `oldWord` to `newWord`: HC' = ~(~HC + ~m + m') (RFC 1624 §3, eqn. 3).
 * Used when only a field such as the IPv4 TTL or a TCP port changes.
 */
export function updateChecksum16(oldChecksum: number, oldWord: number, newWord: number): number {
  let s = (~oldChecksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  s = (s >>> 16) + (s & 0xffff);
  s = (s >>> 16) + (s & 0xffff);
  return ~s & 0xffff;
}

/** Update for a 32-bit field change (e.g. a sequence number): two 16-bit updates. */
export function updateChecksum32(oldChecksum: number, oldValue: number, newValue: number): number {
  const c = updateChecksum16(oldChecksum, oldValue >>> 16, newValue >>> 16);
  return updateChecksum16(c, oldValue & 0xffff, newValue & 0xffff);
}
