/**
 * The TCP counters group, named as Linux's `netstat -s` names them (the Tcp:
 * MIB of RFC 4022 plus Linux TcpExt), followed by our drop reasons. Who
 * increments what:
 *  - the layer (tcp-layer.ts, listener.ts, time-wait.ts): InSegs, OutSegs,
 *    OutRsts, InErrs and the parse drop reasons, ActiveOpens, PassiveOpens,
 *    Syncookies*, Listen*, TCPReqQFull*, TW*, TCPTimeWaitReuse;
 *  - the connection (conn): RetransSegs, AttemptFails, EstabResets,
 *    CurrEstab (a gauge), TCPChallengeACK, TCPChallengeACKLimited (when the
 *    layer's RFC 5961 §7 bucket says no) and its own reasons.
 * "conn" may add names here; env.stats is a Record<string, number>, so a name
 * not listed still works but prints after the others.
 */
import { makeCounters, type Counters } from '../util/counters.js';

export const TCP_COUNTER_NAMES = [
  // Tcp: (RFC 4022 MIB names, as netstat -s prints them)
  'ActiveOpens',
  'PassiveOpens',
  'AttemptFails',
  'EstabResets',
  'CurrEstab',
  'InSegs',
  'OutSegs',
  'RetransSegs',
  'InErrs',
  'OutRsts',
  'InCsumErrors',
  // TcpExt: (Linux names)
  'SyncookiesSent',
  'SyncookiesRecv',
  'SyncookiesFailed',
  'ListenOverflows',
  'ListenDrops',
  'TCPReqQFullDoCookies',
  'TCPReqQFullDrop',
  'TCPChallengeACK',
  'TCPChallengeACKLimited',
  'TCPACKSkippedChallenge',
  'TCPTimeWaitReuse',
  'TCPTimeWaitOverflow',
  'TCPAbortOnMemory',
  'TCPMaxConnDrop',
  // tcp_mem (memory.ts): entries into memory pressure; data refused over the hard limit.
  'TCPMemoryPressures',
  'TCPRcvQDrop',
  'TCPOFODrop',
  'TWRecycled',
  'TW',
  'TCPSynRetrans',
  'TCPTimeouts',
  'EmbryonicRsts',
  // Drop reasons (ours): why a received segment was discarded by the layer.
  // (the first five are the strings parseTcpSegment returns, counted as is)
  'truncated',
  'badDataOffset',
  'badChecksum',
  'badOptionLength',
  'badFlags',
  'dropListenRst',
  'dropListenOther',
  'dropSynRecvOutOfWindow',
  'dropSynRecvBadSyn',
  'dropTimeWaitRst',
  'dropNoPortRst',
  'dropBroadcast',
] as const;

export type TcpCounterName = (typeof TCP_COUNTER_NAMES)[number];
export type TcpStats = Counters<TcpCounterName> & Record<string, number>;

export function makeTcpStats(): TcpStats {
  return makeCounters(TCP_COUNTER_NAMES) as TcpStats;
}

/** Increment a named counter (e.g. a drop reason string returned by a parser); unknown names are created on first use. */
export function bump(stats: Record<string, number>, reason: string): void {
  stats[reason] = (stats[reason] ?? 0) + 1;
}
