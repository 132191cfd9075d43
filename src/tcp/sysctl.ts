/**
 * Stack-wide TCP/IP settings under Linux's sysctl names (net.ipv4.*), as one
 * table over the typed TcpOptions object: the conformance runner's `sysctl`
 * lines, `Stack.sysctl` and the README table all go through it. Values are
 * strings as `sysctl -w` takes them, in Linux's units (seconds where Linux
 * counts seconds); a name the table does not know returns false, never throws.
 */
import type { TcpOptions } from './api.js';
import { isCongestionControl } from './congestion/index.js';

interface SysctlEntry {
  /** What the setting does here (the README table's text). */
  readonly doc: string;
  get(o: TcpOptions): string;
  /** Returns false if `value` is not a valid value for this setting. */
  set(o: TcpOptions, value: string): boolean;
}

type NumericKey = { [K in keyof TcpOptions]-?: number extends TcpOptions[K] ? K : never }[keyof TcpOptions];
type BoolKey = { [K in keyof TcpOptions]-?: TcpOptions[K] extends boolean ? K : never }[keyof TcpOptions];

function int(value: string): number | undefined {
  const s = value.trim();
  if (!/^-?\d+$/.test(s)) return undefined;
  return Number(s);
}

/** An integer option, stored as `value * scale` (scale 1000: Linux seconds to our ms). */
function num(key: NumericKey, doc: string, scale = 1, min = 0): SysctlEntry {
  return {
    doc,
    get: (o) => String(Math.round((o[key] ?? 0) / scale)),
    set: (o, v) => {
      const n = int(v);
      if (n === undefined || n < min) return false;
      o[key] = n * scale;
      return true;
    },
  };
}

/** 0 / non-zero as Linux's boolean sysctls (`invert` for ip_no_pmtu_disc-style negatives). */
function bool(key: BoolKey, doc: string, invert = false): SysctlEntry {
  return {
    doc,
    get: (o) => (o[key] !== invert ? '1' : '0'),
    set: (o, v) => {
      const n = int(v);
      if (n === undefined) return false;
      o[key] = (n !== 0) !== invert;
      return true;
    },
  };
}

/** Linux's "min default max" triple; the maximum sizes the buffer (and so the window scale, RFC 7323 §2.3). */
function triple(key: 'rcvBuf' | 'sndBuf', doc: string): SysctlEntry {
  const seen = new WeakMap<TcpOptions, string>();
  return {
    doc,
    get: (o) => seen.get(o) ?? `4096 ${o[key]} ${o[key]}`,
    set: (o, v) => {
      const parts = v.trim().split(/\s+/).map(int);
      if (parts.length !== 3 || parts.some((p) => p === undefined || p <= 0)) return false;
      o[key] = parts[2] as number;
      seen.set(o, parts.join(' '));
      return true;
    },
  };
}

const SYNCOOKIES: readonly TcpOptions['synCookies'][] = ['never', 'auto', 'always'];

/** Every supported name, without the `net.ipv4.` prefix. */
export const SYSCTLS: Readonly<Record<string, SysctlEntry>> = {
  tcp_rmem: triple('rcvBuf', 'receive buffer min/default/max; the max is the buffer and picks the window scale'),
  tcp_wmem: triple('sndBuf', 'send buffer min/default/max; the max is the buffer'),
  tcp_timestamps: bool('timestamps', 'offer/accept timestamps (RFC 7323 §3)'),
  tcp_sack: bool('sack', 'offer/accept SACK (RFC 2018)'),
  tcp_ecn: {
    doc: 'ECN (RFC 3168): 0 off, 1 request and accept, 2 accept when asked (default)',
    get: (o) => String(o.ecn),
    set: (o, v) => {
      const n = int(v);
      if (n !== 0 && n !== 1 && n !== 2) return false;
      o.ecn = n;
      return true;
    },
  },
  tcp_frto: bool('frto', 'F-RTO after a timeout (RFC 5682 §3; Linux 2 = SACK-enhanced, 1 the same here)'),
  tcp_dsack: bool('dsack', 'send D-SACK blocks for duplicate segments (RFC 2883)'),
  tcp_window_scaling: bool('windowScaling', 'offer/accept window scaling (RFC 7323 §2)'),
  tcp_syncookies: {
    doc: '0 never, 1 when the SYN queue is full, 2 always (RFC 4987 §3.6)',
    get: (o) => String(SYNCOOKIES.indexOf(o.synCookies)),
    set: (o, v) => {
      const n = int(v);
      if (n === undefined || n < 0 || n > 2) return false;
      o.synCookies = SYNCOOKIES[n];
      return true;
    },
  },
  tcp_rfc1337: bool('rfc1337', '1: RST in TIME_WAIT is ignored (RFC 1337); Linux default 0, ours 1'),
  tcp_syn_retries: num('synRetries', 'SYN retransmissions before ETIMEDOUT'),
  tcp_synack_retries: num('synAckRetries', 'SYN-ACK retransmissions before the half-open entry is dropped'),
  tcp_retries2: num('maxRetries', 'data retransmissions before ETIMEDOUT'),
  tcp_fin_timeout: num('finWait2Timeout', 'orphaned FIN_WAIT_2 lifetime, s', 1000),
  tcp_max_syn_backlog: num('maxSynBacklog', 'upper bound on any SYN queue', 1, 1),
  tcp_keepalive_time: num('keepAliveIdle', 'keepalive idle time, s', 1000, 1),
  tcp_keepalive_intvl: num('keepAliveInterval', 'keepalive probe interval, s', 1000, 1),
  tcp_keepalive_probes: num('keepAliveProbes', 'keepalive probes before ETIMEDOUT', 1, 1),
  tcp_challenge_ack_limit: num('challengeAckLimit', 'challenge ACKs per second (RFC 5961 §7), a random budget in [limit/2, limit*3/2) each second'),
  tcp_invalid_ratelimit: num('invalidRateLimitMs', 'at most one challenge ACK per connection per this many ms'),
  tcp_max_tw_buckets: num('maxTwBuckets', 'TIME_WAIT records at most; beyond, closing connections skip TIME_WAIT'),
  tcp_mem: {
    doc: 'low pressure high, 4 KiB pages of buffered bytes across all connections (memory.ts)',
    get: (o) => o.tcpMem.join(' '),
    set: (o, v) => {
      const parts = v.trim().split(/\s+/).map(int);
      if (parts.length !== 3 || parts.some((p) => p === undefined || p <= 0)) return false;
      const [low, pressure, high] = parts as number[];
      if (!(low <= pressure && pressure <= high)) return false;
      o.tcpMem = [low, pressure, high];
      return true;
    },
  },
  tcp_max_orphans: num('maxOrphans', 'closed-but-finishing connections at most; beyond, close() resets'),
  tcp_comp_sack_nr: num('compSackNr', 'out-of-order ACKs folded into one after three duplicates (Linux 44; 0 off)'),
  tcp_early_retrans: num('earlyRetrans', 'tail loss probe: 3 or 4 on (Linux default 3), other values off'),
  tcp_min_rtt_wlen: num('minRttWlenSec', 'min-RTT filter window, s'),
  tcp_mtu_probing: num('mtuProbing', 'packetization-layer PMTU probing (RFC 4821): 0 off'),
  tcp_congestion_control: {
    doc: 'congestion control for new connections',
    get: (o) => o.congestionControl,
    set: (o, v) => {
      const name = v.trim();
      if (!isCongestionControl(name)) return false;
      o.congestionControl = name;
      return true;
    },
  },
  ip_no_pmtu_disc: bool('pmtuDisc', '0: path MTU discovery on (DF set, frag-needed honoured, RFC 1191)', true),
  ip_local_port_range: {
    doc: 'ephemeral ports for active opens, "low high"',
    get: (o) => `${o.ephemeralPortMin} ${o.ephemeralPortMax}`,
    set: (o, v) => {
      const [lo, hi, extra] = v.trim().split(/\s+/).map(int);
      if (lo === undefined || hi === undefined || extra !== undefined || lo < 1 || hi > 65535 || lo > hi) return false;
      o.ephemeralPortMin = lo;
      o.ephemeralPortMax = hi;
      return true;
    },
  },
  'route.min_pmtu': num('minPmtu', 'lowest path MTU a frag-needed may set', 1, 68),
  'route.mtu_expires': num('pmtuExpiresMs', 'lifetime of a learnt path MTU, s', 1000, 1),
};

/** `net.ipv4.tcp_sack`, `net/ipv4/tcp_sack` and `tcp_sack` all name the same setting. */
function entryName(name: string): string {
  return name.trim().replace(/\//g, '.').replace(/^net\.ipv4\./, '');
}

/** Set a Linux sysctl on `o`. False for an unknown name or an invalid value (`o` unchanged then). */
export function setSysctl(o: TcpOptions, name: string, value: string): boolean {
  const key = entryName(name);
  return Object.hasOwn(SYSCTLS, key) && SYSCTLS[key].set(o, value);
}

/** Read a Linux sysctl from `o` as `sysctl -n` prints it, or undefined for an unknown name. */
export function getSysctl(o: TcpOptions, name: string): string | undefined {
  const key = entryName(name);
  return Object.hasOwn(SYSCTLS, key) ? SYSCTLS[key].get(o) : undefined;
}

/** True if `name` is in the table. */
export function isSysctl(name: string): boolean {
  return Object.hasOwn(SYSCTLS, entryName(name));
}

/** The stack's sysctl view (`Stack.sysctl`): the same table bound to one live options object. */
export class Sysctl {
  constructor(readonly options: TcpOptions) {}
  set(name: string, value: string | number): boolean {
    return setSysctl(this.options, name, String(value));
  }
  get(name: string): string | undefined {
    return getSysctl(this.options, name);
  }
  /** Every setting as `net.ipv4.NAME = VALUE` lines (`sysctl -a`). */
  list(): string[] {
    return Object.keys(SYSCTLS).map((k) => `net.ipv4.${k} = ${SYSCTLS[k].get(this.options)}`);
  }
}
