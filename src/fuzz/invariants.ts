/**
 * Invariants checked after every fuzz input on a whole stack, not just "it
 * did not throw":
 *  - nothing a transport did threw (Ip.handlerError stays 0);
 *  - every received datagram was accounted for by at least one IP outcome
 *    counter (delivered, handed to reassembly, or dropped under a named reason);
 *  - every connection's sequence space is ordered: SND.UNA ≤ SND.NXT (RFC 9293
 *    §3.3.1), and its queues stay inside the buffers its windows advertise;
 *  - memory is bounded: reassembly within its budget, connection and
 *    TIME_WAIT tables within their limits;
 *  - everything the stack sent is a well-formed datagram within the MTU whose
 *    checksums verify.
 */
import type { Stack } from '../stack.js';
import { seqLe } from '../tcp/seq.js';
import { Ipv4Packet } from '../wire/ipv4.js';
import { parseTcpSegment } from '../wire/tcp.js';
import { UdpPacket } from '../wire/udp.js';
import { Icmpv4Packet } from '../wire/icmpv4.js';
import { check } from './harness.js';

/** IP counters of which each received datagram bumps at least one. */
const IP_OUTCOMES = [
  'inDelivers',
  'truncated',
  'badVersion',
  'badHeaderLength',
  'badTotalLength',
  'badChecksum',
  'notForUs',
  'badSource',
  'unknownProtocol',
  'reasmReqds',
  'reasmTooBig',
  'badFragment',
  'badOptions',
  'sourceRouted',
  'tinyFragment',
] as const;

export function ipOutcomes(stack: Stack): number {
  const c = stack.counters().Ip as Record<string, number>;
  let n = 0;
  for (const k of IP_OUTCOMES) n += c[k] ?? 0;
  return n;
}

export interface Bounds {
  reassemblyMaxBytes: number;
  maxConnections: number;
}

export function checkStack(stack: Stack, b: Bounds, outcomesBefore: number, received: number): void {
  const ip = stack.counters().Ip;
  check(ip.handlerError === 0, 'a transport threw on input');
  check(ipOutcomes(stack) - outcomesBefore >= received, 'a datagram left no trace in the IP counters', { received });
  check(stack.ip.reassemblyBytes <= b.reassemblyMaxBytes, 'reassembly over its budget', stack.ip.reassemblyBytes);
  const conns = stack.connections();
  check(conns.length <= b.maxConnections, 'connection table over its bound', conns.length);
  const o = stack.tcp.options;
  for (const c of conns) {
    if (c.state === 'LISTEN' || c.state === 'TIME_WAIT' || c.state === 'SYN_RECEIVED') continue;
    check(seqLe(c.sndUna, c.sndNxt), 'SND.UNA > SND.NXT', c);
    check(c.recvQueue <= o.rcvBuf, 'receive queue beyond the receive buffer', c);
    check(c.rcvWnd >= 0 && c.rcvWnd <= o.rcvBuf, 'advertised window outside [0, rcvBuf]', c);
    check(c.sendQueue <= o.sndBuf, 'send queue beyond the send buffer', c);
  }
}

/** Everything the stack sent parses, fits the MTU and carries valid checksums. */
export function checkSent(sent: Buffer[], mtu: number): void {
  for (const p of sent) {
    check(p.length <= mtu, 'sent a datagram above the MTU', p.length);
    const v = Ipv4Packet.parse(p);
    check(typeof v !== 'string', 'sent a malformed IPv4 header', v);
    const ip = v as Ipv4Packet;
    if (ip.isFragment) continue;
    const l4 = ip.payload;
    if (ip.protocol === 6) {
      const seg = parseTcpSegment(l4, ip.src, ip.dst);
      check(typeof seg !== 'string', 'sent a malformed TCP segment', seg);
    } else if (ip.protocol === 17) {
      check(typeof UdpPacket.parse(l4, ip.src, ip.dst) !== 'string', 'sent a malformed UDP datagram');
    } else if (ip.protocol === 1) {
      check(typeof Icmpv4Packet.parse(l4) !== 'string', 'sent a malformed ICMP message');
    }
  }
}
