/**
 * Before a script runs: apply its `--option` lines and `sysctl` commands to a
 * copy of the profile, and find anything it uses that the runner or the stack
 * does not implement — that makes the script a SKIP with the reason, before a
 * single packet flows, so nothing unsupported can pass silently.
 */
import { isCongestionControl } from '../tcp/congestion/index.js';
import { DEFAULT_COMPARE, type CompareOptions } from './comparator.js';
import { ScriptUnsupported } from './parser.js';
import type { Profile } from './profile.js';
import type { Script } from './script.js';
import { SUPPORTED_SYSCALLS } from './syscalls.js';
import { parseIpv4 } from '../wire/ip-address.js';

/** Options that only tune packetdrill's own execution and mean nothing in virtual time. */
const IGNORED_OPTIONS = new Set(['verbose', 'debug', 'dry_run', 'so_filename', 'wire_client', 'wire_server', 'wire_server_ip', 'wire_client_dev', 'wire_server_dev', 'gateway_ip', 'netmask_ip', 'init_scripts', 'speed']);

export interface Setup {
  profile: Profile;
  compare: CompareOptions;
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
      s.profile.tcp.mss = num();
      return;
    default:
      if (IGNORED_OPTIONS.has(name)) return;
      throw new ScriptUnsupported(`option --${name} is not supported`);
  }
}

/** net.ipv4.* sysctls that map onto TcpOptions (values as Linux's, times in seconds). */
function applySysctl(key: string, value: string, s: Setup): void {
  const v = Number(value);
  const t = s.profile.tcp;
  switch (key) {
    case 'net.ipv4.tcp_timestamps':
      t.timestamps = v !== 0;
      return;
    case 'net.ipv4.tcp_sack':
      t.sack = v !== 0;
      return;
    case 'net.ipv4.tcp_window_scaling':
      t.windowScaling = v !== 0;
      return;
    case 'net.ipv4.tcp_syncookies':
      t.synCookies = v === 0 ? 'never' : v === 2 ? 'always' : 'auto';
      return;
    case 'net.ipv4.tcp_syn_retries':
      t.synRetries = v;
      return;
    case 'net.ipv4.tcp_synack_retries':
      t.synAckRetries = v;
      return;
    case 'net.ipv4.tcp_retries2':
      t.maxRetries = v;
      return;
    case 'net.ipv4.tcp_fin_timeout':
      t.finWait2Timeout = v * 1000;
      return;
    case 'net.ipv4.tcp_max_syn_backlog':
      t.maxSynBacklog = v;
      return;
    case 'net.ipv4.tcp_keepalive_time':
      t.keepAliveIdle = v * 1000;
      return;
    case 'net.ipv4.tcp_keepalive_intvl':
      t.keepAliveInterval = v * 1000;
      return;
    case 'net.ipv4.tcp_keepalive_probes':
      t.keepAliveProbes = v;
      return;
    case 'net.ipv4.tcp_challenge_ack_limit':
      t.challengeAckLimit = v;
      return;
    case 'net.ipv4.tcp_congestion_control':
      if (!isCongestionControl(value)) throw new ScriptUnsupported(`congestion control ${value} is not supported`);
      t.congestionControl = value;
      return;
    default:
      throw new ScriptUnsupported(`sysctl ${key} is not supported`);
  }
}

/** A backtick command: packetdrill's defaults.sh is the profile itself; sysctl assignments map to options; anything else is unsupported. */
function applyCommand(cmd: string, s: Setup): void {
  for (const part of cmd.split(/;|&&|\n/).map((p) => p.trim()).filter(Boolean)) {
    if (/defaults\.sh$/.test(part)) continue;
    const m = /^sysctl\s+(?:-[qw]+\s+)*(.+)$/.exec(part);
    if (!m) throw new ScriptUnsupported(`shell command not supported: ${part}`);
    for (const a of m[1].trim().split(/\s+/)) {
      const kv = /^"?([\w.]+)=([^"]*)"?$/.exec(a);
      if (!kv) throw new ScriptUnsupported(`sysctl argument not supported: ${a}`);
      applySysctl(kv[1], kv[2].trim(), s);
    }
  }
}

export function prepare(script: Script, base: Profile): Setup {
  const s: Setup = { profile: base, compare: { ...DEFAULT_COMPARE } };
  for (const [k, v] of script.options) applyOption(k, v, s);
  for (const ev of script.events) {
    const b = ev.body;
    if (b.type === 'command') applyCommand(b.command, s);
    else if (b.type === 'syscall' && !SUPPORTED_SYSCALLS.has(b.call.name)) {
      throw new ScriptUnsupported(`line ${ev.line}: system call ${b.call.name}() is not supported`);
    }
  }
  return s;
}
