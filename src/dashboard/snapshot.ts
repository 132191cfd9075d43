/**
 * What the dashboard sends each tick: the counters (drop reasons marked) and
 * one row per connection with the values its charts plot (cwnd, bytes in
 * flight, smoothed RTT) — the same fields `tunstack stat -i` shows.
 */
import type { TcpInfo } from '../tcp/api.js';
import { connectionStats, type ConnectionStat } from '../run/stat-format.js';

export interface DashboardSource {
  counters(): Record<string, Record<string, number>>;
  connections(): TcpInfo[];
  /** The stack's clock (ms). */
  now(): number;
}

export interface ConnectionRow extends ConnectionStat {
  id: string;
  /** Congestion window and bytes sent but not yet acknowledged (SND.NXT − SND.UNA), bytes. */
  cwndBytes: number;
  inFlightBytes: number;
}

export interface Snapshot {
  /** Seconds since the dashboard started. */
  t: number;
  counters: Record<string, Record<string, number>>;
  /** "Group.name" of the counters that count discarded input or output (drop reasons). */
  drops: string[];
  connections: ConnectionRow[];
  /** The peer address:port of the connection this event stream travels on (the page's own). */
  you?: string;
}

/**
 * Counters that count something thrown away, by the names the layers give
 * them: the parse/validation reasons (truncated, bad*), the explicit drop*
 * reasons, reassembly failures, and the MIB error counters.
 */
const DROP = /^(drop|bad|truncated|notFor|unknown|reasm(Fails|Timeout|Overlaps|Evicted|TooBig)|outDiscards|fragFails|InErrs|InCsumErrors|inErrors|inTruncated|inBadChecksum|ListenDrops|ListenOverflows|TCPReqQFullDrop|Syncookies(Failed)|queueDropped|oversize)/;

export function isDropReason(name: string): boolean {
  return DROP.test(name);
}

export function snapshot(src: DashboardSource, startedAt: number): Snapshot {
  const now = src.now();
  const counters: Record<string, Record<string, number>> = {};
  const drops: string[] = [];
  for (const [g, c] of Object.entries(src.counters())) {
    for (const [n, v] of Object.entries(c)) {
      if (v === 0) continue;
      (counters[g] ??= {})[n] = v;
      if (isDropReason(n)) drops.push(`${g}.${n}`);
    }
  }
  const infos = src.connections().filter((c) => c.state !== 'LISTEN');
  const stats = connectionStats(infos, now);
  const connections = stats.map((s, i) => ({
    ...s,
    id: `${s.local}>${s.peer}`,
    cwndBytes: infos[i].cwnd,
    inFlightBytes: (infos[i].sndNxt - infos[i].sndUna) >>> 0,
  }));
  return { t: Math.round(now - startedAt) / 1000, counters, drops, connections };
}
