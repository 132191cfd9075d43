/**
 * Before a script runs: apply its `--option` lines and `sysctl` commands to a
 * copy of the profile, and find anything it uses that the runner or the stack
 * does not implement — that makes the script a SKIP with the reason, before a
 * single packet flows, so nothing unsupported can pass silently.
 */
import { DEFAULT_COMPARE, type CompareOptions } from './comparator.js';
import { ScriptUnsupported } from './parser.js';
import { getProfile, type Profile } from './profile.js';
import { applyCommand } from './sysctl.js';
import type { Script } from './script.js';
import { SUPPORTED_SYSCALLS } from './syscalls.js';
import { parseIpv4 } from '../wire/ip-address.js';

/** Options that only tune packetdrill's own execution and mean nothing in virtual time. */
const IGNORED_OPTIONS = new Set(['verbose', 'debug', 'dry_run', 'so_filename', 'wire_client', 'wire_server', 'wire_server_ip', 'wire_client_dev', 'wire_server_dev', 'gateway_ip', 'netmask_ip', 'init_scripts', 'speed']);

export interface Setup {
  profile: Profile;
  compare: CompareOptions;
  /** sysctls the script set that tunstack has no equivalent for (reported, not failed). */
  ignoredSysctls: string[];
}

function applyOption(name: string, value: string, s: Setup): void {
  const num = (): number => {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new ScriptUnsupported(`option --${name}=${value} is not a number`);
    return n;
  };
  const addr = (): number => {
    const a = parseIpv4(value);
    if (a === undefined) throw new ScriptUnsupported(`option --${name}=${value}: only IPv4 addresses are supported`);
    return a;
  };
  switch (name) {
    case 'tolerance_usecs':
      s.compare.toleranceMs = num() / 1000;
      return;
    case 'tolerance_percent':
      s.compare.tolerancePercent = num();
      return;
    case 'strict_segments':
      s.compare.strictSegments = true;
      return;
    case 'ip_version':
      if (value !== 'ipv4') throw new ScriptUnsupported(`--ip_version=${value}: only IPv4 is supported`);
      return;
    case 'local_ip':
      s.profile.localAddr = addr();
      return;
    case 'remote_ip':
      s.profile.remoteAddr = addr();
      return;
    case 'bind_port':
    case 'connect_port':
      s.profile.port = num();
      return;
    case 'mtu':
      s.profile.mtu = num();
      return;
    case 'mss':
      // packetdrill's --mss is the size its injected packets are cut to (GSO), not the stack's MSS.
      s.profile.injectMss = num();
      return;
    case 'tcp_ts_tick_usecs':
      s.compare.tsTickUsecs = num();
      return;
    default:
      if (IGNORED_OPTIONS.has(name)) return;
      throw new ScriptUnsupported(`option --${name} is not supported`);
  }
}

export function prepare(script: Script, base: Profile): Setup {
  const s: Setup = { profile: base, compare: { ...DEFAULT_COMPARE }, ignoredSysctls: [] };
  const linux = getProfile('linux')!;
  for (const [k, v] of script.options) applyOption(k, v, s);
  for (const ev of script.events) {
    const b = ev.body;
    if (b.type === 'command') s.ignoredSysctls.push(...applyCommand(b.command, s.profile, linux));
    else if (b.type === 'syscall' && !SUPPORTED_SYSCALLS.has(b.call.name)) {
      throw new ScriptUnsupported(`line ${ev.line}: system call ${b.call.name}() is not supported`);
    }
  }
  return s;
}
