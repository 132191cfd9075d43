/**
 * Backtick shell commands of a script, applied to the profile before it runs:
 * `sysctl [-q] [-w] name=value ...` lines map onto TcpOptions as the Linux
 * sysctl does (values as Linux writes them, times in seconds); packetdrill's
 * defaults.sh applies the `linux` profile's sysctls; `ethtool -K tun0 tso off
 * gso off ...` (what a script writes so Linux hands packetdrill MSS-sized
 * segments) is a no-op here, tunstack's link never offloads segmentation.
 * A sysctl with no tunstack equivalent is recorded as ignored (reported once
 * per run), never a failure; any other command makes the script a SKIP.
 */
import { ScriptUnsupported } from './parser.js';
import type { Profile } from './profile.js';
import type { TcpOptions } from '../tcp/api.js';

type Apply = (t: TcpOptions, value: string) => void;

const num = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ScriptUnsupported(`sysctl value ${JSON.stringify(v)} is not a number`);
  return n;
};
/** tcp_rmem/tcp_wmem "min default max": the maximum bounds the buffer (and so the window scale, tcp_select_initial_window). */
const maxOfTriple = (v: string): number => {
  const parts = v.trim().split(/\s+/);
  if (parts.length !== 3) throw new ScriptUnsupported(`sysctl value ${JSON.stringify(v)} is not "min default max"`);
  return num(parts[2]);
};

/** net.ipv4.* sysctls that have a TcpOptions equivalent. */
const SYSCTLS: Record<string, Apply> = {
  'net.ipv4.tcp_timestamps': (t, v) => (t.timestamps = num(v) !== 0),
  'net.ipv4.tcp_sack': (t, v) => (t.sack = num(v) !== 0),
  'net.ipv4.tcp_window_scaling': (t, v) => (t.windowScaling = num(v) !== 0),
  'net.ipv4.tcp_syncookies': (t, v) => (t.synCookies = num(v) === 0 ? 'never' : num(v) === 2 ? 'always' : 'auto'),
  'net.ipv4.tcp_syn_retries': (t, v) => (t.synRetries = num(v)),
  'net.ipv4.tcp_synack_retries': (t, v) => (t.synAckRetries = num(v)),
  'net.ipv4.tcp_retries2': (t, v) => (t.maxRetries = num(v)),
  'net.ipv4.tcp_fin_timeout': (t, v) => (t.finWait2Timeout = num(v) * 1000),
  'net.ipv4.tcp_max_syn_backlog': (t, v) => (t.maxSynBacklog = num(v)),
  'net.ipv4.tcp_keepalive_time': (t, v) => (t.keepAliveIdle = num(v) * 1000),
  'net.ipv4.tcp_keepalive_intvl': (t, v) => (t.keepAliveInterval = num(v) * 1000),
  'net.ipv4.tcp_keepalive_probes': (t, v) => (t.keepAliveProbes = num(v)),
  'net.ipv4.tcp_challenge_ack_limit': (t, v) => (t.challengeAckLimit = num(v)),
  'net.ipv4.tcp_rmem': (t, v) => (t.rcvBuf = maxOfTriple(v)),
  'net.ipv4.tcp_wmem': (t, v) => (t.sndBuf = maxOfTriple(v)),
};

export function supportedSysctls(): string[] {
  return Object.keys(SYSCTLS);
}

/** Set one sysctl on the profile; false if tunstack has no equivalent (the caller reports it as ignored). */
export function applySysctl(key: string, value: string, p: Profile): boolean {
  const f = SYSCTLS[key];
  if (!f) return false;
  f(p.tcp, value);
  return true;
}

/** `sysctl` arguments: name=value words, a value in quotes may hold spaces (`net.ipv4.tcp_rmem="4096 87380 6291456"`). */
function sysctlAssignments(args: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const re = /([\w.]+)=(?:"([^"]*)"|'([^']*)'|(\S+))/g;
  let rest = args;
  for (let m = re.exec(args); m; m = re.exec(args)) {
    out.push([m[1], (m[2] ?? m[3] ?? m[4]).trim()]);
    rest = rest.replace(m[0], '');
  }
  if (rest.trim()) throw new ScriptUnsupported(`sysctl argument not supported: ${rest.trim()}`);
  return out;
}

const ETHTOOL_OFFLOADS_OFF = /^ethtool\s+-K\s+tun0(\s+(tso|gso|gro|lro|tx|sg|rx)\s+off)+$/;

/**
 * Apply one backtick command (several lines, `;` or `&&` separated) to the
 * profile; returns the sysctls it ignored. `linux` is the profile defaults.sh
 * stands for.
 */
export function applyCommand(cmd: string, p: Profile, linux: Profile): string[] {
  const ignored: string[] = [];
  const set = (k: string, v: string): void => {
    if (!applySysctl(k, v, p)) ignored.push(k);
  };
  for (const raw of cmd.split(/;|&&|\n/)) {
    const part = raw.replace(/\s*[12]?>\s*\/dev\/null(\s+2>&1)?\s*$/, '').trim();
    if (!part || part.startsWith('#')) continue;
    if (/(^|\/)defaults\.sh$/.test(part)) {
      for (const [k, v] of linux.linuxSysctls) set(k, v);
      continue;
    }
    if (ETHTOOL_OFFLOADS_OFF.test(part)) continue;
    const m = /^sysctl\s+(?:-[qw]+\s+)*(.+)$/.exec(part);
    if (!m) throw new ScriptUnsupported(`shell command not supported: ${part}`);
    for (const [k, v] of sysctlAssignments(m[1])) set(k, v);
  }
  return ignored;
}
