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

export type ReceiveHandler = (packets: Buffer[]) => void;

export interface Link {
  /** Largest IPv4 datagram the link carries (bytes, IP header included). */
  readonly mtu: number;
  /** Queue one IPv4 datagram for transmission. */
  send(packet: Buffer): void;
  /** Set the receiver; it is called with each batch of IPv4 datagrams. */
  onReceive(handler: ReceiveHandler): void;
  /**
   * The link's own counter groups (device, Ethernet, ARP), named as `tunstack
   * stat` prints them; optional (in-memory links keep their counters elsewhere).
   */
  readonly counterGroups?: Record<string, Record<string, number>>;
  /**
   * Hand everything queued to the device now. The stack calls it once at the
   * end of each received batch (the poll boundary), after every connection
   * has produced its output; links without a queue need not implement it.
   */
  flush?(): void;
  /** Stop receiving, flush what is queued, release the device. */
  close(): Promise<void>;
}
