/**
 * bench:wan's network, all in namespaces this process creates and removes:
 *
 *   client ns          router ns                       server ns
 *   c0 10.88.1.2 ── r0 10.88.1.1    r1 10.88.2.1 ── s0 10.88.2.2   kernel TCP (kernel-server.js)
 *                                   wtun0 10.88.3.1 ── tunstack 10.88.3.2 (its TUN, in the router ns)
 *
 * netem sits on the egress of r0 (toward the client), r1 and wtun0 (toward
 * each server), so both servers see the same path from the same client.
 * Offloads are off on the veths: with GSO a 64 KiB super-packet would pass
 * netem's loss and rate as one packet, while tunstack's TUN carries MTU-sized
 * packets; with it off both stacks' packets cross netem one by one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { join } from 'node:path';

export const ADDR = { client: '10.88.1.2', kernel: '10.88.2.2', tunstack: '10.88.3.2' } as const;
export const SHAPED = ['r0', 'r1', 'wtun0'] as const;

function sh(argv: string[], check = true): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (check && (r.error || r.status !== 0)) throw new Error(`${argv.join(' ')} failed: ${r.stderr || String(r.error)}`);
  return r.stdout ?? '';
}
const inNs = (ns: string, argv: string[], check = true): string => sh(['ip', 'netns', 'exec', ns, ...argv], check);

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

  constructor(private readonly root: string) {
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
    for (const ns of [this.cli, this.srv]) {
      // Kernel CUBIC, and no ssthresh carried from one transfer to the next (tcp_metrics).
      inNs(ns, ['sysctl', '-qw', 'net.ipv4.tcp_congestion_control=cubic'], false);
      inNs(ns, ['sysctl', '-qw', 'net.ipv4.tcp_no_metrics_save=1']);
    }
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
    const c = spawn(process.execPath, [join(this.root, 'dist/src/cli.js'), 'up', '--netns', this.rt, '--tun', 'wtun0', '--host-addr', '10.88.3.1/24', '--addr', ADDR.tunstack, '--services', 'chargen,discard', '--log-level', 'warn'], {
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

  shape(netem: string[] | undefined): void {
    for (const dev of SHAPED) {
      if (netem) sh(['ip', 'netns', 'exec', this.rt, 'tc', 'qdisc', 'replace', 'dev', dev, 'root', ...netem]);
      else inNs(this.rt, ['tc', 'qdisc', 'del', 'dev', dev, 'root'], false);
    }
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
    // tunstack removes its TUN when it exits; give it a moment before the namespaces go.
    spawnSync('sleep', ['0.5']);
    for (const ns of [this.cli, this.rt, this.srv]) sh(['ip', 'netns', 'del', ns], false);
  }
}
