/**
 * Shared helpers for tests that need real Linux networking: a network
 * namespace per test, created here and always removed (finally + a process
 * 'exit' hook), so no device, address or route ever lands in the root
 * namespace.
 *
 *   const can = canRunLinuxTests();
 *   if (!can.ok) console.warn('SKIP (linux): ' + can.reason);
 *   describe.skipIf(!can.ok)('...', () => {
 *     it('...', () => withNetns('tslk', async (ns) => {
 *       await ns.exec('ip', ['addr']);
 *     }));
 *   });
 */
import { spawn as spawnChild, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';

export type LinuxCheck = { ok: true } | { ok: false; reason: string };

/** Can this process create namespaces and TUN devices? */
export function canRunLinuxTests(): LinuxCheck {
  if (process.platform !== 'linux') return { ok: false, reason: `platform is ${process.platform}, not linux` };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { ok: false, reason: 'not running as root (namespaces and TUN devices need CAP_SYS_ADMIN/CAP_NET_ADMIN)' };
  }
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    return { ok: false, reason: '/dev/net/tun is missing or not accessible (modprobe tun)' };
  }
  const ip = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (ip.error || ip.status !== 0) return { ok: false, reason: 'missing ip (apt-get install iproute2)' };
  return { ok: true };
}

/** The Debian package that provides each tool a test drives (README "Requirements", .ci/run). */
export const TOOL_PACKAGES: Record<string, string> = {
  ip: 'iproute2',
  tc: 'iproute2',
  iptables: 'iptables',
  ping: 'iputils-ping',
  traceroute: 'traceroute',
  curl: 'curl',
  socat: 'socat',
  hping3: 'hping3',
  tcpdump: 'tcpdump',
  tshark: 'tshark',
  openssl: 'openssl',
  dig: 'dnsutils',
  setpriv: 'util-linux',
  git: 'git',
  chromium: 'chromium',
};

/** Is `tool` on PATH (or, for an absolute path, executable)? */
export function haveTool(tool: string): boolean {
  if (tool.startsWith('/')) {
    try {
      accessSync(tool, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}

/** The first of `tools` that is missing, as the SKIP reason naming its package; undefined if all are there. */
export function missingTool(tools: readonly string[]): string | undefined {
  for (const t of tools) {
    if (!haveTool(t)) {
      const name = t.split('/').pop()!;
      return `missing ${name} (apt-get install ${TOOL_PACKAGES[name] ?? name})`;
    }
  }
  return undefined;
}

/**
 * Root, /dev/net/tun, iproute2, and the Debian `tools` the test drives; a
 * loud `SKIP (linux): ...` line naming what is missing (and the package to
 * install) otherwise. Use with `describe.skipIf(!linuxReady('ping', 'curl'))`.
 */
export function linuxReady(...tools: string[]): boolean {
  const c = canRunLinuxTests();
  if (!c.ok) {
    console.warn('SKIP (linux): ' + c.reason);
    return false;
  }
  const missing = missingTool(tools);
  if (missing) console.warn(`SKIP (linux): ${missing}`);
  return missing === undefined;
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface ExecOptions {
  /** Kill the command (by PID) after this long; default 10 s. */
  timeoutMs?: number;
  /** Throw if the command exits non-zero (default false: inspect `code`). */
  check?: boolean;
}

export interface Netns {
  readonly name: string;
  /** Run a command inside the namespace and collect its output. */
  exec(cmd: string, args: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Start a background process inside the namespace; killed by PID on destroy. */
  spawn(cmd: string, args: string[]): ChildProcess;
  /** Kill what we spawned and delete the namespace (idempotent). */
  destroy(): void;
}

// Per-process bookkeeping for the exit hook: namespaces this process created
// that are not yet deleted. Test-harness state, not protocol state.
const live = new Set<NetnsImpl>();
let counter = 0;
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const ns of [...live]) ns.destroy();
  });
}

function runExec(argv: string[], timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawnChild(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, signal: null, stdout, stderr: stderr + String(e), timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

class NetnsImpl implements Netns {
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;

  constructor(readonly name: string) {}

  async exec(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await runExec(['ip', 'netns', 'exec', this.name, cmd, ...args], opts.timeoutMs ?? 10_000);
    if (opts.check && r.code !== 0) {
      throw new Error(`in netns ${this.name}: ${cmd} ${args.join(' ')} failed (${r.code}${r.timedOut ? ', timed out' : ''}): ${r.stderr.trim()}`);
    }
    return r;
  }

  spawn(cmd: string, args: string[]): ChildProcess {
    const child = spawnChild('ip', ['netns', 'exec', this.name, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const c of this.children) {
      // `ip netns exec` execs the command, so the PID is the command itself.
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    spawnSync('ip', ['netns', 'del', this.name]);
    live.delete(this);
  }
}

/** Create a uniquely named namespace (prefix + pid + counter) with `lo` up. */
export async function createNetns(prefix: string): Promise<Netns> {
  const name = `${prefix}${process.pid}n${counter++}`;
  if (existsSync(`/var/run/netns/${name}`)) throw new Error(`netns ${name} already exists`);
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`ip netns add ${name} failed: ${add.stderr.trim()}`);
  const ns = new NetnsImpl(name);
  live.add(ns);
  hookExit();
  try {
    await ns.exec('ip', ['link', 'set', 'lo', 'up'], { check: true });
  } catch (e) {
    ns.destroy();
    throw e;
  }
  return ns;
}

/** Run `fn` with a fresh namespace that is destroyed afterwards, whatever happens. */
export async function withNetns<T>(prefix: string, fn: (ns: Netns) => Promise<T>): Promise<T> {
  const ns = await createNetns(prefix);
  try {
    return await fn(ns);
  } finally {
    ns.destroy();
  }
}
