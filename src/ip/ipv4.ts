/**
 * The IPv4 layer for one interface: validates what the link delivers,
 * reassembles fragments, demultiplexes by protocol, answers ICMP, and sends
 * (fragmenting above the MTU) on behalf of the transports.
 *
 * We are a host, not a router (RFC 1122 §3.3.1): datagrams not addressed to
 * us are dropped, never forwarded, and the received TTL is not checked.
 */
import type { Logger } from 'pino';
import type { Link } from '../link/link.js';
import type { Clock } from '../time/clock.js';
import { IPV4_BROADCAST, IPV4_HEADER_LEN, IPV4_MAX_DATAGRAM, Ipv4Packet, emitIpv4Header } from '../wire/ipv4.js';
import { ICMP_EXC_FRAGTIME, ICMP_UNREACH_PROTOCOL } from '../wire/icmpv4.js';
import { prefixMask } from '../wire/ip-address.js';
import { makeIcmpCounters, makeIpCounters, type IcmpCounters, type IpCounters } from './counters.js';
import { fragment } from './fragment.js';
import { ICMP_RATEMASK_DEFAULT, Icmp, type IcmpErrorHandler } from './icmp.js';
import { checkIpOptions } from './options.js';
import { Reassembler } from './reassembly.js';
import { PmtuCache } from './pmtu.js';
import { IPPROTO_ICMP, type IpSender, type TransportInput } from './types.js';

export interface Ipv4LayerOptions {
  link: Link;
  /** Our address (uint32). */
  addr: number;
  clock: Clock;
  log?: Logger;
  /** Subnet prefix length; its directed broadcast address is accepted too. Default 24. */
  prefixLen?: number;
  /** TTL of datagrams we originate (Linux ip_default_ttl = 64). */
  defaultTtl?: number;
  /** Linux net.ipv4.ipfrag_time: 30 s. */
  reassemblyTimeoutMs?: number;
  /** Memory for pending reassemblies across all datagrams (Linux ipfrag_high_thresh is 4 MiB). */
  reassemblyMaxBytes?: number;
  /** Linux net.ipv4.icmp_msgs_per_sec. */
  icmpMsgsPerSec?: number;
  /** Linux net.ipv4.icmp_msgs_burst. */
  icmpMsgsBurst?: number;
  /** Linux net.ipv4.icmp_ratelimit: ms per ICMP message per destination (burst 6); 0 = off. Default 1000. */
  icmpRatelimitMs?: number;
  /** Linux net.ipv4.icmp_ratemask: ICMP types (bit per type) both limits apply to. Default 0x1818. */
  icmpRatemask?: number;
  /** Destinations the per-destination limit remembers (least recently used forgotten). Default 4096. */
  icmpRatelimitPeers?: number;
  /** Largest ICMP error datagram (Linux: 576, RFC 1812 §4.3.2.3). */
  icmpErrorMaxLen?: number;
  /** First IP identification value; the stack may pass a random one. */
  identStart?: number;
}

export class Ipv4Layer implements IpSender {
  readonly localAddr: number;
  readonly icmp: Icmp;
  private readonly link: Link;
  private readonly log: Logger | undefined;
  private readonly ipc: IpCounters = makeIpCounters();
  private readonly icmpc: IcmpCounters = makeIcmpCounters();
  private readonly reasm: Reassembler;
  private readonly handlers: Array<TransportInput | undefined> = new Array(256).fill(undefined);
  private readonly errorHandlers: Array<IcmpErrorHandler | undefined> = new Array(256).fill(undefined);
  private readonly batchEnds: Array<() => void> = [];
  private readonly directedBroadcast: number;
  private readonly defaultTtl: number;
  private readonly clock: Clock;
  private readonly pmtu = new PmtuCache();
  private ident: number;

  constructor(o: Ipv4LayerOptions) {
    this.link = o.link;
    this.clock = o.clock;
    this.localAddr = o.addr >>> 0;
    this.log = o.log;
    this.defaultTtl = o.defaultTtl ?? 64;
    this.ident = (o.identStart ?? 0) & 0xffff;
    const prefixLen = o.prefixLen ?? 24;
    // /31 and /32 have no directed broadcast (RFC 3021).
    this.directedBroadcast =
      prefixLen >= 31 ? IPV4_BROADCAST : (this.localAddr | ~prefixMask(prefixLen)) >>> 0;
    this.icmp = new Icmp({
      localAddr: this.localAddr,
      output: (packet, dst, protocol) => this.output(packet, dst, protocol),
      clock: o.clock,
      counters: this.icmpc,
      isBroadcast: (a) => this.isBroadcast(a),
      msgsPerSec: o.icmpMsgsPerSec ?? 1000,
      msgsBurst: o.icmpMsgsBurst ?? 50,
      ratelimitMs: o.icmpRatelimitMs ?? 1000,
      ratemask: o.icmpRatemask ?? ICMP_RATEMASK_DEFAULT,
      ratelimitPeers: o.icmpRatelimitPeers ?? 4096,
      errorMaxLen: o.icmpErrorMaxLen ?? 576,
      onError: (type, code, quoted, from, mtu) => this.deliverError(type, code, quoted, from, mtu),
    });
    this.reasm = new Reassembler({
      clock: o.clock,
      timeoutMs: o.reassemblyTimeoutMs ?? 30_000,
      maxBytes: o.reassemblyMaxBytes ?? 4 * 1024 * 1024,
      counters: this.ipc,
      // RFC 1122 §3.3.2: time exceeded (code 1) only if fragment 0 arrived.
      onTimeout: (first) => {
        if (first) this.icmp.sendTimeExceeded(first, ICMP_EXC_FRAGTIME);
      },
    });
    this.handlers[IPPROTO_ICMP] = (src, dst, payload) => this.icmp.input(src, dst, payload);
    this.link.onReceive((batch, meta) => {
      const verified = meta?.checksumVerified;
      for (let i = 0; i < batch.length; i++) this.input(batch[i], verified !== undefined && verified[i] === 1);
      for (const end of this.batchEnds) end();
    });
  }

  get mtu(): number {
    return this.link.mtu;
  }

  allocPacket(len: number): Buffer {
    return this.link.allocTx?.(len) ?? Buffer.allocUnsafe(len);
  }

  get gsoMaxSize(): number {
    return this.link.caps?.gsoMaxSize ?? 0;
  }

  get rxQueueBytes(): number | undefined {
    return this.link.caps?.rxQueueBytes;
  }

  get txChecksumOffload(): boolean {
    return this.link.caps?.txChecksumOffload ?? false;
  }

  /** IpSender.pathMtu: the link MTU, or less where a frag-needed taught us so (RFC 1191). */
  pathMtu(dst: number): number {
    return Math.min(this.link.mtu, this.pmtu.get(dst, this.clock.now()) ?? Infinity);
  }

  /** IpSender.learnPathMtu (RFC 1191 §3; Linux __ip_rt_update_pmtu): returns the lowered path MTU, or undefined. */
  learnPathMtu(dst: number, mtu: number, minPmtu: number, expiresMs: number): number | undefined {
    const next = this.pmtu.learn(dst, mtu, this.link.mtu, this.clock.now(), minPmtu, expiresMs);
    if (next !== undefined) this.icmpc.pmtuLearnt++;
    return next;
  }

  /** Counter groups, printable with formatCounters. */
  get stats(): { ip: IpCounters; icmp: IcmpCounters } {
    return { ip: this.ipc, icmp: this.icmpc };
  }

  /** Bytes held by pending reassemblies. */
  get reassemblyBytes(): number {
    return this.reasm.bytes;
  }

  /**
   * Deliver datagrams of `protocol` to `input`; ICMP errors quoting such a
   * datagram to `onError` (RFC 1122 §3.2.2.1: pass them to the transport).
   */
  register(protocol: number, input: TransportInput, onError?: IcmpErrorHandler): void {
    this.handlers[protocol & 255] = input;
    if (onError) this.errorHandlers[protocol & 255] = onError;
  }

  /**
   * Call `fn` after each received batch has been processed, so a transport can
   * do once per batch what it would otherwise do per packet (TCP: one ACK per
   * connection per batch, as GRO gives Linux).
   */
  onBatchEnd(fn: () => void): void {
    this.batchEnds.push(fn);
  }

  /** Limited broadcast, our subnet's directed broadcast, or multicast/reserved (224/3). */
  isBroadcast(a: number): boolean {
    return a === IPV4_BROADCAST || a === this.directedBroadcast || a >>> 29 === 7;
  }

  /**
   * Process one received datagram. Never throws. `checksumVerified`: the
   * link vouches for the transport checksum (RxMeta); it may then also be a
   * GSO super-packet larger than the MTU.
   */
  input(packet: Buffer, checksumVerified = false): void {
    const c = this.ipc;
    c.inReceives++;
    const p = Ipv4Packet.parse(packet);
    if (typeof p === 'string') {
      c[p]++;
      return;
    }
    const dst = p.dst;
    if (dst !== this.localAddr && dst !== IPV4_BROADCAST && dst !== this.directedBroadcast) {
      c.notForUs++;
      return;
    }
    // RFC 1122 §3.2.1.3: discard datagrams whose source is broadcast or
    // multicast; like Linux we also treat 127/8 arriving on a link as martian.
    // A datagram claiming our own address as its source arrived from outside
    // (LAND): Linux's fib_validate_source rejects it as martian (accept_local=0).
    const src = p.src;
    if (this.isBroadcast(src) || src >>> 24 === 127 || src === this.localAddr) {
      c.badSource++;
      return;
    }
    if (p.headerLen > IPV4_HEADER_LEN) {
      const verdict = checkIpOptions(p.buf, p.headerLen);
      if (verdict !== 'ok') {
        c[verdict]++;
        return;
      }
    }
    let datagram = p;
    if (p.isFragment) {
      const whole = this.reasm.insert(p);
      if (!whole) return;
      datagram = Ipv4Packet.over(whole);
      checksumVerified = false;
    }
    this.deliver(datagram, checksumVerified);
  }

  private deliver(p: Ipv4Packet, checksumVerified: boolean): void {
    const c = this.ipc;
    const handler = this.handlers[p.protocol];
    if (!handler) {
      c.unknownProtocol++;
      this.icmp.sendDestUnreachable(p.buf, ICMP_UNREACH_PROTOCOL);
      return;
    }
    c.inDelivers++;
    try {
      handler(p.src, p.dst, p.payload, p.buf, checksumVerified);
    } catch (err) {
      // A transport bug must not take the receive loop down with it.
      c.handlerError++;
      this.log?.error({ err, protocol: p.protocol }, 'transport input threw');
    }
  }

  private deliverError(type: number, code: number, quoted: Buffer, from: number, mtu: number): void {
    if (quoted.length < IPV4_HEADER_LEN) return;
    const handler = this.errorHandlers[quoted[9]];
    if (!handler) return;
    try {
      handler(type, code, quoted, from, mtu);
    } catch (err) {
      this.ipc.handlerError++;
      this.log?.error({ err }, 'transport ICMP error handler threw');
    }
  }

  /**
   * IpSender.output: write the header into packet[0, 20) and send, splitting
   * into fragments above the MTU (RFC 791 §3.2) unless `dontFrag`, in which
   * case the datagram is dropped and counted (fragFails).
   */
  output(packet: Buffer, dst: number, protocol: number, ttl = this.defaultTtl, dontFrag = false, gsoSize = 0, csumPartial = false, tos = 0): void {
    const c = this.ipc;
    if (packet.length < IPV4_HEADER_LEN) {
      c.outDiscards++;
      return;
    }
    if (packet.length > IPV4_MAX_DATAGRAM) {
      c.outTooBig++;
      return;
    }
    c.outRequests++;
    const ident = this.ident;
    this.ident = (ident + 1) & 0xffff;
    emitIpv4Header(packet, this.localAddr, dst, protocol, ttl, ident, packet.length - IPV4_HEADER_LEN, dontFrag, false, 0, tos);
    const mtu = this.link.mtu;
    if (packet.length <= mtu) {
      this.link.send(packet, 0, csumPartial);
      return;
    }
    if (gsoSize > 0 && packet.length <= this.gsoMaxSize) {
      // A super-packet the link cuts into ceil(payload / gsoSize) datagrams,
      // each taking the next identification (Linux TSO4 increments it).
      this.ident = (ident + Math.ceil((packet.length - IPV4_HEADER_LEN) / gsoSize)) & 0xffff;
      this.link.send(packet, gsoSize, csumPartial);
      return;
    }
    if (dontFrag) {
      c.fragFails++;
      return;
    }
    const n = fragment(packet, mtu, (f) => this.link.send(f));
    if (n === 0) {
      c.fragFails++;
      return;
    }
    c.fragOks++;
    c.fragCreates += n;
  }

  /** Destination unreachable about `datagram` (starting at its IP header); subject to RFC 1122 §3.2.2 rules and the rate limit. */
  sendDestUnreachable(datagram: Buffer, code: number): boolean {
    return this.icmp.sendDestUnreachable(datagram, code);
  }

  /** Release pending reassemblies and their timers. */
  close(): void {
    this.reasm.clear();
  }
}
