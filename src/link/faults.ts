/**
 * Link faults: one seeded fault model (smoltcp `phy::FaultInjector`, Linux
 * `tc netem` semantics) shared by the in-memory link pair and by `withFaults`,
 * which puts the same faults on any Link — in practice a TunLink, because the
 * test kernel has no sch_netem, so loss against real Linux is injected on our
 * side of the TUN.
 *
 * Every random choice comes from the injected Rng and every delay from the
 * injected Clock, so a seeded run in virtual time is reproducible; the order
 * of Rng draws per packet is fixed (loss, jitter, reorder, corrupt, duplicate)
 * and must stay so, or the seeds printed by old failures stop reproducing.
 *
 * Buffer lifetime (link.ts): a packet passed on unchanged is the original
 * Buffer; duplicates and corrupted packets are copies, so no two deliveries
 * share writable bytes. A received packet that is held back is a view over
 * the native slab, which is never written again where it was handed out
 * (native/tun.cc `Deliver`), so holding it is safe.
 */
import type { Clock } from '../time/clock.js';
import type { Link, ReceiveHandler } from './link.js';
import { makeCounters, type Counters } from '../util/counters.js';
import { randFloat, randInt, type Rng } from '../util/random.js';
import { updateChecksum16 } from '../wire/checksum.js';

export interface LinkFaults {
  /** Probability a packet is dropped. */
  loss?: number;
  /** Probability a packet is delivered twice. */
  duplicate?: number;
  /** Probability a packet is held back by `reorderHoldMs` so later packets overtake it. */
  reorder?: number;
  /** Extra delay for held-back packets (default 1 ms). */
  reorderHoldMs?: number;
  /** One-way propagation delay in ms (default 0). */
  delayMs?: number;
  /** Uniform extra delay in [0, jitterMs) per packet (may reorder, as real jitter does). */
  jitterMs?: number;
  /** Serialization rate in bytes/s; packets queue behind each other (default unlimited). */
  rateBytesPerSec?: number;
  /** Bytes that may wait for serialization before tail drop (default 256 KiB). */
  queueLimitBytes?: number;
  /** Probability one random bit of the packet is flipped. */
  corrupt?: number;
  /**
   * Probability an ECN-capable IPv4 packet (ECT(0) or ECT(1)) is marked CE,
   * as an AQM router would instead of dropping it (RFC 3168 §5); the header
   * checksum is updated (RFC 1624). Other packets pass unmarked.
   */
  ce?: number;
}

/** What the fault model counts; MemoryLink's counters include these names. */
export type FaultEventCounts = Record<'lost' | 'duplicated' | 'reordered' | 'corrupted' | 'queueDropped' | 'ceMarked', number>;

/** Called once per copy of a packet to deliver, with its arrival time. */
export type FaultEmit = (packet: Buffer, at: number) => void;

/**
 * The fault model for one direction: decides, per packet, whether it is
 * dropped, when it arrives, and whether it is corrupted or duplicated. It
 * keeps only the serialization queue's state (`busyUntil`).
 */
export class FaultShaper {
  private busyUntil = 0;

  constructor(
    private readonly rng: Rng,
    private readonly counts: FaultEventCounts,
  ) {}

  /**
   * Apply `f` to `packet` sent at `now`; `emit` is called 0, 1 or 2 times (a
   * duplicate is a copy), with `at === now` exactly when nothing delays it.
   */
  apply(f: LinkFaults, packet: Buffer, now: number, emit: FaultEmit): void {
    const c = this.counts;
    const rng = this.rng;
    if (f.loss && randFloat(rng) < f.loss) {
      c.lost++;
      return;
    }
    const at = this.arrival(f, packet.length, now);
    if (at === undefined) {
      c.queueDropped++;
      return;
    }
    let p = packet;
    if (f.corrupt && randFloat(rng) < f.corrupt && p.length > 0) {
      p = Buffer.from(p);
      p[randInt(rng, p.length)] ^= 1 << randInt(rng, 8);
      c.corrupted++;
    }
    if (f.ce && isEctIpv4(p) && randFloat(rng) < f.ce) {
      p = markCe(p);
      c.ceMarked++;
    }
    emit(p, at);
    if (f.duplicate && randFloat(rng) < f.duplicate) {
      c.duplicated++;
      emit(Buffer.from(p), at);
    }
  }

  /**
   * Arrival time: after the serialization queue (rate limit), propagation
   * delay and jitter; undefined if the queue is full (tail drop).
   */
  private arrival(f: LinkFaults, len: number, now: number): number | undefined {
    let t = now;
    if (f.rateBytesPerSec && f.rateBytesPerSec > 0) {
      const start = Math.max(now, this.busyUntil);
      const backlogBytes = ((start - now) * f.rateBytesPerSec) / 1000;
      if (backlogBytes + len > (f.queueLimitBytes ?? 256 * 1024)) return undefined;
      this.busyUntil = start + (len * 1000) / f.rateBytesPerSec;
      t = this.busyUntil;
    }
    t += f.delayMs ?? 0;
    if (f.jitterMs) t += randFloat(this.rng) * f.jitterMs;
    if (f.reorder && randFloat(this.rng) < f.reorder) {
      this.counts.reordered++;
      t += f.reorderHoldMs ?? 1;
    }
    return t;
  }
}

/** An IPv4 packet (version 4, whole header present) whose ECN field is ECT(0) or ECT(1). */
function isEctIpv4(p: Buffer): boolean {
  if (p.length < 20 || p[0] >> 4 !== 4) return false;
  const ecn = p[1] & 3;
  return ecn === 1 || ecn === 2;
}

/**
 * Set the ECN field of `p` to CE in place, as a router rewrites the packet
 * it forwards, updating the header checksum incrementally (RFC 1624 eqn. 3).
 * In place, so a received packet keeps the link's checksum verdict (the TCP
 * checksum does not cover the TOS byte).
 */
function markCe(p: Buffer): Buffer {
  const oldWord = p.readUInt16BE(0);
  p[1] |= 3;
  p.writeUInt16BE(updateChecksum16(p.readUInt16BE(10), oldWord, p.readUInt16BE(0)), 10);
  return p;
}

export const FAULT_COUNTERS = [
  'packets',
  'passed',
  'held',
  'lost',
  'duplicated',
  'reordered',
  'corrupted',
  'queueDropped',
  'ceMarked',
] as const;
export type FaultCounter = (typeof FAULT_COUNTERS)[number];

export interface WithFaultsOptions {
  clock: Clock;
  rng: Rng;
  /** Faults on what the stack sends; mutable at any time through `faults.tx`. */
  tx?: LinkFaults;
  /** Faults on what the stack receives, per packet of each batch. */
  rx?: LinkFaults;
}

export type FaultyLink = Link & {
  /** The live fault settings; change them mid-run as with MemoryLink.faults. */
  readonly faults: { tx: LinkFaults; rx: LinkFaults };
  readonly counters: { tx: Counters<FaultCounter>; rx: Counters<FaultCounter> };
};

/**
 * Wrap `link` so what is sent (tx) and received (rx) goes through the fault
 * model. A packet due now is passed on at once (sent in the same turn, or
 * delivered in the same batch it came in); a delayed one is passed on from a
 * clock timer, and delayed received packets due at the same instant form one
 * batch. The wrapper forwards the wrapped link's counter groups and adds
 * `Faults` (tx… and rx… counters).
 */
export function withFaults(link: Link, opts: WithFaultsOptions): FaultyLink {
  const { clock, rng } = opts;
  const faults = { tx: { ...(opts.tx ?? {}) }, rx: { ...(opts.rx ?? {}) } };
  const counters = { tx: makeCounters(FAULT_COUNTERS), rx: makeCounters(FAULT_COUNTERS) };
  const txShaper = new FaultShaper(rng, counters.tx);
  const rxShaper = new FaultShaper(rng, counters.rx);
  let handler: ReceiveHandler | undefined;
  let closed = false;
  // Held received packets by arrival instant: one batch per instant.
  const held = new Map<number, Buffer[]>();
  // Received packets whose checksum the link vouched for (RxMeta): the mark
  // follows the packet through delays; copies (duplicates, corruption) lose it
  // and are verified like any packet. Transmit offloads are not forwarded
  // (no caps): faults apply to MTU-sized packets with full checksums.
  const vouched = new WeakSet<Buffer>();
  const deliver = (h: ReceiveHandler, batch: Buffer[]): void => {
    const verified = new Uint8Array(batch.length);
    for (let i = 0; i < batch.length; i++) verified[i] = vouched.has(batch[i]) ? 1 : 0;
    h(batch, { checksumVerified: verified });
  };
  let rxNow: Buffer[] = [];
  let rxClock = 0;
  let txClock = 0;

  const txEmit: FaultEmit = (p, at) => {
    const c = counters.tx;
    if (at <= txClock) {
      c.passed++;
      link.send(p);
      return;
    }
    c.held++;
    clock.setTimer(at, () => {
      if (closed) return;
      c.passed++;
      link.send(p);
    });
  };

  const rxEmit: FaultEmit = (p, at) => {
    const c = counters.rx;
    if (at <= rxClock) {
      rxNow.push(p);
      return;
    }
    c.held++;
    const bucket = held.get(at);
    if (bucket) {
      bucket.push(p);
      return;
    }
    held.set(at, [p]);
    clock.setTimer(at, () => {
      const batch = held.get(at);
      held.delete(at);
      if (closed || !batch || !handler) return;
      c.passed += batch.length;
      deliver(handler, batch);
    });
  };

  link.onReceive((packets, meta) => {
    rxNow = [];
    rxClock = clock.now();
    counters.rx.packets += packets.length;
    if (meta) for (let i = 0; i < packets.length; i++) if (meta.checksumVerified[i] === 1) vouched.add(packets[i]);
    for (const p of packets) rxShaper.apply(faults.rx, p, rxClock, rxEmit);
    const batch = rxNow;
    rxNow = [];
    if (batch.length === 0 || !handler || closed) return;
    counters.rx.passed += batch.length;
    deliver(handler, batch);
  });

  return {
    faults,
    counters,
    get mtu() {
      return link.mtu;
    },
    get counterGroups() {
      return { ...link.counterGroups, Faults: flatCounters(counters.tx, counters.rx) };
    },
    send(packet: Buffer): void {
      if (closed) return;
      counters.tx.packets++;
      txClock = clock.now();
      txShaper.apply(faults.tx, packet, txClock, txEmit);
    },
    onReceive(h: ReceiveHandler): void {
      handler = h;
    },
    async close(): Promise<void> {
      closed = true;
      handler = undefined;
      held.clear();
      await link.close();
    },
  };
}

function flatCounters(tx: Counters<FaultCounter>, rx: Counters<FaultCounter>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of FAULT_COUNTERS) {
    const name = k[0].toUpperCase() + k.slice(1);
    out['tx' + name] = tx[k];
    out['rx' + name] = rx[k];
  }
  return out;
}

const FAULT_KEYS: ReadonlyArray<keyof LinkFaults> = [
  'loss',
  'duplicate',
  'reorder',
  'reorderHoldMs',
  'delayMs',
  'jitterMs',
  'rateBytesPerSec',
  'queueLimitBytes',
  'corrupt',
  'ce',
];
const PROBABILITIES = new Set<keyof LinkFaults>(['loss', 'duplicate', 'reorder', 'corrupt', 'ce']);

export interface FaultSpec {
  tx?: LinkFaults;
  rx?: LinkFaults;
  /** Seed for a SeededRng; absent: the caller's own randomness. */
  seed?: number;
}

/**
 * Parse a fault spec such as `{"tx":{"loss":0.05},"rx":{"loss":0.05},"seed":7}`
 * (the test-only TUNSTACK_FAULTS of `tunstack up`). Returns the spec or an
 * error message naming the bad field.
 */
export function parseFaultSpec(json: string): FaultSpec | string {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return 'fault spec is not JSON';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'fault spec must be a JSON object';
  const spec: FaultSpec = {};
  for (const [k, val] of Object.entries(v)) {
    if (k === 'seed') {
      if (typeof val !== 'number' || !Number.isInteger(val)) return 'seed must be an integer';
      spec.seed = val >>> 0;
    } else if (k === 'tx' || k === 'rx') {
      const f = parseDirection(k, val);
      if (typeof f === 'string') return f;
      spec[k] = f;
    } else return `unknown fault spec field '${k}' (tx, rx, seed)`;
  }
  return spec;
}

function parseDirection(dir: string, v: unknown): LinkFaults | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${dir} must be an object`;
  const f: LinkFaults = {};
  for (const [k, val] of Object.entries(v)) {
    const key = FAULT_KEYS.find((x) => x === k);
    if (!key) return `unknown fault '${dir}.${k}' (${FAULT_KEYS.join(', ')})`;
    if (typeof val !== 'number' || !Number.isFinite(val) || val < 0) return `${dir}.${k} must be a number >= 0`;
    if (PROBABILITIES.has(key) && val > 1) return `${dir}.${k} is a probability (0..1)`;
    f[key] = val;
  }
  return f;
}
