/**
 * Demultiplexing tables: connections by 4-tuple, listeners by local port,
 * and ephemeral port allocation for active opens.
 *
 * A 4-tuple is 96 bits, more than a double holds exactly, so the table is two
 * levels of Map keyed by exact 48-bit numbers (address * 2^16 + port): local
 * endpoint, then remote endpoint. Lookups allocate nothing.
 */
import type { Rng } from '../util/random.js';
import { randInt } from '../util/random.js';
import type { FourTuple } from './env.js';

const endpointKey = (addr: number, port: number): number => (addr >>> 0) * 0x10000 + (port & 0xffff);

export class TupleTable<T> {
  private readonly byLocal = new Map<number, Map<number, T>>();
  private count = 0;
  /**
   * The inner map of the local endpoint used last: a server's connections
   * nearly all share one, so most operations skip the outer lookup (each
   * Map operation on a 48-bit key hashes a heap number; bench/conn-lifecycle.ts).
   */
  private lastKey = -1;
  private lastInner: Map<number, T> | undefined;

  get size(): number {
    return this.count;
  }

  private innerOf(lk: number): Map<number, T> | undefined {
    if (lk === this.lastKey) return this.lastInner;
    const inner = this.byLocal.get(lk);
    if (inner !== undefined) {
      this.lastKey = lk;
      this.lastInner = inner;
    }
    return inner;
  }

  get(localAddr: number, localPort: number, remoteAddr: number, remotePort: number): T | undefined {
    return this.innerOf(endpointKey(localAddr, localPort))?.get(endpointKey(remoteAddr, remotePort));
  }

  getTuple(t: FourTuple): T | undefined {
    return this.get(t.localAddr, t.localPort, t.remoteAddr, t.remotePort);
  }

  has(t: FourTuple): boolean {
    return this.getTuple(t) !== undefined;
  }

  set(t: FourTuple, v: T): void {
    const lk = endpointKey(t.localAddr, t.localPort);
    let inner = this.innerOf(lk);
    if (!inner) {
      inner = new Map();
      this.byLocal.set(lk, inner);
      this.lastKey = lk;
      this.lastInner = inner;
    }
    const before = inner.size;
    inner.set(endpointKey(t.remoteAddr, t.remotePort), v);
    this.count += inner.size - before;
  }

  /** Remove the entry for `t`; if `only` is given, only when it is that value (a stale unregister must not evict a successor). */
  delete(t: FourTuple, only?: T): boolean {
    return this.remove(t.localAddr, t.localPort, t.remoteAddr, t.remotePort, only);
  }

  /** delete() by fields, for callers that hold the tuple in numbers (no object per call). */
  remove(localAddr: number, localPort: number, remoteAddr: number, remotePort: number, only?: T): boolean {
    const lk = endpointKey(localAddr, localPort);
    const inner = this.innerOf(lk);
    if (!inner) return false;
    const rk = endpointKey(remoteAddr, remotePort);
    if (only !== undefined && inner.get(rk) !== only) return false;
    // Map#delete says whether it found the key: no separate has() (each is a hash of a heap number).
    if (!inner.delete(rk)) return false;
    this.count--;
    if (inner.size === 0) {
      this.byLocal.delete(lk);
      if (this.lastInner === inner) {
        this.lastKey = -1;
        this.lastInner = undefined;
      }
    }
    return true;
  }

  /** Remove the entry for `t` and return its value (undefined if none): one lookup fewer than get() then delete(). */
  take(t: FourTuple): T | undefined {
    const v = this.getTuple(t);
    if (v !== undefined) this.delete(t);
    return v;
  }

  *values(): IterableIterator<T> {
    for (const inner of this.byLocal.values()) yield* inner.values();
  }
}

/**
 * Pick a local port for an active open to remoteAddr:remotePort. Starts at a
 * random point of [min, max] (RFC 6056 §3.3.1 "simple port randomization",
 * from the injected rng) and probes upward, wrapping, until `inUse` says the
 * resulting 4-tuple is free. Returns undefined when every port is taken
 * (→ EADDRNOTAVAIL).
 */
export function allocateEphemeralPort(
  rng: Rng,
  min: number,
  max: number,
  inUse: (localPort: number) => boolean,
): number | undefined {
  const n = max - min + 1;
  if (n <= 0) return undefined;
  const start = randInt(rng, n);
  for (let i = 0; i < n; i++) {
    const port = min + ((start + i) % n);
    if (!inUse(port)) return port;
  }
  return undefined;
}
