/**
 * How `--target linux` runs one script under the real packetdrill (pure
 * functions; the spawning is in target.ts): which binary, the namespace and
 * sysctl setup, and packetdrill's command line as the Linux selftests use it
 * (tools/testing/selftests/net/packetdrill/ksft_runner.sh).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/** Where packetdrill is looked for, in order. */
export interface PacketdrillSearch {
  env: NodeJS.ProcessEnv;
  /** The repository root: its sibling `../shared/tools/packetdrill/packetdrill` is the last resort. */
  root: string;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The packetdrill binary: $PACKETDRILL, else `packetdrill` on PATH, else ../shared/tools/packetdrill/packetdrill. */
export function findPacketdrill(s: PacketdrillSearch): { path: string } | { error: string } {
  const shared = resolve(s.root, '../shared/tools/packetdrill/packetdrill');
  if (s.env.PACKETDRILL) {
    if (executable(s.env.PACKETDRILL)) return { path: resolve(s.env.PACKETDRILL) };
    return { error: `PACKETDRILL=${s.env.PACKETDRILL} is not an executable file` };
  }
  for (const dir of (s.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const p = join(dir, 'packetdrill');
    if (executable(p)) return { path: p };
  }
  if (executable(shared)) return { path: shared };
  return {
    error:
      'packetdrill not found: set the PACKETDRILL environment variable to its path, put `packetdrill` on PATH, ' +
      `or build it at ${shared} (google/packetdrill gtests/net/packetdrill: ./configure && make)`,
  };
}

/** Single-quote a word for sh. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface InvocationOptions {
  packetdrill: string;
  /** The script's file name inside `cwd`. */
  scriptName: string;
  /** The directory packetdrill runs in (backtick commands run relative to it). */
  cwd: string;
  sysctls: Array<[string, string]>;
  toleranceUsecs: number;
}

export interface Invocation {
  cmd: string;
  args: string[];
  cwd: string;
}

/**
 * `unshare -n sh -c 'SETUP; exec packetdrill ARGS'`: a fresh network namespace
 * that dies with the process (nothing to clean up), loopback up, the profile's
 * sysctls (net.ipv4.tcp_* are per namespace), then packetdrill with the
 * addresses our profiles use. A sysctl the kernel lacks is reported by sysctl
 * on stderr and does not stop the run.
 */
export function packetdrillInvocation(o: InvocationOptions): Invocation {
  const setup = ['ip link set lo up'];
  for (const [k, v] of o.sysctls) setup.push(`sysctl -qw ${shQuote(`${k}=${v}`)} || true`);
  const pdArgs = [
    '--ip_version=ipv4',
    '--local_ip=192.168.0.1',
    '--gateway_ip=192.168.0.1',
    '--netmask_ip=255.255.0.0',
    '--remote_ip=192.0.2.1',
    '-D',
    'CMSG_LEVEL_IP=SOL_IP',
    '-D',
    'CMSG_TYPE_RECVERR=IP_RECVERR',
    `--tolerance_usecs=${o.toleranceUsecs}`,
    o.scriptName,
  ];
  const shell = `${setup.join('; ')}; exec "$0" "$@"`;
  return { cmd: 'unshare', args: ['-n', 'sh', '-c', shell, o.packetdrill, ...pdArgs], cwd: o.cwd };
}

/** packetdrill's reason for a failure: its first error line (without the file name), else its last output line. */
export function packetdrillReason(output: string, scriptName: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('sysctl:'));
  const err = lines.find((l) => /error|assert|fail|timed out/i.test(l)) ?? lines[lines.length - 1] ?? 'no output';
  const i = lines.indexOf(err);
  // packetdrill prints the script and actual packet on the lines after a packet mismatch.
  const detail = lines.slice(i + 1, i + 3).filter((l) => /^(script packet|actual packet|expected|actual):?/i.test(l));
  const msg = [err, ...detail].join(' | ');
  return msg.startsWith(`${scriptName}:`) ? `line ${msg.slice(scriptName.length + 1)}` : msg;
}

/**
 * defaults.sh selects `cubic`, which a namespace may only do when the host's
 * global net.ipv4.tcp_allowed_congestion_control lists it (kernels defaulting
 * to bbr list only reno and bbr). The new list, or undefined when nothing
 * needs to change (already allowed, or cubic not available at all).
 */
export function allowedWithCubic(allowed: string, available: string): string | undefined {
  const list = allowed.trim().split(/\s+/).filter(Boolean);
  if (list.includes('cubic') || !available.trim().split(/\s+/).includes('cubic')) return undefined;
  return [...list, 'cubic'].join(' ');
}
