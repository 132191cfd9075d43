/**
 * TunLink: a Link over a Linux TUN device opened by the native addon
 * (gVisor `link/fdbased`). Also used, in TAP mode, as the frame device under
 * TapLink.
 *
 * Receive: the addon drains the fd on each readable wake-up and calls us once
 * per batch with a slab and (offset, length) pairs; each packet becomes a
 * Buffer view over the slab (no copy).
 *
 * BUFFER LIFETIME: the addon never writes again into a slab region it has
 * delivered (it fills slabs forward and starts a new one when the rest is too
 * small for one read), so the Buffers handed to the receive handler are
 * stable: any layer may keep them, or subarrays of them, without copying
 * (the rule in link.ts; tested in test/link/tun-linux.test.ts).
 *
 * Send: packets queued during one event-loop turn are written by one native
 * call from a setImmediate (or at the end of a received batch, Link.flush), so
 * a burst of TCP segments costs one crossing into C++. A write refused with
 * EAGAIN waits in the addon until the fd is writable (txQueuedOnEagain), in
 * order, in a backlog bounded by txQueueMax bytes (past it: tail drop,
 * txQueueFull; still queued at close: txBacklogDiscardedOnClose); any other
 * failed write drops the packet and is counted (txWriteErrors). Backlog
 * packets written later count in txPackets and txBacklogWritten. The
 * backlog counters are read from the addon at each flush and on
 * counterGroups (syncTxStats).
 *
 * With `txThread` the writes run on the addon's writer thread
 * (native/tx-writer.h): flush only queues the batch, and the batch and the
 * TX slab it was carved from are kept until the addon reports the job done
 * (doneJob), so C never reads memory JS has reused.
 *
 * Without IFF_VNET_HDR (--offload off) the addon does in C what Linux does
 * for a device without offloads: it finishes TCP checksums
 * (native/checksum.h; caps.txChecksumOffload: the stack writes only the
 * pseudo-header sum) and cuts TCP super-packets into MSS segments
 * (native/soft-gso.h; caps.gsoMaxSize), each written as [header, slice of
 * the super-packet]: JS works per super-packet and never reads the payload
 * on send. The kernel still gets plain MTU-sized packets with full checksums.
 */
import type { Link, LinkCapabilities, ReceiveHandler } from './link.js';
import { makeCounters } from '../util/counters.js';
import { openNativeDevice, TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6, TX_STATS, type NativeOpenOptions, type NativeTunDevice } from './native.js';
import {
  VIRTIO_NET_HDR_F_DATA_VALID,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_GSO_NONE,
  VNET_HDR_LEN,
  writeVnetHdrForIpv4,
} from '../wire/virtio-net.js';

/** Linux TUN_READQ_SIZE: a TUN/TAP device's default tx_queue_len, the packets it holds for our reads. */
const TUN_READQ_PACKETS = 500;
/** Bytes of the TX slab; a flush normally needs far less (64 KiB packets, a burst per batch). */
const TX_SLAB = 4 << 20;

/** Largest super-packet we send: the IPv4 total length field's limit. */
const GSO_MAX_SIZE = 65535;

export const NATIVE_LINK_COUNTERS = [
  'rxPackets',
  'rxBytes',
  'rxBatches',
  'rxNoHandler',
  'txPackets',
  'txBytes',
  'txBatches',
  'txWriteErrors',
  'txAfterClose',
  'rxGsoPackets',
  'rxBadVnetHdr',
  'txGsoPackets',
  'txQueuedOnEagain',
  'txEagain',
  'txQueueFull',
  'txBacklogWritten',
  'txBacklogDiscardedOnClose',
  /** A gauge: packets waiting in the EAGAIN backlog (or the writer thread's queue) now. */
  'txBacklogPackets',
  /** txThread: flushes that left the writer's queue past its high-water mark (batches then wait in JS). */
  'txHeldFull',
  /** txThread: wake-ups from the writer with room again after txHeldFull. */
  'txRoomWakeups',
] as const;
export type NativeLinkCounter = (typeof NATIVE_LINK_COUNTERS)[number];

export interface TunLinkOptions extends Omit<NativeOpenOptions, 'mode' | 'vnetHdr'> {
  /** IP MTU of the interface (default 1500); also set on the kernel side. */
  mtu?: number;
  /**
   * Offloads through IFF_VNET_HDR (checksum, TSO4/6 both ways): 'on' asks
   * the kernel and falls back to none if it refuses (see offloadNote);
   * 'off' opens a plain TUN. Default 'on'.
   */
  offload?: 'on' | 'off';
  /** Keep the Node process alive while the device is open (default true). */
  ref?: boolean;
  /**
   * Write from the addon's writer thread (default false): the write
   * syscalls, in which the kernel runs its whole receive path, leave the JS
   * thread. false: write on the JS thread at each flush.
   */
  txThread?: boolean;
}

/** Link over an addon device; in 'tap' mode the "packets" are Ethernet frames. */
export class NativeLink implements Link {
  readonly mtu: number;
  readonly name: string;
  readonly mode: 'tun' | 'tap';
  readonly counters = makeCounters(NATIVE_LINK_COUNTERS);
  /** errno of the last failed write, 0 if none. */
  lastWriteErrno = 0;
  readonly caps: LinkCapabilities;
  /** What became of the offload request, for a log line ('' without vnetHdr). */
  readonly offloadNote: string;
  private readonly vnet: boolean;
  private handler: ReceiveHandler | undefined;
  private queue: Buffer[] = [];
  /** Parallel to queue with vnetHdr: GSO segment size and partial-checksum flag per packet. */
  private queueGso: number[] = [];
  private queueCsum: boolean[] = [];
  private hdrs = new Uint8Array(64 * VNET_HDR_LEN);
  /** TX slab (allocTx): packets queued since the last flush live here; reused after each flush. */
  private txSlab: Buffer = Buffer.allocUnsafeSlow(TX_SLAB);
  private txPos = 0;
  /** Opened with txThread: the addon's writer thread writes (flush only queues). */
  readonly txThread: boolean;
  /** txThread: full TX slabs waiting for the writer; job -1 until the flush that covers their last packet. */
  private retiredSlabs: { slab: Buffer; job: number }[] = [];
  /** txThread: batches handed to the writer thread, kept alive until doneJob reaches their job. */
  private inflight: { job: number; batch: Buffer[] }[] = [];
  private doneJob = 0;
  /**
   * txThread backpressure: the writer's queue passed its high-water mark, so
   * batches wait here until it has room (onTxRoom). Meanwhile the stack's
   * segments stay in flight unacknowledged, TCP's windows fill, and a
   * socket's write() returns false: the link's pace reaches the sockets.
   */
  private txHeld = false;
  /** Packets tail-dropped in the link while txHeld (part of txQueueFull). */
  private heldDropped = 0;
  /** Bytes waiting in `queue` while txHeld (bounded by txQueueMax). */
  private heldBytes = 0;
  private readonly txQueueMax: number;
  private flushScheduled = false;
  private closed = false;
  /** Written / failed by writeBatch itself; the backlog's share comes from txStats. */
  private sentDirect = 0;
  private errorsDirect = 0;
  private lateErrorsSeen = 0;

  constructor(
    private readonly dev: NativeTunDevice,
    mtu: number,
    txQueueMax = 16 << 20,
  ) {
    this.mtu = mtu;
    this.txQueueMax = txQueueMax;
    this.name = dev.name;
    this.mode = dev.mode;
    this.vnet = dev.vnetHdr === true;
    this.txThread = dev.txThread === true;
    const off = dev.offload ?? 0;
    // TAP frames would need csum_start past the Ethernet header: offloads are TUN only for now.
    const ipLevel = dev.mode === 'tun';
    this.caps = {
      mtu,
      headroom: this.vnet ? VNET_HDR_LEN : 0,
      rxChecksumVerified: this.vnet,
      // A plain TUN: the addon finishes partial checksums in C (native/checksum.h).
      txChecksumOffload: ipLevel && (this.vnet ? (off & TUN_F_CSUM) !== 0 : true),
      // A plain TUN: the addon cuts super-packets itself (native/soft-gso.h), as Linux GSO does for a device without TSO.
      gsoMaxSize: ipLevel && (this.vnet ? (off & TUN_F_CSUM) !== 0 && (off & TUN_F_TSO4) !== 0 : true) ? GSO_MAX_SIZE : 0,
      // The kernel queues at most tx_queue_len packets for our reads (tun_net_xmit
      // drops beyond; TUN_READQ_SIZE, 500, unless changed with `ip link set ... txqueuelen`),
      // each up to 64 KiB with TSO offload, else one MTU.
      rxQueueBytes: TUN_READQ_PACKETS * (this.vnet && (off & TUN_F_TSO4) !== 0 ? GSO_MAX_SIZE : mtu),
    };
    this.offloadNote = !this.vnet
      ? ''
      : off !== 0
        ? `offload on: IFF_VNET_HDR with TUNSETOFFLOAD 0x${off.toString(16)} (csum${off & TUN_F_TSO4 ? ', tso4' : ''}${off & TUN_F_TSO6 ? ', tso6' : ''})`
        : `offload off: the kernel refused TUNSETOFFLOAD (errno ${dev.offloadErrno ?? 0}); falling back to full checksums and MTU-sized packets`;
    dev.start(
      (slab, pairs) => (this.vnet ? this.onVnetBatch(slab, pairs) : this.onBatch(slab, pairs)),
      () => this.onTxRoom(),
    );
  }

  static open(opts: NativeOpenOptions & { ref?: boolean }): NativeLink {
    const mtu = opts.mtu ?? 1500;
    const dev = openNativeDevice({ ...opts, mtu });
    const link = new NativeLink(dev, mtu, opts.txQueueMax);
    if (opts.ref === false) dev.unref();
    return link;
  }

  get counterGroups(): Record<string, Record<string, number>> {
    this.syncTxStats();
    return { Link: this.counters };
  }

  /** Fold the addon's EAGAIN-backlog totals (native/tx-backlog.h) into the counters. */
  syncTxStats(): void {
    const s = this.dev.txStats();
    const c = this.counters;
    c.txEagain = s[TX_STATS.eagain];
    c.txQueuedOnEagain = s[TX_STATS.queued];
    c.txQueueFull = s[TX_STATS.queueFull] + this.heldDropped;
    c.txBacklogWritten = s[TX_STATS.lateSent];
    c.txBacklogDiscardedOnClose = s[TX_STATS.closeDiscarded];
    c.txBacklogPackets = s[TX_STATS.pendingPackets];
    c.txPackets = this.sentDirect + s[TX_STATS.lateSent];
    c.txWriteErrors = this.errorsDirect + s[TX_STATS.lateErrors];
    if (s[TX_STATS.lateErrors] > this.lateErrorsSeen) {
      this.lateErrorsSeen = s[TX_STATS.lateErrors];
      this.lastWriteErrno = s[TX_STATS.lateLastErrno];
    }
  }

  /**
   * IFF_VNET_HDR batches: strip each packet's virtio_net_hdr and pass what
   * it says as RxMeta (NEEDS_CSUM: the kernel made it and has not summed it;
   * DATA_VALID: verified). A GSO super-packet goes up whole: TCP takes it as
   * the run of segments it stands for.
   */
  private onVnetBatch(slab: ArrayBuffer, pairs: Uint32Array): void {
    const n = pairs.length >>> 1;
    const c = this.counters;
    c.rxBatches++;
    const bytes = new Uint8Array(slab);
    const packets: Buffer[] = [];
    const verified = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const off = pairs[2 * i];
      const len = pairs[2 * i + 1];
      if (len < VNET_HDR_LEN) {
        c.rxBadVnetHdr++;
        continue;
      }
      const flags = bytes[off];
      if (bytes[off + 1] !== VIRTIO_NET_HDR_GSO_NONE) c.rxGsoPackets++;
      verified[packets.length] = flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID) ? 1 : 0;
      packets.push(Buffer.from(slab, off + VNET_HDR_LEN, len - VNET_HDR_LEN));
      c.rxBytes += len - VNET_HDR_LEN;
    }
    c.rxPackets += packets.length;
    const h = this.handler;
    if (!h) {
      c.rxNoHandler += packets.length;
      return;
    }
    h(packets, { checksumVerified: verified });
  }

  private onBatch(slab: ArrayBuffer, pairs: Uint32Array): void {
    const n = pairs.length >>> 1;
    const c = this.counters;
    c.rxBatches++;
    c.rxPackets += n;
    const packets: Buffer[] = new Array<Buffer>(n);
    for (let i = 0; i < n; i++) {
      const len = pairs[2 * i + 1];
      packets[i] = Buffer.from(slab, pairs[2 * i], len);
      c.rxBytes += len;
    }
    const h = this.handler;
    if (!h) {
      c.rxNoHandler += n;
      return;
    }
    h(packets);
  }

  /**
   * Link.allocTx: carve the packet out of the TX slab (8-byte aligned, so the
   * checksum's 32-bit reads stay aligned). The writes at flush are
   * synchronous (an EAGAIN backlog is copied in the addon), so the slab is
   * free again once flush returns. A full slab is replaced, not reused: what
   * is queued in it keeps it alive until the flush.
   */
  allocTx(len: number): Buffer {
    if (this.txPos + len > this.txSlab.length) {
      if (len > TX_SLAB / 4) return Buffer.allocUnsafe(len);
      this.txSlab = this.txThread ? this.nextSlab() : Buffer.allocUnsafeSlow(TX_SLAB);
      this.txPos = 0;
    }
    const b = this.txSlab.subarray(this.txPos, this.txPos + len);
    this.txPos = (this.txPos + len + 7) & ~7;
    return b;
  }

  /**
   * txThread: the current slab is full. It waits for the writer (its job is
   * the next flush's); the oldest waiting slab the writer has finished is
   * reused, else a new one is allocated.
   */
  private nextSlab(): Buffer {
    this.retiredSlabs.push({ slab: this.txSlab, job: -1 });
    const head = this.retiredSlabs[0];
    if (head.job >= 0 && head.job <= this.doneJob) {
      this.retiredSlabs.shift();
      return head.slab;
    }
    return Buffer.allocUnsafeSlow(TX_SLAB);
  }

  send(packet: Buffer, gsoSize = 0, csumPartial = false): void {
    if (this.closed) {
      this.counters.txAfterClose++;
      return;
    }
    if (this.txHeld && this.heldBytes + packet.length > this.txQueueMax) {
      // Backpressure bound: while the writer is full, at most txQueueMax bytes wait here (tail drop, counted).
      this.counters.txQueueFull++;
      this.heldDropped++;
      return;
    }
    this.queue.push(packet);
    if (this.txHeld) this.heldBytes += packet.length;
    if (this.vnet || this.caps.txChecksumOffload) {
      this.queueGso.push(gsoSize);
      this.queueCsum.push(csumPartial && this.caps.txChecksumOffload);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** The writer thread has room again (native tx-writer.h onRoom): hand it what waited. */
  private onTxRoom(): void {
    if (!this.txHeld) return;
    this.txHeld = false;
    this.counters.txRoomWakeups++;
    this.flush();
  }

  /** Write everything queued now (normally done once per event-loop turn). */
  flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0 || this.closed) return;
    if (this.txHeld) return; // backpressure: onTxRoom flushes
    const batch = this.queue;
    const gso = this.queueGso;
    const csum = this.queueCsum;
    this.queue = [];
    this.queueGso = [];
    this.queueCsum = [];
    const c = this.counters;
    let hdrs: Uint8Array | undefined;
    if (this.vnet || this.caps.txChecksumOffload) hdrs = this.vnetHeaders(batch, gso, csum);
    const r = this.dev.writeBatch(batch, hdrs);
    c.txBatches++;
    if (this.txThread) {
      this.afterSubmit(batch, gso, csum, r);
      return;
    }
    for (const p of batch) c.txBytes += p.length;
    const [sent, dropped, errno, queued, eagain] = r;
    this.txPos = 0; // every queued packet has been written (or copied by the addon)
    this.sentDirect += sent;
    this.errorsDirect += dropped;
    if (errno !== 0) this.lastWriteErrno = errno;
    // The common case (no backlog before or now) stays one native call per flush.
    if (queued > 0 || eagain !== c.txEagain || c.txBacklogPackets > 0) {
      this.syncTxStats();
    } else {
      c.txPackets += sent;
      c.txWriteErrors += dropped;
    }
  }

  /**
   * txThread: keep the batch (and the slabs it used) until the writer thread
   * is done with it; release what it finished. `sent` is its running total.
   */
  private afterSubmit(batch: Buffer[], gso: number[], csum: boolean[], r: [number, number, number, number, number, number, number, number]): void {
    const [sentTotal, dropped, , queued, eagain, doneJob, job, full] = r;
    const c = this.counters;
    for (let i = 0; i < queued; i++) c.txBytes += batch[i].length;
    if (full === 1) {
      if (!this.txHeld) c.txHeldFull++;
      this.txHeld = true;
    }
    if (queued + dropped < batch.length) {
      // The writer took a prefix: the rest waits, in order, ahead of anything queued since.
      const rest = batch.slice(queued + dropped);
      this.queue = rest.concat(this.queue);
      if (this.vnet || this.caps.txChecksumOffload) {
        this.queueGso = gso.slice(queued + dropped).concat(this.queueGso);
        this.queueCsum = csum.slice(queued + dropped).concat(this.queueCsum);
      }
    }
    this.heldBytes = 0;
    for (const p of this.queue) this.heldBytes += p.length;
    this.doneJob = doneJob;
    // A retired slab is free once the job holding its last packet is done; while packets of it wait here that job is not known yet.
    if (this.queue.length === 0) for (const s of this.retiredSlabs) if (s.job < 0) s.job = job;
    const fl = this.inflight;
    let n = 0;
    while (n < fl.length && fl[n].job <= doneJob) n++;
    if (n > 0) fl.splice(0, n);
    if (queued > 0) fl.push({ job, batch });
    this.errorsDirect += dropped;
    // Writer-thread errors (lateErrors) reach the counters on counterGroups.
    if (eagain !== c.txEagain || dropped > 0) this.syncTxStats();
    else c.txPackets = sentTotal;
  }

  /** One virtio_net_hdr per queued packet, in one reused array (Linux virtio_net_hdr_from_skb). */
  private vnetHeaders(batch: Buffer[], gso: number[], csum: boolean[]): Uint8Array {
    const n = batch.length;
    if (this.hdrs.length < n * VNET_HDR_LEN) this.hdrs = new Uint8Array(2 * n * VNET_HDR_LEN);
    for (let i = 0; i < n; i++) {
      const p = batch[i];
      const g = p.length > this.mtu ? gso[i] : 0;
      if (g > 0) this.counters.txGsoPackets++;
      writeVnetHdrForIpv4(this.hdrs, i * VNET_HDR_LEN, p, g, csum[i]);
    }
    return this.hdrs;
  }

  onReceive(handler: ReceiveHandler): void {
    this.handler = handler;
  }

  /** Let the process exit while the device is open (or undo that). */
  unref(): void {
    this.dev.unref();
  }
  ref(): void {
    this.dev.ref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.txHeld = false; // what waited goes to the writer, which writes what it can before the join
    this.flush();
    this.closed = true;
    this.handler = undefined;
    this.dev.close();
    this.syncTxStats();
  }
}

/** An IP-level Link over a TUN device (IFF_TUN | IFF_NO_PI). */
export class TunLink extends NativeLink {
  static override open(opts: TunLinkOptions): TunLink {
    const mtu = opts.mtu ?? 1500;
    const { offload, ...rest } = opts;
    const vnetHdr = (offload ?? 'on') === 'on';
    const dev = openNativeDevice({
      ...rest,
      mtu,
      mode: 'tun',
      vnetHdr,
      offloadFlags: opts.offloadFlags ?? TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
      // Off by default: on this 2-core machine the writer thread slowed offloaded downloads (README, 'Send path').
      txThread: opts.txThread ?? false,
    });
    const link = new TunLink(dev, mtu, opts.txQueueMax);
    if (opts.ref === false) dev.unref();
    return link;
  }
}
