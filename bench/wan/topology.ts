/**
 * bench:wan's network, all in namespaces this process creates and removes:
 *
 *   client ns          router ns                       server ns
 *   c0 10.88.1.2 ── r0 10.88.1.1    r1 10.88.2.1 ── s0 10.88.2.2   kernel TCP (kernel-server.js)
 *                                   wtun0 10.88.3.1 ── tunstack 10.88.3.2 (its TUN, in the router ns)
 *
 * netem sits on the egress of r0 (toward the client), r1 and wtun0 (toward
 * each server), so both servers see the same path from the same client.
 * Offloads are off on the veths and on tunstack's TUN (`--offload off`): a
 * GSO super-packet is only cut into segments when the device transmits it,
 * after the qdisc, so netem would drop, mark or reorder up to 64 KiB as one
 * packet. With offloads off both stacks' packets cross netem one by one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { qdiscChain, type Scenario } from './scenarios.js';

export const ADDR = { client: '10.88.1.2', kernel: '10.88.2.2', tunstack: '10.88.3.2' } as const;
export const SHAPED = ['r0', 'r1', 'wtun0'] as const;

/** The congestion controls bench:wan can compare: tunstack's name → the kernel module's (`tcp_<name>`). */
export const KERNEL_CC: Readonly<Record<string, string>> = { cubic: 'cubic', bbr: 'bbr', newreno: 'reno' };

export interface TopologyOptions {
  root: string;
  /** tunstack's `--cc`; the kernel ends get KERNEL_CC[cc]. */
  cc: string;
  /** tunstack's `--cwnd-trace FILE` (written when tunstack stops). */
  cwndTrace?: string;
}

function sh(argv: string[], check = true): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (check && (r.error || r.status !== 0)) throw new Error(`${argv.join(' ')} failed: ${r.stderr || String(r.error)}`);
  return r.stdout ?? '';
}
const inNs = (ns: string, argv: string[], check = true): string => sh(['ip', 'netns', 'exec', ns, ...argv], check);

/** exitCode stays null while the event loop is blocked (down() runs synchronously), so ask the kernel. */
function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

const ALLOWED_CC = '/proc/sys/net/ipv4/tcp_allowed_congestion_control';

/**
 * What it takes to make kernel congestion control `cc` settable as a
 * namespace's default. Outside the initial namespace the kernel only accepts
 * a default listed in tcp_allowed_congestion_control
 * (tcp_set_default_congestion_control: -EPERM otherwise); that list is
 * global, so it is widened only inside the throwaway VM, never on a shared host.
 * Returns the list to write, undefined if none is needed; throws naming the fix.
 */
export function allowedCcList(cc: string, allowed: readonly string[], inVm: boolean): string | undefined {
  if (allowed.includes(cc)) return undefined;
  if (!inVm) throw new Error(`kernel congestion control '${cc}' is not in net.ipv4.tcp_allowed_congestion_control (${allowed.join(' ')}): add it, or run the bench with --vm`);
  return [...allowed, cc].join(' ');
}

function allowKernelCc(cc: string): void {
  const words = (path: string): string[] => (existsSync(path) ? readFileSync(path, 'utf8').trim().split(/\s+/) : []);
  const AVAILABLE = '/proc/sys/net/ipv4/tcp_available_congestion_control';
  if (!words(AVAILABLE).includes(cc)) sh(['modprobe', `tcp_${cc}`], false);
  if (!words(AVAILABLE).includes(cc)) throw new Error(`the kernel has no tcp_${cc} (modprobe tcp_${cc} failed)`);
  const next = allowedCcList(cc, words(ALLOWED_CC), process.env.TUNSTACK_VM === '1');
  if (next !== undefined) writeFileSync(ALLOWED_CC, next);
}

export class Topology {
  readonly cli: string;
  readonly rt: string;
  readonly srv: string;
  private readonly children: ChildProcess[] = [];
  tunstack?: ChildProcess;
  tunstackErr = '';
  agent?: ChildProcess;
  private agentLines?: Interface;
  private readonly waiting: ((line: string) => void)[] = [];

  private readonly root: string;
  /** The kernel's congestion control as read back from the server namespace after setting it. */
  kernelCc = '';

  constructor(private readonly opts: TopologyOptions) {
    this.root = opts.root;
    const id = process.pid;
    this.cli = `wcli-${id}`;
    this.rt = `wrt-${id}`;
    this.srv = `wsrv-${id}`;
  }

  async up(): Promise<void> {
    for (const ns of [this.cli, this.rt, this.srv]) {
      sh(['ip', 'netns', 'add', ns]);
      sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    sh(['ip', '-n', this.cli, 'link', 'add', 'c0', 'type', 'veth', 'peer', 'name', 'r0', 'netns', this.rt]);
    sh(['ip', '-n', this.srv, 'link', 'add', 's0', 'type', 'veth', 'peer', 'name', 'r1', 'netns', this.rt]);
    const addr = (ns: string, dev: string, cidr: string): void => {
      sh(['ip', '-n', ns, 'addr', 'add', cidr, 'dev', dev]);
      sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
      inNs(ns, ['ethtool', '-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off'], false);
    };
    addr(this.cli, 'c0', `${ADDR.client}/24`);
    addr(this.rt, 'r0', '10.88.1.1/24');
    addr(this.rt, 'r1', '10.88.2.1/24');
    addr(this.srv, 's0', `${ADDR.kernel}/24`);
    sh(['ip', '-n', this.cli, 'route', 'add', 'default', 'via', '10.88.1.1']);
    sh(['ip', '-n', this.srv, 'route', 'add', 'default', 'via', '10.88.2.1']);
    inNs(this.rt, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    const kcc = KERNEL_CC[this.opts.cc];
    if (!kcc) throw new Error(`no kernel counterpart for congestion control '${this.opts.cc}' (have: ${Object.keys(KERNEL_CC).join(', ')})`);
    allowKernelCc(kcc);
    for (const ns of [this.cli, this.srv]) {
      // The same congestion control as tunstack's, and no ssthresh carried from one transfer to the next (tcp_metrics).
      inNs(ns, ['sysctl', '-qw', `net.ipv4.tcp_congestion_control=${kcc}`]);
      inNs(ns, ['sysctl', '-qw', 'net.ipv4.tcp_no_metrics_save=1']);
    }
    this.kernelCc = inNs(this.srv, ['sysctl', '-n', 'net.ipv4.tcp_congestion_control']).trim();
    if (this.kernelCc !== kcc) throw new Error(`kernel congestion control in ${this.srv} is '${this.kernelCc}', not '${kcc}'`);
    await this.startKernelServer();
    await this.startTunstack();
    this.startAgent();
  }

  private waitFor(child: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp, what: string, ms = 120_000): Promise<void> {
    return new Promise((resolve, reject) => {
      let text = '';
      const t = setTimeout(() => reject(new Error(`${what} not ready after ${ms / 1000} s: ${text}`)), ms);
      child[stream]?.on('data', (d: Buffer) => {
        text += d.toString();
        if (re.test(text)) {
          clearTimeout(t);
          resolve();
        }
      });
      child.on('exit', (c) => {
        clearTimeout(t);
        reject(new Error(`${what} exited (${c}): ${text}`));
      });
    });
  }

  private async startKernelServer(): Promise<void> {
    const c = spawn('ip', ['netns', 'exec', this.srv, process.execPath, join(this.root, 'dist/bench/wan/kernel-server.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.children.push(c);
    await this.waitFor(c, 'stdout', /kernel-server ready/, 'kernel server');
  }

  private async startTunstack(): Promise<void> {
    const c = spawn(process.execPath, [join(this.root, 'dist/src/cli.js'), 'up', '--netns', this.rt, '--tun', 'wtun0', '--host-addr', '10.88.3.1/24', '--addr', ADDR.tunstack, '--services', 'chargen,discard', '--offload', 'off', '--cc', this.opts.cc, ...(this.opts.cwndTrace ? ['--cwnd-trace', this.opts.cwndTrace] : []), '--log-level', 'warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.push(c);
    this.tunstack = c;
    c.stderr?.on('data', (d: Buffer) => (this.tunstackErr += d.toString()));
    // `ready` goes to stdout, the SIGUSR1 report to stderr.
    await this.waitFor(c, 'stdout', /ready/, 'tunstack');
    c.stdout?.resume();
  }

  private startAgent(): void {
    const c = spawn('ip', ['netns', 'exec', this.cli, process.execPath, join(this.root, 'dist/bench/wan/client.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.children.push(c);
    this.agent = c;
    this.agentLines = createInterface({ input: c.stdout! });
    this.agentLines.on('line', (l) => this.waiting.shift()?.(l));
  }

  /** One transfer by the client agent. */
  transfer(op: 'down' | 'up', host: string, secs: number): Promise<{ bytes: number; ms: number }> {
    return new Promise((resolve, reject) => {
      this.waiting.push((line) => {
        const r = JSON.parse(line) as { bytes: number; ms: number } | { error: string };
        if ('error' in r) reject(new Error(`transfer ${op} ${host}: ${r.error}`));
        else resolve(r);
      });
      this.agent!.stdin!.write(JSON.stringify({ op, host, port: op === 'down' ? 19 : 9, secs }) + '\n');
    });
  }

  /** Shape every router egress for a scenario (undefined: unshaped), and set the kernel ends' ECN for it. */
  shape(sc: Scenario | undefined): void {
    for (const dev of SHAPED) {
      inNs(this.rt, ['tc', 'qdisc', 'del', 'dev', dev, 'root'], false);
      for (const cmd of sc ? qdiscChain(sc, dev) : []) inNs(this.rt, ['tc', ...cmd]);
    }
    // tcp_ecn=1: request ECN on active opens and accept it on passive ones (RFC 3168); 2 (the default): accept only.
    for (const ns of [this.cli, this.srv]) inNs(ns, ['sysctl', '-qw', `net.ipv4.tcp_ecn=${sc?.ecn ? 1 : 2}`]);
  }

  /** TcpRetransSegs of a namespace's kernel TCP (nstat, absolute, history untouched). */
  kernelRetrans(ns: string): number {
    const m = /TcpRetransSegs\s+(\d+)/.exec(inNs(ns, ['nstat', '-asz', 'TcpRetransSegs']));
    return m ? Number(m[1]) : 0;
  }

  /** tunstack's RetransSegs from the report it prints on SIGUSR1 (zero counters are left out). */
  async tunstackRetrans(): Promise<number> {
    const from = this.tunstackErr.length;
    this.tunstack!.kill('SIGUSR1');
    for (let i = 0; i < 100 && !/State\s+Recv-Q/.test(this.tunstackErr.slice(from)); i++) await new Promise((r) => setTimeout(r, 50));
    const m = /^\s*(\d+) RetransSegs$/m.exec(this.tunstackErr.slice(from));
    return m ? Number(m[1]) : 0;
  }

  /** RTTs (ms) of pings from the client to host, every 200 ms for `secs`. */
  ping(host: string, secs: number, count?: number): Promise<number[]> {
    const args = ['netns', 'exec', this.cli, 'ping', '-n', '-i', '0.2', ...(count ? ['-c', String(count)] : ['-w', String(Math.max(1, Math.floor(secs)))]), host];
    return new Promise((resolve) => {
      const c = spawn('ip', args, { stdio: ['ignore', 'pipe', 'ignore'] });
      this.children.push(c);
      let out = '';
      c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      c.on('close', () => resolve([...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]))));
    });
  }

  down(): void {
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
        try {
          process.kill(c.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    }
    // tunstack removes its TUN and flushes its --cwnd-trace when it exits: wait for it (10 s at most) before the namespaces go.
    for (let i = 0; i < 100 && this.tunstack && this.tunstack.exitCode === null && this.tunstack.signalCode === null && isAlive(this.tunstack.pid); i++) spawnSync('sleep', ['0.1']);
    spawnSync('sleep', ['0.2']);
    for (const ns of [this.cli, this.rt, this.srv]) sh(['ip', 'netns', 'del', ns], false);
  }
}
