/**
 * The wire layer: typed, zero-copy views over packet bytes, one file per header.
 *
 * The rule (after smoltcp `wire/mod.rs`), which every file here follows:
 *
 * 1. Module-level offset constants (`const SEQ = 4, ACK = 8`).
 * 2. A thin View over (buf, offset) with getters/setters and no copying.
 *    `View.parse(buf)` is the checked constructor for untrusted input: it
 *    validates every length once and returns a View or a drop reason (a
 *    string naming the counter to bump); afterwards accessors never re-check.
 *    `View.over(buf)` is unchecked and only for emitting into a buffer sized
 *    by `repr.bufferLen()` / the header length.
 * 3. A Repr — plain data — with `parse` (the one place that rejects and
 *    normalises: illegal flag combinations, option lengths, window scale
 *    above 14), `bufferLen` and `emit`. Protocol logic works on Reprs and
 *    views, never on raw offsets.
 *
 * Nothing here throws on hostile input; nothing here allocates per field.
 */
export * from './checksum.js';
export * from './ip-address.js';
export * from './ipv4.js';
export * from './icmpv4.js';
export * from './udp.js';
export * from './ethernet.js';
export * from './arp.js';
