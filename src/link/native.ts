/**
 * Loader for the native TUN/TAP addon (native/tun.cc, built by node-gyp into
 * build/Release/tunstack.node) and the one place that turns its errno errors
 * into messages a user can act on.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeOpenOptions {
  /** Interface name, e.g. 'tun0' or 'tslk%d' (the kernel fills in %d). Empty: kernel picks. */
  name?: string;
  mode?: 'tun' | 'tap';
  /** Network namespace (a name under /var/run/netns/ or a path) to create the device in. */
  netns?: string;
  mtu?: number;
  /** Kernel-side IPv4 address of the interface (dotted quad). */
  addr?: string;
  prefixLen?: number;
  /** Bring the interface up (IFF_UP). */
  up?: boolean;
  /** IFF_VNET_HDR: a virtio_net_hdr in front of every packet both ways (offloads). */
  vnetHdr?: boolean;
  /** TUN_F_* flags for TUNSETOFFLOAD with vnetHdr (default CSUM | TSO4 | TSO6). */
  offloadFlags?: number;
  /** TUNSETSNDBUF: bytes the device may hold for us in flight (kernel default: unlimited). */
  sndBuf?: number;
  /** Bytes the addon's EAGAIN backlog (or, with txThread, the writer's queue) may hold before it tail-drops (default 16 MiB). */
  txQueueMax?: number;
  /**
   * Write from a writer thread in the addon (native/tx-writer.h) instead of
   * the JS thread: writeBatch only queues, and the caller keeps each batch's
   * memory untouched until the returned doneJob reaches its jobId.
   */
  txThread?: boolean;
}

/**
 * Indexes into NativeTunDevice.txStats(): totals of the EAGAIN backlog
 * (native/tx-backlog.h) since open, plus its current size. With txThread the
 * same slots count the writer thread's queue (native/tx-writer.h), which
 * every packet passes: `queued` and `lateSent` then count all of them.
 */
export const TX_STATS = {
  /** write() calls refused with EAGAIN (the first refusal and each retry). */
  eagain: 0,
  /** Packets that entered the backlog. */
  queued: 1,
  /** Packets tail-dropped because the backlog was at txQueueMax. */
  queueFull: 2,
  /** Backlog packets the kernel accepted later. */
  lateSent: 3,
  /** Backlog packets a later write refused with another errno. */
  lateErrors: 4,
  lateLastErrno: 5,
  pendingPackets: 6,
  pendingBytes: 7,
  /** Backlog packets still waiting when the device closed. */
  closeDiscarded: 8,
  /** txThread only: id of the last batch the writer thread finished. */
  doneJob: 9,
} as const;

/** linux/if_tun.h TUNSETOFFLOAD flags. */
export const TUN_F_CSUM = 0x01;
export const TUN_F_TSO4 = 0x02;
export const TUN_F_TSO6 = 0x04;
export const TUN_F_TSO_ECN = 0x08;
export const TUN_F_UFO = 0x10;

/**
 * Called once per slab used per wake-up: packets are `slab[pairs[2i] ..
 * pairs[2i] + pairs[2i+1])`. The slab is never written again where it was
 * handed out (see native/tun.cc `Deliver`), so views may be kept.
 */
export type NativeBatchHandler = (slab: ArrayBuffer, pairs: Uint32Array) => void;

export interface NativeTunDevice {
  readonly name: string;
  readonly fd: number;
  readonly mode: 'tun' | 'tap';
  readonly readSize: number;
  /** Opened with IFF_VNET_HDR. */
  readonly vnetHdr?: boolean;
  /** TUN_F_* flags the kernel accepted (0: none, or refused). */
  readonly offload?: number;
  /** errno of a refused TUNSETOFFLOAD, 0 if accepted. */
  readonly offloadErrno?: number;
  /** Opened with txThread: writes happen on the addon's writer thread. */
  readonly txThread?: boolean;
  /**
   * `onTxRoom` (txThread): called on the JS thread when the writer's queue,
   * which a writeBatch reported full (txFull), has drained.
   */
  start(onBatch: NativeBatchHandler, onTxRoom?: () => void): void;
  /**
   * Writes each packet with one write() (with vnetHdr: writev of its
   * 10-byte header from `vnetHdrs` and the packet; without, a header with
   * NEEDS_CSUM makes the addon finish that checksum in C); returns [sent,
   * dropped, lastErrno, queued, eagainTotal, doneJob, jobId]: a write
   * refused with EAGAIN is queued in the addon with every packet after it
   * and written, in order, when the fd polls writable (`queued` of this
   * batch; `eagainTotal` so far). With txThread the batch is only queued for
   * the writer thread: `sent` is the writer's running total, `queued` how
   * many of this batch it took (the rest: tail-dropped at txQueueMax, or
   * `dropped`), and the batch's memory must stay untouched until a later
   * `doneJob` reaches `jobId`; `txFull` = 1: the writer's queue is past
   * its high-water mark (4 MiB), hold further batches until onTxRoom.
   */
  writeBatch(buffers: Buffer[], vnetHdrs?: Uint8Array): [number, number, number, number, number, number, number, number];
  /** Backlog totals, indexed by TX_STATS; still readable after close(). */
  txStats(): Float64Array;
  close(): void;
  ref(): void;
  unref(): void;
}

interface NativeAddon {
  TunDevice: new (opts: NativeOpenOptions) => NativeTunDevice;
  /**
   * Finish a partial transport checksum in place, as the no-offload send
   * path does (native/checksum.h): sum from csumStart to the end, store the
   * complement at csumStart + csumOffset. False if the offsets do not fit.
   */
  finishChecksum(packet: Uint8Array, csumStart: number, csumOffset: number): boolean;
  /**
   * The segments the no-offload path writes for a TCP/IPv4 super-packet
   * (native/soft-gso.h), copied out; null if its headers are malformed.
   */
  softGsoTcp4(packet: Uint8Array, gsoSize: number): Buffer[] | null;
}

/** An error from the addon: `code` like 'EPERM', `errno` negative as in Node, `syscall`. */
export interface NativeError extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
  detail?: string;
}

const ADDON_REL = 'build/Release/tunstack.node';

function findAddon(): string | undefined {
  // src/link/native.ts and dist/src/link/native.js both sit below the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, ADDON_REL);
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return undefined;
}

/** Load the addon; throws an Error telling the user how to build it if it is missing. */
export function loadAddon(): NativeAddon {
  const path = findAddon();
  if (!path) {
    throw new Error(`tunstack native addon not found (${ADDON_REL}): run npm install to build the addon (needs node-gyp and a C++ compiler)`);
  }
  const require = createRequire(import.meta.url);
  return require(path) as NativeAddon;
}

/**
 * Turn an addon error into one that says what to do. Pure, so the wording is
 * unit-tested without needing to provoke EPERM.
 */
export function formatTunError(err: NativeError, opts: NativeOpenOptions = {}): NativeError {
  const name = opts.name ? `'${opts.name}'` : '(kernel-chosen name)';
  let hint: string;
  switch (err.code) {
    case 'EPERM':
    case 'EACCES':
      hint = `opening TUN/TAP device ${name} needs root or CAP_NET_ADMIN` + (opts.netns ? ' (and CAP_SYS_ADMIN to enter a netns)' : '');
      break;
    case 'ENOENT':
      hint = err.detail?.startsWith('netns')
        ? `network namespace '${opts.netns}' does not exist: create it with 'ip netns add ${opts.netns}'`
        : '/dev/net/tun is missing: load the driver with `modprobe tun`';
      break;
    case 'ENODEV':
      hint = 'the tun driver is not available: load it with `modprobe tun`';
      break;
    case 'EBUSY':
    case 'EEXIST':
      hint = `interface name ${name} is already in use (by another device or process)`;
      break;
    default:
      hint = `cannot open TUN/TAP device ${name}`;
  }
  const out = new Error(`${hint}: ${err.message}`) as NativeError;
  out.code = err.code;
  out.errno = err.errno;
  out.syscall = err.syscall;
  out.detail = err.detail;
  return out;
}

/** Open a device through the addon, rethrowing errors with an actionable message. */
export function openNativeDevice(opts: NativeOpenOptions): NativeTunDevice {
  const addon = loadAddon();
  try {
    return new addon.TunDevice(opts);
  } catch (e) {
    const err = e as NativeError;
    if (typeof err.code === 'string') throw formatTunError(err, opts);
    throw e;
  }
}
