/**
 * Counter names for the IP and ICMP groups (netstat -s style). Drop reasons
 * returned by the wire parsers name IP counters directly.
 */
import { makeCounters, type Counters } from '../util/counters.js';

export const IP_COUNTER_NAMES = [
  'inReceives',
  'inDelivers',
  // Header validation (RFC 791 §3.1, RFC 1122 §3.2.1); names match Ipv4DropReason.
  'truncated',
  'badVersion',
  'badHeaderLength',
  'badTotalLength',
  'badChecksum',
  'notForUs',
  'badSource',
  'unknownProtocol',
  'handlerError',
  'outRequests',
  'outTooBig',
  'outDiscards',
  'fragFails',
  'fragOks',
  'fragCreates',
  'reasmReqds',
  'reasmOks',
  'reasmFails',
  'reasmTimeout',
  'reasmOverlaps',
  'reasmEvicted',
  'reasmTooBig',
  'badFragment',
  // Options (RFC 791 §3.1): malformed, or source routing (Linux accept_source_route=0).
  'badOptions',
  'sourceRouted',
  // RFC 1858 §3: TCP fragments that split or overlap the TCP header.
  'tinyFragment',
] as const;
export type IpCounterName = (typeof IP_COUNTER_NAMES)[number];
export type IpCounters = Counters<IpCounterName>;

export const ICMP_COUNTER_NAMES = [
  'inMsgs',
  'inErrors',
  'inTruncated',
  'inBadChecksum',
  'inEchos',
  'inEchoReps',
  'inDestUnreachs',
  'inTimeExcds',
  'inRedirects',
  'inOther',
  'echoIgnoredBroadcast',
  'outMsgs',
  'outEchoReps',
  'outDestUnreachs',
  'outTimeExcds',
  // Linux RateLimitGlobal (icmp_msgs_per_sec) and RateLimitHost (icmp_ratelimit per destination).
  'outRateLimited',
  'outRateLimitHost',
  'errorSuppressed',
  // Path MTU estimates lowered by a frag-needed (RFC 1191; Linux counts no such thing, ip route get shows it).
  'pmtuLearnt',
] as const;
export type IcmpCounterName = (typeof ICMP_COUNTER_NAMES)[number];
export type IcmpCounters = Counters<IcmpCounterName>;

export function makeIpCounters(): IpCounters {
  return makeCounters(IP_COUNTER_NAMES);
}
export function makeIcmpCounters(): IcmpCounters {
  return makeCounters(ICMP_COUNTER_NAMES);
}
