/**
 * Profiles: stack defaults under which scripts written against one real stack
 * pass unmodified, and the Linux sysctls that put the kernel in the same state
 * (`--target linux` applies them in the script's namespace before packetdrill
 * starts).
 *
 * `linux` is exactly packetdrill's own gtests/net/common/defaults.sh (what
 * upstream scripts assume): tcp_rmem max 15 MiB, hence window scale 8
 * (65535 << 7 < 15 MiB <= 65535 << 8, RFC 7323 §2.3; Linux
 * tcp_select_initial_window), tcp_wmem max 4 MiB.
 *
 * `default` is the profile of our own suite: the same Linux 6.x behaviour but
 * a 6 MiB receive buffer (window scale 7), and `tcp_rfc1337=1` and exponential
 * SYN backoff, which are tunstack's defaults (RFC 1337; RFC 6298 §5.5).
 *
 * Both: initial window 10 (RFC 6928), RTO min 200 ms and initial RTO 1 s
 * (Linux's choice over RFC 6298 §2.4's 1 s minimum), 40 ms delayed ACK, MSS
 * 1460 at MTU 1500, and packetdrill's default addresses.
 */
import { DEFAULT_TCP_OPTIONS, type TcpOptions } from '../tcp/api.js';
import { ipv4 } from '../wire/ip-address.js';

export interface Profile {
  name: string;
  tcp: TcpOptions;
  mtu: number;
  /** packetdrill --local_ip / --remote_ip / the port bind() and connect() use when the script writes `...`. */
  localAddr: number;
  remoteAddr: number;
  port: number;
  /** packetdrill --mss: inbound TCP payloads larger than this are cut into pieces of this size (GSO). */
  injectMss?: number;
  /** Linux sysctls (name, value) reproducing this profile in a namespace, in order. */
  linuxSysctls: Array<[string, string]>;
}

const MIB = 1024 * 1024;

/** packetdrill's defaults.sh, line by line (its `ip tcp_metrics flush` and `tc qdisc` lines need no sysctl). */
const DEFAULTS_SH: Array<[string, string]> = [
  ['net.ipv4.tcp_rmem', `4096 540000 ${15 * MIB}`],
  ['net.ipv4.tcp_wmem', `4096 ${256 * 1024} 4194304`],
  ['net.ipv4.tcp_timestamps', '1'],
  ['net.ipv4.tcp_syn_retries', '5'],
  ['net.ipv4.tcp_synack_retries', '5'],
  ['net.ipv4.tcp_frto', '2'],
  ['net.ipv4.tcp_sack', '1'],
  ['net.ipv4.tcp_dsack', '1'],
  ['net.ipv4.tcp_fack', '0'],
  ['net.ipv4.tcp_reordering', '3'],
  ['net.ipv4.tcp_congestion_control', 'cubic'],
  ['net.ipv4.tcp_slow_start_after_idle', '0'],
  ['net.ipv4.tcp_early_retrans', '4'],
  ['net.ipv4.tcp_recovery', '1'],
  ['net.ipv4.tcp_tso_win_divisor', '3'],
  ['net.ipv4.tcp_ecn', '0'],
  ['net.ipv4.tcp_ecn_option', '2'],
  ['net.ipv4.tcp_pacing_ss_ratio', '200'],
  ['net.ipv4.tcp_pacing_ca_ratio', '120'],
  ['net.ipv4.tcp_notsent_lowat', '4294967295'],
  ['net.ipv4.tcp_fastopen', '0x70403'],
  ['net.ipv4.tcp_fastopen_key', 'a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4'],
  ['net.ipv4.tcp_syncookies', '1'],
];

/** Replace the values of some sysctls in a list, keeping its order. */
function withSysctls(base: Array<[string, string]>, over: Record<string, string>): Array<[string, string]> {
  const out = base.map(([k, v]): [string, string] => [k, over[k] ?? v]);
  for (const [k, v] of Object.entries(over)) if (!base.some(([b]) => b === k)) out.push([k, v]);
  return out;
}

const COMMON = {
  mtu: 1500,
  localAddr: ipv4('192.168.0.1'),
  remoteAddr: ipv4('192.0.2.1'),
  port: 8080,
};

const LINUX_TCP: TcpOptions = {
  ...DEFAULT_TCP_OPTIONS,
  initialCwndSegments: 10,
  rtoMin: 200,
  rtoInitial: 1_000,
  delayedAckMs: 40,
  synRetries: 5,
  synAckRetries: 5,
  rcvBuf: 15 * MIB,
  sndBuf: 4 * MIB,
};

const LINUX: Profile = { name: 'linux', tcp: LINUX_TCP, ...COMMON, linuxSysctls: DEFAULTS_SH };

const DEFAULT: Profile = {
  name: 'default',
  tcp: { ...LINUX_TCP, synRetries: DEFAULT_TCP_OPTIONS.synRetries, rcvBuf: 6 * MIB },
  ...COMMON,
  linuxSysctls: withSysctls(DEFAULTS_SH, {
    'net.ipv4.tcp_rmem': `4096 131072 ${6 * MIB}`,
    'net.ipv4.tcp_syn_retries': String(DEFAULT_TCP_OPTIONS.synRetries),
    // tunstack keeps RFC 1337's TIME_WAIT assassination protection on (Linux's default is 0).
    'net.ipv4.tcp_rfc1337': '1',
    // tunstack backs the SYN off exponentially from the first retry (RFC 6298 §5.5); newer Linux retries linearly first.
    'net.ipv4.tcp_syn_linear_timeouts': '0',
  }),
};

const PROFILES: Record<string, Profile> = { default: DEFAULT, linux: LINUX };

export const DEFAULT_PROFILE = 'default';

export function profileNames(): string[] {
  return Object.keys(PROFILES);
}

/** A fresh copy of a named profile (scripts' sysctl lines and options modify the copy). */
export function getProfile(name: string): Profile | undefined {
  const p = PROFILES[name];
  return p && { ...p, tcp: { ...p.tcp }, linuxSysctls: p.linuxSysctls.map(([k, v]): [string, string] => [k, v]) };
}
