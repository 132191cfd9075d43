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
import { isSysctl, setSysctl, SYSCTLS } from '../tcp/sysctl.js';

/** net.ipv4.* sysctls that have a stack equivalent: the stack's own table (src/tcp/sysctl.ts). */
export function supportedSysctls(): string[] {
  return Object.keys(SYSCTLS).map((k) => `net.ipv4.${k}`);
}

/** Set one sysctl on the profile; false if tunstack has no equivalent (the caller reports it as ignored). */
export function applySysctl(key: string, value: string, p: Profile): boolean {
  if (!isSysctl(key)) return false;
  if (!setSysctl(p.tcp, key, value)) throw new ScriptUnsupported(`sysctl ${key}=${JSON.stringify(value)}: value not accepted`);
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
