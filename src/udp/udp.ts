/**
 * UDP (RFC 768, RFC 1122 §4.1): validates, demultiplexes by destination port
 * to bound sockets, answers closed ports with ICMP port unreachable, and sends
 * datagrams for sockets (IPv4 fragments anything above the MTU).
 */
import type { Rng } from '../util/random.js';
import { randInt } from '../util/random.js';
import { makeCounters, type Counters } from '../util/counters.js';
import { UDP_HEADER_LEN, UdpPacket } from '../wire/udp.js';
import { ICMP_UNREACH_PORT } from '../wire/icmpv4.js';
import { IPV4_HEADER_LEN, IPV4_MAX_DATAGRAM } from '../wire/ipv4.js';
import { IPPROTO_UDP, type IpSender, type TransportInput } from '../ip/types.js';
import type { IcmpErrorHandler } from '../ip/icmp.js';
import { UdpSocket } from './socket.js';

/** What UDP needs from IPv4; Ipv4Layer provides it. */
export interface UdpIp extends IpSender {
  register(protocol: number, input: TransportInput, onError?: IcmpErrorHandler): void;
  sendDestUnreachable(datagram: Buffer, code: number): boolean;
  isBroadcast(addr: number): boolean;
}

export interface UdpLayerOptions {
  ip: UdpIp;
  rng: Rng;
  /** Ephemeral port range, inclusive (Linux net.ipv4.ip_local_port_range). */
  ephemeralLow?: number;
  ephemeralHigh?: number;
}

/** Names after `netstat -s` Udp: (RFC 4113 MIB names), plus the drop reasons. */
export const UDP_COUNTER_NAMES = [
  'InDatagrams',
  'NoPorts',
  'InErrors',
  'InCsumErrors',
  'truncated',
  'badLength',
  'OutDatagrams',
  'SndbufErrors',
] as const;
export type UdpCounters = Counters<(typeof UDP_COUNTER_NAMES)[number]>;

/** Largest UDP payload in one IPv4 datagram: 65535 - 20 - 8. */
export const UDP_MAX_PAYLOAD = IPV4_MAX_DATAGRAM - IPV4_HEADER_LEN - UDP_HEADER_LEN;

export class UdpLayer {
  readonly stats: UdpCounters = makeCounters(UDP_COUNTER_NAMES);
  readonly ip: UdpIp;
  private readonly rng: Rng;
  private readonly ports = new Map<number, UdpSocket>();
  private readonly low: number;
  private readonly high: number;

  constructor(o: UdpLayerOptions) {
    this.ip = o.ip;
    this.rng = o.rng;
    this.low = o.ephemeralLow ?? 32768;
    this.high = o.ephemeralHigh ?? 60999;
    this.ip.register(IPPROTO_UDP, (src, dst, payload, datagram, verified) => this.input(src, dst, payload, datagram, verified));
  }

  /** A new, unbound socket (dgram.createSocket('udp4') equivalent). */
  createSocket(): UdpSocket {
    return new UdpSocket(this);
  }

  input(src: number, dst: number, payload: Buffer, datagram: Buffer, checksumVerified = false): void {
    const c = this.stats;
    const p = UdpPacket.parse(payload, src, dst, checksumVerified);
    if (typeof p === 'string') {
      c.InErrors++;
      if (p === 'badChecksum') c.InCsumErrors++;
      else c[p]++;
      return;
    }
    const sock = this.ports.get(p.dstPort);
    if (!sock) {
      c.NoPorts++;
      // RFC 1122 §4.1.3.1: port unreachable; never for broadcasts (§3.2.2), which Icmp enforces.
      this.ip.sendDestUnreachable(datagram, ICMP_UNREACH_PORT);
      return;
    }
    c.InDatagrams++;
    sock._deliver(p.payload, src, p.srcPort);
  }

  /**
   * Reserve `port` (or an ephemeral one when 0) for `sock`. Returns the port,
   * or undefined if it is taken / none is free.
   */
  _bind(sock: UdpSocket, port: number): number | undefined {
    if (port !== 0) {
      if (this.ports.has(port)) return undefined;
      this.ports.set(port, sock);
      return port;
    }
    // Random start then linear probe, as Linux's __udp_lib_get_port does.
    const span = this.high - this.low + 1;
    const start = randInt(this.rng, span);
    for (let i = 0; i < span; i++) {
      const p = this.low + ((start + i) % span);
      if (!this.ports.has(p)) {
        this.ports.set(p, sock);
        return p;
      }
    }
    return undefined;
  }

  _unbind(sock: UdpSocket, port: number): void {
    if (this.ports.get(port) === sock) this.ports.delete(port);
  }

  /** Build and send one datagram; false if it cannot fit in an IPv4 datagram. */
  _send(srcPort: number, dst: number, dstPort: number, data: Buffer): boolean {
    if (data.length > UDP_MAX_PAYLOAD) {
      this.stats.SndbufErrors++;
      return false;
    }
    // Header room in front of the payload, filled back to front (UDP then IP).
    const packet = Buffer.allocUnsafe(IPV4_HEADER_LEN + UDP_HEADER_LEN + data.length);
    data.copy(packet, IPV4_HEADER_LEN + UDP_HEADER_LEN);
    const u = UdpPacket.over(packet.subarray(IPV4_HEADER_LEN));
    u.srcPort = srcPort;
    u.dstPort = dstPort;
    u.length = UDP_HEADER_LEN + data.length;
    u.fillChecksum(this.ip.localAddr, dst);
    this.stats.OutDatagrams++;
    this.ip.output(packet, dst, IPPROTO_UDP);
    return true;
  }
}
