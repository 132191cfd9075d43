/**
 * New HTTP connections per second, `Connection: close` (figures, not a test):
 * Apache `ab` (HTTP/1.0, one request per connection) from a kernel-side
 * namespace against the same HTTP application served over tunstack's TCP
 * on a TUN and over kernel TCP (node:http on a net.Server) on a veth pair,
 * alternating rounds in the same run so both see the same machine. Root;
 * the namespaces are created here and removed afterwards, also on failure.
 *
 * `--app service` (default): tunstack's HTTP service (src/apps/http.ts) on
 * both sides; `--app hello`: a bare node:http handler answering `hello\n` on
 * both sides (bench/conn-rate-server.ts is the kernel side).
 *
 * Run alone with `npm run bench:conn-rate -- [--requests N] [--concurrency C]
 * [--rounds R] [--only tunstack|kernel] [--app service|hello]`;
 * `npm run bench:scale` runs it too.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stack } from '../src/stack.js';
import { TunLink } from '../src/link/tun.js';
import { startServices } from '../src/apps/services.js';

export interface ConnRateOptions {
  requests: number;
  concurrency: number;
  rounds: number;
  only?: 'tunstack' | 'kernel';
  /** The application on both sides: tunstack's HTTP service, or a bare `hello` handler. */
  app: 'service' | 'hello';
}

export interface ConnRateResult {
  /** Requests (= connections) per second of each round, in order. */
  tunstack: number[];
  kernel: number[];
  /** CPU time (user + system) of this process per tunstack connection, µs, per round. */
  tunstackCpuUs: number[];
  /** The same for the node:http server process (kernel TCP work is charged to whichever process runs it). */
  kernelCpuUs: number[];
}

/** utime + stime of a process, µs (/proc/PID/stat fields 14 and 15, in clock ticks of 10 ms). */
function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function sh(args: string[]): string {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function abIn(ns: string, url: string, o: ConnRateOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    // Bounded: ab stops at -n requests, `timeout` stops a stuck run.
    const p = spawn('ip', ['netns', 'exec', ns, 'timeout', '120', 'ab', '-q', '-n', String(o.requests), '-c', String(o.concurrency), url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', () => {
      const rps = /Requests per second:\s+([\d.]+)/.exec(out);
      const failed = /Failed requests:\s+(\d+)/.exec(out);
      if (!rps) return reject(new Error(`ab against ${url} gave no figure:\n${out}`));
      if (failed && Number(failed[1]) > 0) console.log(`  (ab: ${failed[1]} failed requests at ${url})`);
      resolve(Number(rps[1]));
    });
  });
}

const KERNEL_SERVER = join(dirname(fileURLToPath(import.meta.url)), 'conn-rate-server.js');

/** The `hello` application on tunstack: node:http fed our sockets, with the HTTP service's socket options. */
function startHello(stack: Stack): { close(): Promise<void> } {
  const server = http.createServer((_req, res) => res.end('hello\n'));
  const tcpServer = stack.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => server.emit('connection', socket));
  tcpServer.listen(80);
  return { close: () => new Promise<void>((resolve) => tcpServer.close(() => resolve())) };
}

export async function connRate(o: ConnRateOptions): Promise<ConnRateResult> {
  if (process.getuid?.() !== 0) throw new Error('the connection-rate bench needs root (namespaces, TUN, veth)');
  const tag = `tscr${process.pid}`;
  const made: string[] = [];
  const netns = (name: string): string => {
    sh(['ip', 'netns', 'add', name]);
    made.push(name);
    sh(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  };
  const result: ConnRateResult = { tunstack: [], kernel: [], tunstackCpuUs: [], kernelCpuUs: [] };
  let kernelServer: ReturnType<typeof spawn> | undefined;
  let stack: Stack | undefined;
  let services: { close(): Promise<void> } | undefined;
  try {
    // tunstack: its HTTP service (node:http over our sockets) on a TUN; ab in the TUN's namespace.
    const t = netns(`${tag}t`);
    const link = TunLink.open({ name: 'tun0', netns: t, mtu: 1500, addr: '10.79.6.1', prefixLen: 24, up: true });
    stack = new Stack({ link, addr: '10.79.6.2' });
    services = o.app === 'hello' ? startHello(stack) : await startServices(stack, ['http']);
    // kernel: node:http in namespace b, ab in namespace a, over veth.
    const a = netns(`${tag}a`);
    const b = netns(`${tag}b`);
    sh(['ip', 'link', 'add', 'veth0', 'netns', a, 'type', 'veth', 'peer', 'name', 'veth1', 'netns', b]);
    sh(['ip', '-n', a, 'addr', 'add', '10.79.7.1/24', 'dev', 'veth0']);
    sh(['ip', '-n', b, 'addr', 'add', '10.79.7.2/24', 'dev', 'veth1']);
    sh(['ip', '-n', a, 'link', 'set', 'veth0', 'up']);
    sh(['ip', '-n', b, 'link', 'set', 'veth1', 'up']);
    kernelServer = spawn('ip', ['netns', 'exec', b, process.execPath, KERNEL_SERVER, o.app, '10.79.7.2'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => kernelServer!.stdout!.once('data', r));
    // One uncounted warm-up round each: JIT compilation and heap growth are not per-connection costs.
    const warm = { ...o, requests: Math.min(o.requests, 2000) };
    if (o.only !== 'kernel') await abIn(t, 'http://10.79.6.2/', warm);
    if (o.only !== 'tunstack') await abIn(a, 'http://10.79.7.2/', warm);
    for (let i = 0; i < o.rounds; i++) {
      if (o.only !== 'kernel') {
        const cpu0 = process.cpuUsage();
        const tcp0 = { ...stack.counters().Tcp };
        result.tunstack.push(await abIn(t, 'http://10.79.6.2/', o));
        const cpu = process.cpuUsage(cpu0);
        const tcp1 = stack.counters().Tcp;
        if (process.env.CONN_RATE_SEGS) console.log(`  segments per connection: in ${((tcp1.InSegs - tcp0.InSegs) / o.requests).toFixed(2)}, out ${((tcp1.OutSegs - tcp0.OutSegs) / o.requests).toFixed(2)}`);
        result.tunstackCpuUs.push((cpu.user + cpu.system) / o.requests);
      }
      if (o.only !== 'tunstack') {
        const cpu0 = processCpuUs(kernelServer.pid!);
        result.kernel.push(await abIn(a, 'http://10.79.7.2/', o));
        result.kernelCpuUs.push((processCpuUs(kernelServer.pid!) - cpu0) / o.requests);
      }
    }
    return result;
  } finally {
    if (kernelServer?.pid !== undefined && kernelServer.exitCode === null) process.kill(kernelServer.pid);
    await services?.close();
    await stack?.close();
    for (const n of made.reverse()) spawnSync('ip', ['netns', 'del', n]);
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function formatConnRate(o: ConnRateOptions, r: ConnRateResult): string {
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
  const app = o.app === 'hello' ? 'node:http hello' : 'HTTP service';
  const lines = [`New HTTP connections per second (ab -n ${o.requests} -c ${o.concurrency}, Connection: close, ${o.rounds} alternating round(s) after a warm-up, --app ${o.app}):`];
  if (r.tunstack.length) lines.push(`  ${app} on tunstack TCP over TUN: ${fmt(r.tunstack)} /s (median ${median(r.tunstack).toFixed(0)}), CPU of the stack's process ${fmt(r.tunstackCpuUs)} µs per connection`);
  if (r.kernel.length) lines.push(`  ${app} on kernel TCP (veth): ${fmt(r.kernel)} /s (median ${median(r.kernel).toFixed(0)}), CPU of the server's process ${fmt(r.kernelCpuUs)} µs per connection`);
  if (r.tunstack.length && r.kernel.length) {
    // The machine is shared: the least disturbed round of each is reported beside the medians.
    const best = Math.max(...r.tunstack) / Math.max(...r.kernel);
    lines.push(`  ratio ${(median(r.tunstack) / median(r.kernel)).toFixed(2)} (medians), ${best.toFixed(2)} (best rounds)`);
  }
  return lines.join('\n');
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

export function connRateOptionsFromArgv(): ConnRateOptions {
  const i = process.argv.indexOf('--only');
  const only = i >= 0 ? process.argv[i + 1] : undefined;
  if (only !== undefined && only !== 'tunstack' && only !== 'kernel') {
    console.error(`--only takes tunstack or kernel, not ${only}`);
    process.exit(2);
  }
  const a = process.argv.indexOf('--app');
  const app = a >= 0 ? process.argv[a + 1] : 'service';
  if (app !== 'service' && app !== 'hello') {
    console.error(`--app takes service or hello, not ${app}`);
    process.exit(2);
  }
  return { requests: arg('--requests', 5000), concurrency: arg('--concurrency', 32), rounds: arg('--rounds', 2), only, app };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const o = connRateOptionsFromArgv();
  console.log(formatConnRate(o, await connRate(o)));
}
