/**
 * Classic libpcap capture files (the format tcpdump -w writes; smoltcp's
 * `PcapWriter`), readable by Wireshark and tshark, and `withPcap`, which
 * wraps any Link to record both directions.
 *
 * Timestamps come from the injected Clock (plus an origin), so a capture of a
 * virtual-time test shows virtual time.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Clock } from '../time/clock.js';
import type { Link, ReceiveHandler } from './link.js';

/** Packets start at the IPv4 (or IPv6) header: what a TUN link carries. */
export const LINKTYPE_RAW = 101;
/** Packets are Ethernet II frames: what a TAP link carries. */
export const LINKTYPE_ETHERNET = 1;

const PCAP_MAGIC_USEC = 0xa1b2c3d4;
const GLOBAL_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;
const FLUSH_AT = 64 * 1024;

export interface PcapOptions {
  clock: Clock;
  /** LINKTYPE_RAW (default) or LINKTYPE_ETHERNET. */
  linkType?: number;
  /** Bytes kept per packet (default 65535). */
  snapLen?: number;
  /** Added to clock.now() for the timestamp (ms since the Unix epoch at clock time 0). */
  originMs?: number;
}

export type PcapSink = (chunk: Buffer) => void;

export class PcapWriter {
  readonly linkType: number;
  /** Packets recorded so far. */
  packets = 0;
  private readonly clock: Clock;
  private readonly snapLen: number;
  private readonly originMs: number;
  private chunks: Buffer[] = [];
  private pending = 0;
  private closed = false;

  constructor(
    private readonly sink: PcapSink,
    opts: PcapOptions,
    private readonly onClose?: () => void,
  ) {
    this.clock = opts.clock;
    this.linkType = opts.linkType ?? LINKTYPE_RAW;
    this.snapLen = opts.snapLen ?? 65535;
    this.originMs = opts.originMs ?? 0;
    const h = Buffer.alloc(GLOBAL_HEADER_LEN);
    h.writeUInt32LE(PCAP_MAGIC_USEC, 0);
    h.writeUInt16LE(2, 4); // version 2.4
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8); // thiszone: timestamps are UTC
    h.writeUInt32LE(0, 12); // sigfigs
    h.writeUInt32LE(this.snapLen, 16);
    h.writeUInt32LE(this.linkType, 20);
    this.push(h);
    this.flush();
  }

  /** A writer to a file (created or truncated), written synchronously in 64 KiB chunks. */
  static toFile(path: string, opts: PcapOptions): PcapWriter {
    const fd = openSync(path, 'w');
    return new PcapWriter(
      (chunk) => {
        writeSync(fd, chunk);
      },
      opts,
      () => closeSync(fd),
    );
  }

  /** Record one packet with the clock's current time. */
  write(packet: Uint8Array): void {
    if (this.closed) return;
    const t = this.clock.now() + this.originMs;
    const sec = Math.floor(t / 1000);
    const usec = Math.min(999_999, Math.round((t - sec * 1000) * 1000));
    const incl = Math.min(packet.length, this.snapLen);
    const rec = Buffer.allocUnsafe(RECORD_HEADER_LEN + incl);
    rec.writeUInt32LE(sec >>> 0, 0);
    rec.writeUInt32LE(usec, 4);
    rec.writeUInt32LE(incl, 8);
    rec.writeUInt32LE(packet.length, 12);
    rec.set(packet.subarray(0, incl), RECORD_HEADER_LEN);
    this.packets++;
    this.push(rec);
    if (this.pending >= FLUSH_AT) this.flush();
  }

  private push(b: Buffer): void {
    this.chunks.push(b);
    this.pending += b.length;
  }

  /** Hand everything buffered to the sink. */
  flush(): void {
    if (this.chunks.length === 0) return;
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.pending);
    this.chunks = [];
    this.pending = 0;
    this.sink(all);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.onClose?.();
  }
}

/**
 * Wrap `link` so every packet sent and received is also written to `writer`
 * (recorded before it is passed on, so the capture shows what the stack saw
 * even if a handler throws). Closing the wrapper closes the link and flushes
 * the writer; closing the writer stays with its owner.
 */
export function withPcap(link: Link, writer: PcapWriter): Link {
  return {
    get mtu() {
      return link.mtu;
    },
    get counterGroups() {
      return link.counterGroups;
    },
    // Offloads pass through: like tcpdump on a TSO device, the capture shows
    // super-packets and partial checksums as the stack handed them over.
    get caps() {
      return link.caps;
    },
    send(packet: Buffer, gsoSize?: number, csumPartial?: boolean): void {
      writer.write(packet);
      link.send(packet, gsoSize, csumPartial);
    },
    flush(): void {
      link.flush?.();
    },
    onReceive(handler: ReceiveHandler): void {
      link.onReceive((packets, meta) => {
        for (const p of packets) writer.write(p);
        handler(packets, meta);
      });
    },
    async close(): Promise<void> {
      await link.close();
      writer.flush();
    },
  };
}
