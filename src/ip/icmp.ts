/**
 * ICMPv4 (RFC 792, RFC 1122 §3.2.2): echo, error generation with the
 * RFC 1122 suppression rules and a rate limit, and delivery of received
 * errors to the transport that sent the quoted datagram.
 */
import { updateChecksum16 } from '../wire/checksum.js';
import {
  ICMP_DEST_UNREACHABLE,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_TIME_EXCEEDED,
  ICMP_UNREACH_FRAG_NEEDED,
  ICMPV4_HEADER_LEN,
  Icmpv4Packet,
  Icmpv4Repr,
  isIcmpError,
} from '../wire/icmpv4.js';
import { IPV4_HEADER_LEN } from '../wire/ipv4.js';

const ICMP_REDIRECT = 5;
import type { Clock } from '../time/clock.js';
import type { IcmpCounters } from './counters.js';
import { TokenBucket } from './rate-limit.js';
import { PeerRateLimiter } from './peer-rate-limit.js';
import { IPPROTO_ICMP } from './types.js';

/**
 * Handler for ICMP errors about a datagram we sent: `quoted` starts at its IP
 * header; `nextHopMtu` is the frag-needed MTU field (RFC 1191 §4), else 0.
 */
export type IcmpErrorHandler = (type: number, code: number, quoted: Buffer, from: number, nextHopMtu: number) => void;

export interface IcmpOptions {
  localAddr: number;
  output(packet: Buffer, dst: number, protocol: number): void;
  clock: Clock;
  counters: IcmpCounters;
  /** True for limited broadcast, the link's directed broadcast, multicast. */
  isBroadcast(addr: number): boolean;
  msgsPerSec: number;
  msgsBurst: number;
  /** Linux icmp_ratelimit (ms per message per destination, burst of 6); 0 turns it off. */
  ratelimitMs: number;
  /** Linux icmp_ratemask: bit N set = ICMP type N is rate limited (0x1818: 3, 4, 11, 12). */
  ratemask: number;
  /** Destinations remembered by the per-destination limit (Linux's inet_peer cache). */
  ratelimitPeers: number;
  /** Largest ICMP error datagram, IP header included. */
  errorMaxLen: number;
  onError: IcmpErrorHandler;
}

/** Linux's default icmp_ratemask: destination unreachable, source quench, time exceeded, parameter problem. */
export const ICMP_RATEMASK_DEFAULT = 0x1818;

/** Types that are not errors (RFC 792, RFC 950, RFC 1256); anything else unknown is treated as an error. */
function isQueryType(type: number): boolean {
  return type === 0 || type === 8 || (type >= 9 && type <= 10) || (type >= 13 && type <= 18);
}

export class Icmp {
  private readonly bucket: TokenBucket;
  private readonly peers: PeerRateLimiter;

  constructor(private readonly o: IcmpOptions) {
    this.bucket = new TokenBucket(o.clock, o.msgsPerSec, o.msgsBurst);
    this.peers = new PeerRateLimiter(o.clock, o.ratelimitMs, o.ratelimitPeers);
  }

  /**
   * May a message of `type`/`code` go to `dst`? Linux icmpv4_global_allow then
   * icmpv4_xrlim_allow: types outside icmp_ratemask, and frag-needed (PMTU
   * discovery must not be starved, icmpv4_mask_allow), are never limited;
   * the others need global credit, then a per-destination token, and spend
   * the global token only when both agree (Linux ≥ 6.12 order, so one noisy
   * destination cannot drain the budget the others share). Refusals are
   * counted as Linux's RateLimitGlobal (outRateLimited) and RateLimitHost
   * (outRateLimitHost).
   */
  private allowed(type: number, code: number, dst: number): boolean {
    if (type > 31 || !((1 << type) & this.o.ratemask)) return true;
    if (type === ICMP_DEST_UNREACHABLE && code === ICMP_UNREACH_FRAG_NEEDED) return true;
    if (!this.bucket.hasToken()) {
      this.o.counters.outRateLimited++;
      return false;
    }
    if (!this.peers.allow(dst)) {
      this.o.counters.outRateLimitHost++;
      return false;
    }
    this.bucket.spend();
    return true;
  }

  /** TransportInput for protocol 1. */
  input(src: number, dst: number, payload: Buffer): void {
    const c = this.o.counters;
    c.inMsgs++;
    const p = Icmpv4Packet.parse(payload);
    if (typeof p === 'string') {
      c.inErrors++;
      if (p === 'truncated') c.inTruncated++;
      else c.inBadChecksum++;
      return;
    }
    switch (p.type) {
      case ICMP_ECHO_REQUEST:
        c.inEchos++;
        this.echo(src, dst, payload);
        return;
      case ICMP_ECHO_REPLY:
        c.inEchoReps++;
        return;
      case ICMP_DEST_UNREACHABLE:
        c.inDestUnreachs++;
        this.o.onError(p.type, p.code, p.data, src, p.code === ICMP_UNREACH_FRAG_NEEDED ? p.seq : 0);
        return;
      case ICMP_TIME_EXCEEDED:
        c.inTimeExcds++;
        this.o.onError(p.type, p.code, p.data, src, 0);
        return;
      case ICMP_REDIRECT:
        // RFC 1122 §3.2.2.2 has hosts update their route cache; we have one
        // on-link subnet and no gateway, so there is nothing a redirect could
        // change: counted (Linux InRedirects) and ignored.
        c.inRedirects++;
        return;
      default:
        c.inOther++;
    }
  }

  /**
   * Echo reply carrying the request's ident, seq and data (RFC 792 "Echo or
   * Echo Reply Message"). Requests to a broadcast address are ignored, as
   * Linux does by default (icmp_echo_ignore_broadcasts=1; RFC 1122 §3.2.2.6
   * allows it). Replies are rate limited only when icmp_ratemask has bit 0
   * (Linux icmp_reply → icmpv4_xrlim_allow; its default mask leaves them out).
   */
  private echo(src: number, dst: number, msg: Buffer): void {
    if (this.o.isBroadcast(dst)) {
      this.o.counters.echoIgnoredBroadcast++;
      return;
    }
    if (!this.allowed(ICMP_ECHO_REPLY, 0, src)) return;
    const out = Buffer.allocUnsafe(IPV4_HEADER_LEN + msg.length);
    msg.copy(out, IPV4_HEADER_LEN);
    const reply = Icmpv4Packet.over(out.subarray(IPV4_HEADER_LEN));
    // Only the type byte changes, so patch the checksum incrementally (RFC 1624 §3).
    const code = reply.code;
    reply.type = ICMP_ECHO_REPLY;
    reply.checksum = updateChecksum16(reply.checksum, (ICMP_ECHO_REQUEST << 8) | code, (ICMP_ECHO_REPLY << 8) | code);
    this.o.counters.outMsgs++;
    this.o.counters.outEchoReps++;
    this.o.output(out, src, IPPROTO_ICMP);
  }

  /** Destination unreachable about `datagram` (which starts at its IP header). */
  sendDestUnreachable(datagram: Buffer, code: number): boolean {
    return this.sendError(datagram, { kind: 'destUnreachable', code, nextHopMtu: 0, data: datagram });
  }

  /** Time exceeded about `datagram` (code 0 TTL, 1 reassembly). */
  sendTimeExceeded(datagram: Buffer, code: number): boolean {
    return this.sendError(datagram, { kind: 'timeExceeded', code, data: datagram });
  }

  private sendError(datagram: Buffer, repr: Icmpv4Repr & { kind: 'destUnreachable' | 'timeExceeded' }): boolean {
    const c = this.o.counters;
    const dst = this.errorDestination(datagram);
    if (dst === undefined) {
      c.errorSuppressed++;
      return false;
    }
    const type = repr.kind === 'destUnreachable' ? ICMP_DEST_UNREACHABLE : ICMP_TIME_EXCEEDED;
    if (!this.allowed(type, repr.code, dst)) return false;
    // Quote as much as fits in errorMaxLen (Linux: 576 bytes, RFC 1812 §4.3.2.3);
    // RFC 792 requires only the header and 8 bytes, which always fit.
    const room = this.o.errorMaxLen - IPV4_HEADER_LEN - ICMPV4_HEADER_LEN;
    repr.data = datagram.subarray(0, Math.min(datagram.length, room));
    const out = Buffer.allocUnsafe(IPV4_HEADER_LEN + Icmpv4Repr.bufferLen(repr));
    Icmpv4Repr.emit(repr, out.subarray(IPV4_HEADER_LEN));
    c.outMsgs++;
    if (repr.kind === 'destUnreachable') c.outDestUnreachs++;
    else c.outTimeExcds++;
    this.o.output(out, dst, IPPROTO_ICMP);
    return true;
  }

  /**
   * Where an error about `datagram` would go, or undefined when RFC 1122
   * §3.2.2 forbids sending one: about an ICMP error, a non-initial fragment,
   * a datagram to a broadcast/multicast address, or one whose source is not a
   * single host (zero, broadcast, multicast, class E, loopback).
   */
  private errorDestination(d: Buffer): number | undefined {
    if (d.length < IPV4_HEADER_LEN || d[0] >>> 4 !== 4) return undefined;
    const hl = (d[0] & 0x0f) * 4;
    if (hl < IPV4_HEADER_LEN || hl > d.length) return undefined;
    if ((d.readUInt16BE(6) & 0x1fff) !== 0) return undefined;
    const src = d.readUInt32BE(12);
    const dst = d.readUInt32BE(16);
    if (this.o.isBroadcast(dst) || !isUnicastHost(src) || this.o.isBroadcast(src)) return undefined;
    if (d[9] === IPPROTO_ICMP) {
      if (d.length <= hl) return undefined;
      const type = d[hl];
      if (isIcmpError(type) || !isQueryType(type)) return undefined;
    }
    return src;
  }
}

/** A source that names one host: not 0/8, 127/8, multicast 224/4 or reserved 240/4 (RFC 1122 §3.2.1.3). */
function isUnicastHost(a: number): boolean {
  const top = a >>> 24;
  return top !== 0 && top !== 127 && top < 224;
}
