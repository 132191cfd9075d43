/**
 * A Link moves whole IPv4 datagrams between the stack and something else: a
 * TUN device, a TAP device (which adds Ethernet and ARP underneath), or an
 * in-memory peer in tests (gVisor `link/channel`, `link/fdbased`).
 *
 * Buffer lifetime (the rule every layer relies on): each received batch is
 * delivered as fresh Buffers that nobody else will write to again. Packets of
 * one batch may be `subarray`s of one larger allocation, so holding any packet
 * (or a slice of it, e.g. TCP payload kept in the receive queue) keeps that
 * allocation alive, but never sees its bytes change. Layers may therefore keep
 * slices without copying. `test/link` checks that a held payload survives the
 * next batch.
 *
 * Sending: `send` hands ownership of `packet` to the link; the caller must not
 * write to it afterwards. Links batch what is sent during one event-loop turn
 * (or one virtual instant) and flush it with one native call.
 */

/**
 * Per-packet metadata of a received batch, in arrays parallel to the packets
 * (one typed array per field, no object per packet).
 */
export interface RxMeta {
  /**
   * 1 where the device vouches for the transport checksum (virtio
   * NEEDS_CSUM: produced locally and not yet summed; DATA_VALID: verified),
   * so parse skips it (Linux CHECKSUM_PARTIAL/CHECKSUM_UNNECESSARY).
   */
  readonly checksumVerified: Uint8Array;
}

export type ReceiveHandler = (packets: Buffer[], meta?: RxMeta) => void;

/**
 * What a link can do for the layers above (smoltcp `DeviceCapabilities`,
 * gVisor `stack.GSO`); upper layers read it once. A link without `caps`
 * offers nothing: full checksums, datagrams up to `mtu`.
 */
export interface LinkCapabilities {
  readonly mtu: number;
  /** Bytes the link itself puts in front of each datagram (virtio header, Ethernet). */
  readonly headroom: number;
  /** Received packets may carry RxMeta.checksumVerified. */
  readonly rxChecksumVerified: boolean;
  /** `send(p, gso, true)` accepts a partial TCP checksum (pseudo-header sum) and completes it. */
  readonly txChecksumOffload: boolean;
  /** Largest TCP super-packet `send` accepts with a gsoSize (0: no GSO). */
  readonly gsoMaxSize: number;
  /**
   * Bytes the device can queue toward us before it drops (a TUN device's
   * tx_queue_len × the largest packet it hands us); TCP never offers a
   * window larger than this (tcp/rcv-window.ts). Absent: no limit known.
   */
  readonly rxQueueBytes?: number;
}

export interface Link {
  /** Largest IPv4 datagram the link carries (bytes, IP header included). */
  readonly mtu: number;
  /** Offloads the link offers; absent = none. */
  readonly caps?: LinkCapabilities;
  /**
   * Queue one IPv4 datagram for transmission. With caps.gsoMaxSize, a TCP
   * datagram up to that size goes out cut into segments of `gsoSize`
   * payload bytes; with caps.txChecksumOffload and `csumPartial`, its
   * transport checksum field holds the pseudo-header sum and the link (or
   * the kernel) finishes it.
   */
  send(packet: Buffer, gsoSize?: number, csumPartial?: boolean): void;
  /** Set the receiver; it is called with each batch of IPv4 datagrams. */
  onReceive(handler: ReceiveHandler): void;
  /**
   * The link's own counter groups (device, Ethernet, ARP), named as `tunstack
   * stat` prints them; optional (in-memory links keep their counters elsewhere).
   */
  readonly counterGroups?: Record<string, Record<string, number>>;
  /**
   * A buffer for one outgoing packet of `len` bytes, to be passed to this
   * link's `send` before its next flush; after the flush the link may reuse
   * the memory (a TX slab: no allocation per packet). Optional: callers fall
   * back to Buffer.allocUnsafe.
   */
  allocTx?(len: number): Buffer;
  /**
   * Hand everything queued to the device now. The stack calls it once at the
   * end of each received batch (the poll boundary), after every connection
   * has produced its output; links without a queue need not implement it.
   */
  flush?(): void;
  /** Stop receiving, flush what is queued, release the device. */
  close(): Promise<void>;
}
