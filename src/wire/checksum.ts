/**
 * The internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * The hot path sums 32-bit words into a JS number: a double holds integers up
 * to 2^53 exactly, so we can add 2^21 words (8 MiB) before folding — far more
 * than any packet. Folding happens once at the end. Summing 32-bit big-endian
 * words gives the same ones'-complement result as summing 16-bit words
 * (RFC 1071 §2(B): the sum is independent of word size once folded).
 */

/** Add the bytes of buf[off, off+len) to `acc` (an unfolded partial sum). Returns the new partial sum. */
export function sumBytes(buf: Uint8Array, off: number, len: number, acc = 0): number {
  let i = off;
  const end = off + len;
  // 32-bit words, big-endian (network order), four at a time.
  const end16 = end - 15;
  while (i < end16) {
    acc +=
      ((buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3]) >>> 0;
    acc +=
      ((buf[i + 4] << 24) | (buf[i + 5] << 16) | (buf[i + 6] << 8) | buf[i + 7]) >>> 0;
    acc +=
      ((buf[i + 8] << 24) | (buf[i + 9] << 16) | (buf[i + 10] << 8) | buf[i + 11]) >>> 0;
    acc +=
      ((buf[i + 12] << 24) | (buf[i + 13] << 16) | (buf[i + 14] << 8) | buf[i + 15]) >>> 0;
    i += 16;
  }
  const end4 = end - 3;
  while (i < end4) {
    acc += ((buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3]) >>> 0;
    i += 4;
  }
  // Tail of 0..3 bytes, padded with zeros on the right (RFC 1071 §4.1).
  const rem = end - i;
  if (rem === 3) acc += ((buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8)) >>> 0;
  else if (rem === 2) acc += ((buf[i] << 24) | (buf[i + 1] << 16)) >>> 0;
  else if (rem === 1) acc += (buf[i] << 24) >>> 0;
  return acc;
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
