/**
 * The contract between IPv4 and the transports above it. Each layer knows only
 * the layer below and this interface for the one above (demultiplexed by
 * protocol number).
 */

/** Bytes a transport must leave free at the front of an outgoing packet for the IPv4 header (no IP options are sent). */
export const IPV4_HEADROOM = 20;

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/**
 * A transport's receive entry point. Called with a validated (and, if it was
 * fragmented, reassembled) datagram addressed to us. `payload` is the
 * transport bytes, a subarray of `datagram`, which includes the IPv4 header so
 * errors can quote it (RFC 792, RFC 1122 §3.2.2).
 */
export type TransportInput = (src: number, dst: number, payload: Buffer, datagram: Buffer, checksumVerified?: boolean) => void;

/** What a transport may ask of IPv4 when sending. */
export interface IpSender {
  /** Our own address (source of everything we send). */
  readonly localAddr: number;
  /** Link MTU: the largest datagram sent without fragmenting. */
  readonly mtu: number;
  /** Largest TCP super-packet the link cuts for us (0: none); see LinkCapabilities. */
  readonly gsoMaxSize?: number;
  /** Bytes the link can queue toward us before dropping (LinkCapabilities.rxQueueBytes). */
  readonly rxQueueBytes?: number;
  /** A buffer for one outgoing datagram, from the link's TX slab where it has one (Link.allocTx). */
  allocPacket?(len: number): Buffer;
  /** The link completes partial transport checksums (LinkCapabilities.txChecksumOffload). */
  readonly txChecksumOffload?: boolean;
  /**
   * Send `packet`, whose first IPV4_HEADROOM bytes are free for the IPv4
   * header and whose transport header starts at offset IPV4_HEADROOM.
   * IPv4 fills its header and hands the datagram to the link; ownership of
   * `packet` passes with it. Datagrams larger than the MTU are fragmented
   * unless `dontFrag` (then dropped and counted) — except a TCP super-packet
   * with `gsoSize` up to gsoMaxSize, which the link cuts. `csumPartial`: the
   * transport checksum is the pseudo-header sum, for the link to finish.
   */
  /** `tos`: the IP TOS byte (DSCP and the ECN field, RFC 3168 §5). */
  output(packet: Buffer, dst: number, protocol: number, ttl?: number, dontFrag?: boolean, gsoSize?: number, csumPartial?: boolean, tos?: number): void;
  /** Path MTU to `dst` (RFC 1191): the link MTU unless a frag-needed lowered it. Optional for test fakes. */
  pathMtu?(dst: number): number;
  /** Record a frag-needed's MTU for `dst`; returns the new, lower path MTU or undefined if it did not go down. */
  learnPathMtu?(dst: number, mtu: number, minPmtu: number, expiresMs: number): number | undefined;
}
