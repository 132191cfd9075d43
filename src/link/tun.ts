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
 * call from a setImmediate, so a burst of TCP segments costs one crossing into
 * C++. A failed write (EAGAIN included) drops the packet and is counted.
 */
import type { Link, ReceiveHandler } from './link.js';
import { makeCounters } from '../util/counters.js';
import { openNativeDevice, type NativeOpenOptions, type NativeTunDevice } from './native.js';

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
] as const;
export type NativeLinkCounter = (typeof NATIVE_LINK_COUNTERS)[number];

export interface TunLinkOptions extends Omit<NativeOpenOptions, 'mode'> {
  /** IP MTU of the interface (default 1500); also set on the kernel side. */
  mtu?: number;
  /** Keep the Node process alive while the device is open (default true). */
  ref?: boolean;
}

/** Link over an addon device; in 'tap' mode the "packets" are Ethernet frames. */
export class NativeLink implements Link {
  readonly mtu: number;
  readonly name: string;
  readonly mode: 'tun' | 'tap';
  readonly counters = makeCounters(NATIVE_LINK_COUNTERS);
  /** errno of the last failed write, 0 if none. */
  lastWriteErrno = 0;
  private handler: ReceiveHandler | undefined;
  private queue: Buffer[] = [];
  private flushScheduled = false;
  private closed = false;

  constructor(private readonly dev: NativeTunDevice, mtu: number) {
    this.mtu = mtu;
    this.name = dev.name;
    this.mode = dev.mode;
    dev.start((slab, pairs) => this.onBatch(slab, pairs));
  }

  static open(opts: NativeOpenOptions & { ref?: boolean }): NativeLink {
    const mtu = opts.mtu ?? 1500;
    const dev = openNativeDevice({ ...opts, mtu });
    const link = new NativeLink(dev, mtu);
    if (opts.ref === false) dev.unref();
    return link;
  }

  get counterGroups(): Record<string, Record<string, number>> {
    return { Link: this.counters };
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

  send(packet: Buffer): void {
    if (this.closed) {
      this.counters.txAfterClose++;
      return;
    }
    this.queue.push(packet);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Write everything queued now (normally done once per event-loop turn). */
  flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0 || this.closed) return;
    const batch = this.queue;
    this.queue = [];
    const [sent, dropped, errno] = this.dev.writeBatch(batch);
    const c = this.counters;
    c.txBatches++;
    c.txPackets += sent;
    c.txWriteErrors += dropped;
    if (errno !== 0) this.lastWriteErrno = errno;
    for (const p of batch) c.txBytes += p.length;
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
    this.flush();
    this.closed = true;
    this.handler = undefined;
    this.dev.close();
  }
}

/** An IP-level Link over a TUN device (IFF_TUN | IFF_NO_PI). */
export class TunLink extends NativeLink {
  static override open(opts: TunLinkOptions): TunLink {
    const mtu = opts.mtu ?? 1500;
    const dev = openNativeDevice({ ...opts, mtu, mode: 'tun' });
    const link = new TunLink(dev, mtu);
    if (opts.ref === false) dev.unref();
    return link;
  }
}
