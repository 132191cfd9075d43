/**
 * The views `tunstack stat` prints besides the default report: `-i` (per
 * connection internals, laid out like `ss -tni`), `-s` (counter changes since
 * the previous `-s`, like `nstat`), and the JSON of each for scripts.
 */
import type { TcpInfo } from '../tcp/api.js';
import { formatIpv4 } from '../wire/ip-address.js';

export type StatView = 'report' | 'info' | 'deltas';

const STATE_NAMES: Record<string, string> = {
  SYN_SENT: 'SYN-SENT',
  SYN_RECEIVED: 'SYN-RECV',
  ESTABLISHED: 'ESTAB',
  FIN_WAIT_1: 'FIN-WAIT-1',
  FIN_WAIT_2: 'FIN-WAIT-2',
  CLOSE_WAIT: 'CLOSE-WAIT',
  LAST_ACK: 'LAST-ACK',
  TIME_WAIT: 'TIME-WAIT',
};

/** One connection as `stat -i --json` gives it: ss -tni's fields with units in the names. */
export interface ConnectionStat {
  state: string;
  local: string;
  peer: string;
  recvQ: number;
  sendQ: number;
  cc: string;
  cwnd: number;
  ssthresh: number | null;
  srttMs: number;
  rttvarMs: number;
  rtoMs: number;
  mss: number;
  sndWscale: number;
  rcvWscale: number;
  retransmits: number;
  totalRetrans: number;
  bytesAcked: number;
  bytesReceived: number;
  deliveryRateBps: number;
  unacked: number;
  caState: string;
  sackOk: boolean;
  timestamps: boolean;
  /** Armed timers as "name": ms from now. */
  timers: Record<string, number>;
  /** When the controller paces (BBR): tcpi_pacing_rate in bit/s. */
  pacingRateBps?: number;
  /** BBR's model (Linux tcp_bbr_info): bandwidth bit/s, min RTT ms, gains. */
  bbr?: { bwBps: number; minRttMs: number; pacingGain: number; cwndGain: number };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

export function connectionStats(conns: readonly TcpInfo[], now: number): ConnectionStat[] {
  return conns
    .filter((c) => c.state !== 'LISTEN')
    .map((c) => ({
      state: c.state,
      local: `${formatIpv4(c.localAddr)}:${c.localPort}`,
      peer: `${formatIpv4(c.remoteAddr)}:${c.remotePort}`,
      recvQ: c.recvQueue,
      sendQ: c.sendQueue,
      cc: c.ccName ?? '',
      cwnd: c.mss > 0 ? Math.round(c.cwnd / c.mss) : 0,
      ssthresh: c.ssthresh >= 0x7fffffff || c.mss === 0 ? null : Math.round(c.ssthresh / c.mss),
      srttMs: round(c.srtt),
      rttvarMs: round(c.rttvar),
      rtoMs: round(c.rto),
      mss: c.mss,
      sndWscale: c.sndWscale,
      rcvWscale: c.rcvWscale,
      retransmits: c.retransmits,
      totalRetrans: c.totalRetrans,
      bytesAcked: c.bytesAcked ?? 0,
      bytesReceived: c.bytesReceived ?? 0,
      deliveryRateBps: (c.deliveryRate ?? 0) * 8,
      unacked: c.unacked,
      caState: c.caState,
      sackOk: c.sackOk,
      timestamps: c.timestamps,
      timers: Object.fromEntries(Object.entries(c.timers ?? {}).map(([k, at]) => [k, round(Math.max(0, (at as number) - now))])),
      ...(c.pacingRate !== undefined ? { pacingRateBps: c.pacingRate * 8 } : {}),
      ...(c.bbrBw !== undefined
        ? { bbr: { bwBps: c.bbrBw * 8, minRttMs: round((c.bbrMinRtt ?? 0) / 1000), pacingGain: round((c.bbrPacingGain ?? 0) / 256), cwndGain: round((c.bbrCwndGain ?? 0) / 256) } }
        : {}),
    }));
}

function rate(bps: number): string {
  if (bps >= 1e9) return `${(bps / 1e9).toFixed(1)}Gbps`;
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(1)}Mbps`;
  if (bps >= 1e3) return `${(bps / 1e3).toFixed(1)}Kbps`;
  return `${bps}bps`;
}

/** `ss -tni` layout: a table row per connection, then its internals indented on the next line. */
export function formatConnectionInfo(stats: readonly ConnectionStat[]): string {
  const rows = [['State', 'Recv-Q', 'Send-Q', 'Local Address:Port', 'Peer Address:Port']];
  for (const s of stats) rows.push([STATE_NAMES[s.state] ?? s.state, String(s.recvQ), String(s.sendQ), s.local, s.peer]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  const out = [line(rows[0])];
  stats.forEach((s, i) => {
    out.push(line(rows[i + 1]));
    if (s.state === 'TIME_WAIT' || s.state === 'SYN_RECEIVED') {
      out.push(`\t timer:(${Object.entries(s.timers).map(([k, v]) => `${k},${v}ms`).join(' ') || 'none'})`);
      return;
    }
    const f = [
      s.cc,
      ...(s.sackOk ? ['sack'] : []),
      ...(s.timestamps ? ['ts'] : []),
      `wscale:${s.sndWscale},${s.rcvWscale}`,
      `rto:${s.rtoMs}`,
      `rtt:${s.srttMs}/${s.rttvarMs}`,
      `mss:${s.mss}`,
      `cwnd:${s.cwnd}`,
      ...(s.ssthresh !== null ? [`ssthresh:${s.ssthresh}`] : []),
      `bytes_acked:${s.bytesAcked}`,
      `bytes_received:${s.bytesReceived}`,
      `retrans:${s.retransmits}/${s.totalRetrans}`,
      `unacked:${s.unacked}`,
      ...(s.bbr ? [`bbr:(bw:${rate(s.bbr.bwBps)},mrtt:${s.bbr.minRttMs},pacing_gain:${s.bbr.pacingGain},cwnd_gain:${s.bbr.cwndGain})`] : []),
      ...(s.pacingRateBps !== undefined ? [`pacing_rate:${rate(s.pacingRateBps)}`] : []),
      `delivery_rate:${rate(s.deliveryRateBps)}`,
      `ca_state:${s.caState}`,
      ...(Object.keys(s.timers).length ? [`timer:(${Object.entries(s.timers).map(([k, v]) => `${k},${v}ms`).join(' ')})`] : []),
    ];
    out.push(`\t ${f.join(' ')}`);
  });
  return out.join('\n') + '\n';
}

/** Counter changes between two snapshots (non-zero only), as "Group.Name". */
export function counterDeltas(
  before: Record<string, Record<string, number>> | undefined,
  now: Record<string, Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [g, c] of Object.entries(now)) {
    for (const [n, v] of Object.entries(c)) {
      const d = v - (before?.[g]?.[n] ?? 0);
      if (d !== 0) out[`${g}.${n}`] = d;
    }
  }
  return out;
}

/** nstat's layout: name, delta, one per line. */
export function formatDeltas(deltas: Record<string, number>, sinceMs: number | undefined): string {
  const head = sinceMs === undefined ? '#counters since the stack started\n' : `#counters changed in the last ${Math.round(sinceMs)} ms\n`;
  const w = Math.max(8, ...Object.keys(deltas).map((k) => k.length));
  return head + Object.entries(deltas).map(([k, v]) => `${k.padEnd(w)}  ${v}\n`).join('');
}
