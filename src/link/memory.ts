/**
 * In-memory links for tests and simulations (gVisor `link/channel`, smoltcp
 * `phy::FaultInjector`): two endpoints connected back to back, delivering in
 * virtual time through the injected Clock. Nothing is ever delivered inside
 * `send`: a packet arrives at now + delay (+ jitter, + serialization time),
 * and everything arriving at one instant reaches the receiver as one batch.
 *
 * Faults are per direction (the sender's `faults` object, mutable at any
 * time) and every random choice comes from the injected Rng, so a seeded run
 * is reproducible. The fault model itself lives in faults.ts, shared with
 * `withFaults`, which puts the same faults on a real link.
 *
 * Buffer lifetime: the receiver gets the sender's Buffer itself (ownership
 * passes with `send`, link.ts); duplicates and corrupted packets are copies,
 * so no two deliveries share writable bytes.
 */
import type { Clock } from '../time/clock.js';
import type { Link, LinkCapabilities, ReceiveHandler } from './link.js';
import { completeChecksum, segmentTcp4 } from './gso.js';
import { makeCounters, type Counters } from '../util/counters.js';
import type { Rng } from '../util/random.js';
import { FaultShaper, type FaultEmit, type LinkFaults } from './faults.js';

export type { LinkFaults };

export const MEMORY_LINK_COUNTERS = [
  'sent',
  'delivered',
  'lost',
  'duplicated',
  'reordered',
  'corrupted',
  'queueDropped',
  'ceMarked',
  'oversize',
  'afterClose',
  'gsoPackets',
  'gsoSegments',
] as const;
export type MemoryLinkCounter = (typeof MEMORY_LINK_COUNTERS)[number];

/** Bytes of a TX slab (Link.allocTx); packets are carved from it front to back. */
const TX_SLAB = 1 << 20;

export interface MemoryLinkOptions {
  clock: Clock;
  rng: Rng;
  /** Largest packet carried (default 1500). */
  mtu?: number;
  /** Bytes allowed on top of `mtu` (e.g. 14 for Ethernet frames); default 0. */
  headerRoom?: number;
  /** Faults applied in both directions (each endpoint gets its own copy). */
  faults?: LinkFaults;
  /** Faults for a→b and b→a, overriding `faults`. */
  faultsAtoB?: LinkFaults;
  faultsBtoA?: LinkFaults;
  /**
   * GSO mode, so virtual-time tests cover the offloaded paths: the link
   * offers checksum offload and super-packets up to `maxSize` bytes.
   * 'segments' (default) cuts each super-packet into the MSS segments it
   * stands for and completes checksums, as the kernel does behind a TUN
   * with TSO; 'super' delivers it whole with RxMeta.checksumVerified, as
   * the kernel hands GRO/TSO super-packets to a TUN reader.
   */
  gso?: { maxSize?: number; deliver?: 'segments' | 'super' };
}

export class MemoryLink implements Link {
  readonly mtu: number;
  /** Faults applied to what this endpoint sends; mutate freely. */
  faults: LinkFaults;
  /** Counts for packets sent by this endpoint (the outgoing direction). */
  readonly counters: Counters<MemoryLinkCounter> = makeCounters(MEMORY_LINK_COUNTERS);
  peer: MemoryLink | undefined;
  readonly caps: LinkCapabilities | undefined;
  private handler: ReceiveHandler | undefined;
  private inbox: Buffer[] = [];
  /** Parallel to inbox: 1 where the packet's checksum is vouched for. */
  private inboxVerified: number[] = [];
  /** Super-packets sent whole in 'super' mode (their checksum is partial). */
  private readonly vouched = new WeakSet<Buffer>();
  private flushArmed = false;
  private closed = false;
  private readonly shaper: FaultShaper;
  private readonly emit: FaultEmit = (p, at) => this.schedule(p, at);
  private txSlab: Buffer = Buffer.alloc(0);
  private txPos = 0;

  constructor(
    private readonly clock: Clock,
    rng: Rng,
    mtu: number,
    private readonly maxLen: number,
    faults: LinkFaults,
    private readonly gso?: { maxSize?: number; deliver?: 'segments' | 'super' },
  ) {
    this.mtu = mtu;
    this.caps = gso
      ? {
          mtu,
          headroom: 0,
          rxChecksumVerified: gso.deliver === 'super',
          txChecksumOffload: true,
          gsoMaxSize: Math.min(65535, gso.maxSize ?? 65535),
        }
      : undefined;
    this.faults = faults;
    this.shaper = new FaultShaper(rng, this.counters);
  }

  /**
   * Link.allocTx: packets carved front to back from a slab that is never
   * written again where it was handed out (the receiver may keep views of
   * what it got, link.ts), and replaced when full: one allocation per MiB
   * instead of one per packet (a 64 KiB super-packet is an ArrayBuffer of
   * its own under Buffer.allocUnsafe; bench:tcp --gso profile).
   */
  allocTx(len: number): Buffer {
    if (this.txPos + len > this.txSlab.length) {
      if (len > TX_SLAB / 4) return Buffer.allocUnsafe(len);
      this.txSlab = Buffer.allocUnsafeSlow(TX_SLAB);
      this.txPos = 0;
    }
    const b = this.txSlab.subarray(this.txPos, this.txPos + len);
    // 8-byte aligned, so the checksum's 32-bit reads stay aligned.
    this.txPos = (this.txPos + len + 7) & ~7;
    return b;
  }

  send(packet: Buffer, gsoSize = 0, csumPartial = false): void {
    const c = this.counters;
    if (this.closed) {
      c.afterClose++;
      return;
    }
    if (this.gso && (gsoSize > 0 || csumPartial)) {
      this.sendOffloaded(packet, gsoSize, csumPartial);
      return;
    }
    this.sendOne(packet);
  }

  /** GSO mode: cut and checksum like the kernel, or pass the super-packet whole. */
  private sendOffloaded(packet: Buffer, gsoSize: number, csumPartial: boolean): void {
    const c = this.counters;
    if (packet.length > (this.caps?.gsoMaxSize ?? 0)) {
      c.oversize++;
      return;
    }
    if (this.gso?.deliver === 'super') {
      if (packet.length > this.mtu) c.gsoPackets++;
      if (csumPartial) {
        // Faults may copy it (duplicate, corrupt) and copies are not vouched
        // for: give it a real checksum then, so a duplicate still verifies
        // and a corrupted copy does not.
        if (this.faults.duplicate || this.faults.corrupt) completeChecksum(packet);
        this.vouched.add(packet);
      }
      c.sent++;
      this.shaper.apply(this.faults, packet, this.clock.now(), this.emit);
      return;
    }
    if (packet[9] !== 6) {
      if (csumPartial) completeChecksum(packet);
      this.sendOne(packet);
      return;
    }
    const segs = segmentTcp4(packet, gsoSize);
    if (segs.length > 1) c.gsoPackets++;
    c.gsoSegments += segs.length;
    for (const s of segs) this.sendOne(s);
  }

  private sendOne(packet: Buffer): void {
    const c = this.counters;
    if (packet.length > this.maxLen) {
      c.oversize++;
      return;
    }
    c.sent++;
    this.shaper.apply(this.faults, packet, this.clock.now(), this.emit);
  }

  private schedule(p: Buffer, at: number): void {
    const peer = this.peer;
    if (!peer) return;
    this.clock.setTimer(at, () => {
      if (peer.deliver(p)) this.counters.delivered++;
    });
  }

  /** Collect an arrival; one flush per instant hands the batch to the handler. */
  private deliver(p: Buffer): boolean {
    if (this.closed) return false;
    this.inbox.push(p);
    this.inboxVerified.push(this.peer?.vouched.has(p) ? 1 : 0);
    if (!this.flushArmed) {
      this.flushArmed = true;
      // Timers due at one instant fire in the order set, so this flush runs
      // after every arrival already scheduled for now.
      this.clock.setTimer(this.clock.now(), () => this.deliverInbox());
    }
    return true;
  }

  private deliverInbox(): void {
    this.flushArmed = false;
    const batch = this.inbox;
    const verified = this.inboxVerified;
    this.inbox = [];
    this.inboxVerified = [];
    if (batch.length === 0 || !this.handler || this.closed) return;
    if (this.caps?.rxChecksumVerified) this.handler(batch, { checksumVerified: Uint8Array.from(verified) });
    else this.handler(batch);
  }

  onReceive(handler: ReceiveHandler): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handler = undefined;
    this.inbox = [];
    this.inboxVerified = [];
  }
}

/** Two connected endpoints [a, b]: what a sends, b receives, and vice versa. */
export function createMemoryLinkPair(opts: MemoryLinkOptions): [MemoryLink, MemoryLink] {
  const mtu = opts.mtu ?? 1500;
  const maxLen = mtu + (opts.headerRoom ?? 0);
  const a = new MemoryLink(opts.clock, opts.rng, mtu, maxLen, { ...(opts.faultsAtoB ?? opts.faults ?? {}) }, opts.gso);
  const b = new MemoryLink(opts.clock, opts.rng, mtu, maxLen, { ...(opts.faultsBtoA ?? opts.faults ?? {}) }, opts.gso);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/**
 * A frame-level pipe for EthernetLink tests: the same endpoints, carrying
 * Ethernet frames (mtu is the IP MTU; frames may be 14 bytes longer).
 */
export function createMemoryFramePipe(opts: Omit<MemoryLinkOptions, 'headerRoom'>): [MemoryLink, MemoryLink] {
  return createMemoryLinkPair({ ...opts, headerRoom: 14 });
}
