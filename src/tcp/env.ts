/**
 * The seam between the per-connection machinery (connection.ts, input.ts,
 * output.ts, ...) and the layer that owns the demultiplexing tables
 * (tcp-layer.ts: listeners, SYN queue and cookies, TIME_WAIT, RST for
 * segments to no connection). A Connection sees the world only through this.
 */
import type { Clock } from '../time/clock.js';
import type { Rng } from '../util/random.js';
import type { SocketParams, TcpOptions } from './api.js';
import type { TcpOptionsRepr, TcpRepr } from '../wire/tcp.js';
import type { TraceSink } from './trace.js';
import type { TcpMemory } from './memory.js';

export interface TcpEnv {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly options: TcpOptions;
  /** TCP counters (src/tcp/stats.ts); connection code increments named counters. */
  readonly stats: Record<string, number>;
  /** Congestion trace sink (trace.ts); connections sample into it when set. */
  readonly trace?: TraceSink;
  /** Our MSS to advertise: options.mss ?? ip.mtu - 40. */
  readonly localMss: number;
  /** Path MTU to `remoteAddr` (RFC 1191, src/ip/pmtu.ts); absent in test fakes (then the link MTU). */
  pathMtu?(remoteAddr: number): number;
  /**
   * Largest TCP super-packet (IP header included) the link cuts into
   * segments for us (GSO/TSO); 0 or absent: one segment per packet.
   */
  readonly gsoMaxSize?: number;
  /** Bytes the link can queue toward us before it drops: the receive window's clamp (rcv-window.ts). */
  readonly rxQueueBytes?: number;
  /**
   * Emit one segment (the layer builds the packet and hands it to IPv4).
   * With `gsoSize` > 0 the payload may span several segments of that size,
   * which the link cuts (only when gsoMaxSize allows).
   */
  /** `ecnField`: the IP ECN codepoint (RFC 3168 §5; ecn.ts), 0 = Not-ECT. */
  sendSegment(seg: TcpRepr, localAddr: number, remoteAddr: number, gsoSize?: number, ecnField?: number): void;
  /**
   * Scratch objects the connection fills for each segment it emits, offered
   * by a layer whose sendSegment has written the packet before it returns
   * (TcpLayer), so a segment costs no Repr, options or timestamp object.
   * Absent (test fakes that keep what they are sent): fresh objects each time.
   */
  readonly txScratch?: TxScratch;
  /** The connection reached CLOSED: remove it from the demultiplexing table. */
  unregister(key: FourTuple): void;
  /**
   * The connection entered TIME_WAIT: keep a compact record (RFC 9293
   * §3.10.7.4 TIME-WAIT processing, RFC 1337) and drop the Connection object.
   */
  enterTimeWait(tw: TimeWaitRecord): void;
  /**
   * RFC 5961 §7: may one more challenge ACK be sent now? A token bucket of
   * options.challengeAckLimit per second shared by every connection of the
   * layer (Linux tcp_challenge_ack_limit). Returns false when rate-limited.
   */
  challengeAckAllowed(): boolean;
  /**
   * Inside a received batch, hold `c`'s pending ACK for in-order data until the
   * batch ends (returns true; the layer then sends it), so a batch of N
   * segments costs one ACK instead of N/2 — what GRO/LRO give Linux, whose
   * stretch ACKs RFC 5681 §4.2's "SHOULD ack every second segment" tolerates
   * in practice. Optional: without it (tests, simulations) ACKs go at once.
   */
  deferAck?(c: { flushDeferredAck(): void }): boolean;
  /**
   * The poll boundary (smoltcp `Interface::poll`): inside a received batch,
   * input only changes state and marks `c` as owing output; the layer runs
   * its output once when the batch ends (flushDeferredAck), so N ACKs in
   * one batch produce one burst sized by cwnd and the peer's window (and
   * one GSO super-packet where the link offers it) instead of N small ones.
   * Returns false outside a batch: the caller transmits at once.
   */
  deferOutput?(c: { flushDeferredAck(): void }): boolean;
  /**
   * The application closed `c` while it still has a FIN exchange to finish:
   * may it live on as an orphan (Linux tcp_max_orphans)? Optional: without
   * it (tests) orphans are unbounded.
   */
  adoptOrphan?(c: object): boolean;
  /**
   * Memory of all connections (Linux tcp_mem, memory.ts): buffers charge it,
   * windows and queues consult it. Optional: without it (tests) memory is unbounded.
   */
  readonly memory?: TcpMemory;
  /** RFC 6528 §3 initial sequence number for a new connection on `tuple`. */
  allocateIss(tuple: FourTuple): number;
  /**
   * Our timestamp offset for `tuple` (RFC 7323 §5.4), stable across
   * connections on the same tuple as Linux's secure_tcp_ts_off, so a new SYN
   * carries a newer TSval than the old connection and can reuse a peer's
   * TIME_WAIT (RFC 6191 §2). Without it an active open picks a random one.
   */
  tsOffset?(tuple: FourTuple): number;
}

export interface FourTuple {
  localAddr: number;
  localPort: number;
  remoteAddr: number;
  remotePort: number;
}

/** Just enough to re-ACK a retransmitted FIN and to judge a new SYN (RFC 9293 §3.6.1, RFC 6191). */
export interface TimeWaitRecord extends FourTuple {
  sndNxt: number;
  rcvNxt: number;
  /** Raw (scaled) window field to put in ACKs. */
  window: number;
  /** Last timestamp received and our timestamp offset, if timestamps are in use (RFC 7323). */
  tsRecent?: number;
  tsOffset?: number;
}

/**
 * Everything negotiated by a passive open, handed by the listener (which
 * answered the SYN, possibly statelessly with a cookie) to the Connection it
 * creates when the handshake-completing ACK arrives.
 */
export interface HandshakeResult extends FourTuple {
  iss: number;
  irs: number;
  /** Peer's MSS option (RFC 9293 §3.7.1; 536 if absent). */
  peerMss: number;
  /** Shifts: what we apply to the peer's window fields, and to ours (RFC 7323 §2). 0 when not negotiated. */
  sndWscale: number;
  rcvWscale: number;
  sackOk: boolean;
  tsOk: boolean;
  tsRecent: number;
  tsOffset: number;
  /** ECN agreed in the SYN/SYN-ACK (RFC 3168 §6.1.1). */
  ecnOk?: boolean;
  /** SYN-ACK retransmissions made, for the initial RTO/Karn (RFC 6298 §5, §2). */
  synAckRetransmits: number;
  /** When the SYN-ACK was first sent (for the first RTT sample if not retransmitted). */
  synAckSentAt: number;
  /** The listener's SO_RCVBUF/SO_SNDBUF, inherited by the connection (Linux). */
  buffers?: SocketParams;
}

/** The reusable Repr of TcpEnv.txScratch (output.ts newTxScratch). */
export interface TxScratch {
  readonly repr: TcpRepr;
  readonly options: TcpOptionsRepr;
  readonly timestamp: { val: number; ecr: number };
}
