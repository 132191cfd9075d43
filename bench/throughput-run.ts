/**
 * The pieces of a throughput run (bench/throughput.ts, bench/profile.ts):
 * namespaces, the veth reference, a tunstack over a TUN, and one timed
 * transfer each way against a kernel-side peer program.
 */
import { spawn, spawnSync } from 'node:child_process';
import { Stack } from '../src/stack.js';
import { TunLink } from '../src/link/tun.js';
import { peerScript, type PeerArgs } from './throughput-peer.js';
import type { Case, Sample } from './throughput-report.js';

const TIMEOUT_MS = 60_000;
/** Linux's default net.ipv4.tcp_rmem maximum. */
const LINUX_RMEM_MAX = 6 * 1024 * 1024;
const tag = `tsbench${process.pid}`;
/** Namespaces created so far; the caller deletes them (cleanupNetns). */
const made: string[] = [];
let port = 20000;

export function cleanupNetns(): void {
  for (const n of made.reverse()) spawnSync('ip', ['netns', 'del', n]);
  made.length = 0;
}

export function sh(args: string[]): void {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
}

export function netns(name: string): string {
  sh(['ip', 'netns', 'add', name]);
  made.push(name);
  sh(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

interface Running {
  ready: Promise<void>;
  done: Promise<{ sec?: number; cpu: number }>;
}

/** Start the kernel-side peer in `ns`; resolves with its JSON line. */
export function peer(ns: string, a: PeerArgs): Running {
  const p = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', peerScript(a)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let readyFn: () => void = () => {};
  const ready = new Promise<void>((r) => (readyFn = r));
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('up')) readyFn();
  });
  const done = new Promise<{ sec?: number; cpu: number }>((resolve, reject) =>
    p.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && line) resolve(JSON.parse(line) as { sec?: number; cpu: number });
      else reject(new Error(`peer ${a.role} exited ${code}`));
    }),
  );
  return { ready, done };
}

export const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export const toSample = (bytes: number, sec: number, cpu: number): Sample => ({
  gbps: (bytes * 8) / sec / 1e9,
  cpuPerGiB: cpu / (bytes / 2 ** 30),
});

/** Kernel TCP to kernel TCP over a veth pair with the case's MTU. */
export async function kernelRun(c: Case, pair: { a: string; b: string }, BYTES: number): Promise<Sample> {
  const p = port++;
  const base = { host: '10.78.0.2', port: p, streams: c.streams, bytes: BYTES, timeoutMs: TIMEOUT_MS };
  const server = peer(pair.b, { ...base, role: 'server', send: c.dir === 'down' });
  await server.ready;
  const client = peer(pair.a, { ...base, role: 'client', send: c.dir === 'up' });
  const [cr, sr] = await Promise.all([client.done, server.done]);
  return toSample(BYTES, cr.sec!, cr.cpu + sr.cpu);
}

export function vethPair(mtu: number): { a: string; b: string } {
  const a = netns(`${tag}a${mtu}`);
  const b = netns(`${tag}b${mtu}`);
  sh(['ip', 'link', 'add', 'veth0', 'netns', a, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', 'veth1', 'netns', b, 'mtu', String(mtu)]);
  sh(['ip', '-n', a, 'addr', 'add', '10.78.0.1/24', 'dev', 'veth0']);
  sh(['ip', '-n', b, 'addr', 'add', '10.78.0.2/24', 'dev', 'veth1']);
  sh(['ip', '-n', a, 'link', 'set', 'veth0', 'up']);
  sh(['ip', '-n', b, 'link', 'set', 'veth1', 'up']);
  return { a, b };
}

export interface TunSide {
  ns: string;
  stack: Stack;
}

/** `txThread`: writes on the addon's writer thread (TunLinkOptions.txThread); undefined: the link's default. */
export function tunSide(mtu: number, offload: 'on' | 'off', txThread?: boolean): TunSide {
  const ns = netns(`${tag}t${mtu}${offload}${txThread === undefined ? '' : txThread ? 'w' : 's'}`);
  const link = TunLink.open({ name: 'tun0', netns: ns, mtu, addr: '10.79.0.1', prefixLen: 24, up: true, offload, txThread });
  console.log(`tun mtu ${mtu}: ${link.offloadNote || 'offload off'}${link.txThread ? ', writer thread' : ''}`);
  // The kernel reference may grow its receive buffer to tcp_rmem[2] (6 MiB by default);
  // give tunstack the same maximum (its window grows toward it as Linux's does, tcp/rcv-window.ts).
  return { ns, stack: new Stack({ link, addr: '10.79.0.2', tcp: { rcvBuf: LINUX_RMEM_MAX } }) };
}

/** Kernel client in the namespace against a tunstack server in this process. */
export async function tunstackRun(c: Case, side: TunSide, BYTES: number): Promise<Sample> {
  const p = port++;
  const per = Math.floor(BYTES / c.streams);
  const chunk = Buffer.alloc(1 << 20, 0x62);
  const server = side.stack.createServer((s) => {
    s.on('error', () => {});
    if (c.dir === 'up') {
      s.on('data', () => {});
      s.on('end', () => s.end());
      return;
    }
    s.on('data', () => {});
    let left = per;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void s.once('drain', pump);
      }
      s.end();
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(p, r));
  const c0 = cpuNow();
  try {
    const r = await peer(side.ns, { role: 'client', send: c.dir === 'up', host: '10.79.0.2', port: p, streams: c.streams, bytes: BYTES, timeoutMs: TIMEOUT_MS }).done;
    return toSample(BYTES, r.sec!, r.cpu + cpuNow() - c0);
  } finally {
    server.close();
  }
}

