/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4). This is the only
 * module that compares sequence numbers: everywhere else calls these, so a
 * wrap-around bug can live in one place only (gVisor `seqnum`, smoltcp
 * `SeqNumber`). Sequence numbers are carried as unsigned 32-bit JS numbers.
 */

export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** Signed distance a - b, in (-2^31, 2^31]. */
export function seqSub(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

export function seqMax(a: number, b: number): number {
  return seqGe(a, b) ? a : b;
}

export function seqMin(a: number, b: number): number {
  return seqLe(a, b) ? a : b;
}

/** lo <= x < hi, modulo 2^32 (the RFC's "RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND"). */
export function seqInRange(x: number, lo: number, hi: number): boolean {
  return seqLe(lo, x) && seqLt(x, hi);
}
