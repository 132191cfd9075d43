/**
 * Side-by-side TCP throughput in one run: the Linux kernel against itself
 * over a veth pair (the reference), and kernel TCP against tunstack over a
 * TUN with `--offload off` and `--offload on`; upload (kernel → tunstack) and
 * download (tunstack → kernel); 1 and 4 streams; MTU 1500 and 9000; several
 * rounds each, interleaved so a noisy neighbour hits every implementation
 * alike. Figures on a shared machine are only meaningful as ratios.
 *
 * Everything lives in namespaces this script creates and removes; every
 * transfer is bounded in bytes and time. Run as root:
 *   npm run bench:throughput [-- --quick] [-- --rounds N --mib N]
 * Prints one table, writes bench/results/latest.json and latest.svg.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Stack } from '../src/stack.js';
import { TunLink } from '../src/link/tun.js';
import { peerScript, type PeerArgs } from './throughput-peer.js';
import { IMPLS, caseKey, summarize, svgChart, table, type Case, type Impl, type Sample } from './throughput-report.js';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, rounds: { type: 'string' }, mib: { type: 'string' } },
  strict: true,
});
const QUICK = values.quick === true;
const ROUNDS = Number(values.rounds ?? (QUICK ? 1 : 3));
const MIB = Number(values.mib ?? (QUICK ? 64 : 256));
const STREAMS = QUICK ? [1] : [1, 4];
const MTUS = QUICK ? [1500] : [1500, 9000];
const TIMEOUT_MS = 60_000;
const BYTES = MIB * 1024 * 1024;
const tag = `tsbench${process.pid}`;
const made: string[] = [];
let port = 20000;

function sh(args: string[]): void {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
}

function netns(name: string): string {
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
function peer(ns: string, a: PeerArgs): Running {
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', peerScript(a)], { stdio: ['ignore', 'pipe', 'inherit'] });
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

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const toSample = (sec: number, cpu: number): Sample => ({
  gbps: (BYTES * 8) / sec / 1e9,
  cpuPerGiB: cpu / (BYTES / 2 ** 30),
});

/** Kernel TCP to kernel TCP over a veth pair with the case's MTU. */
async function kernelRun(c: Case, pair: { a: string; b: string }): Promise<Sample> {
  const p = port++;
  const base = { host: '10.78.0.2', port: p, streams: c.streams, bytes: BYTES, timeoutMs: TIMEOUT_MS };
  const server = peer(pair.b, { ...base, role: 'server', send: c.dir === 'down' });
  await server.ready;
  const client = peer(pair.a, { ...base, role: 'client', send: c.dir === 'up' });
  const [cr, sr] = await Promise.all([client.done, server.done]);
  return toSample(cr.sec!, cr.cpu + sr.cpu);
}

function vethPair(mtu: number): { a: string; b: string } {
  const a = netns(`${tag}a${mtu}`);
  const b = netns(`${tag}b${mtu}`);
  sh(['ip', 'link', 'add', 'veth0', 'netns', a, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', 'veth1', 'netns', b, 'mtu', String(mtu)]);
  sh(['ip', '-n', a, 'addr', 'add', '10.78.0.1/24', 'dev', 'veth0']);
  sh(['ip', '-n', b, 'addr', 'add', '10.78.0.2/24', 'dev', 'veth1']);
  sh(['ip', '-n', a, 'link', 'set', 'veth0', 'up']);
  sh(['ip', '-n', b, 'link', 'set', 'veth1', 'up']);
  return { a, b };
}

interface TunSide {
  ns: string;
  stack: Stack;
}

function tunSide(mtu: number, offload: 'on' | 'off'): TunSide {
  const ns = netns(`${tag}t${mtu}${offload}`);
  const link = TunLink.open({ name: 'tun0', netns: ns, mtu, addr: '10.79.0.1', prefixLen: 24, up: true, offload });
  console.log(`tun mtu ${mtu}: ${link.offloadNote || 'offload off'}`);
  return { ns, stack: new Stack({ link, addr: '10.79.0.2' }) };
}

/** Kernel client in the namespace against a tunstack server in this process. */
async function tunstackRun(c: Case, side: TunSide): Promise<Sample> {
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
    return toSample(r.sec!, r.cpu + cpuNow() - c0);
  } finally {
    server.close();
  }
}

async function main(): Promise<void> {
  const cases: Case[] = [];
  for (const mtu of MTUS) for (const streams of STREAMS) for (const dir of ['up', 'down'] as const) cases.push({ dir, streams, mtu });
  const results = new Map<string, Sample[]>();
  const add = (impl: Impl, c: Case, s: Sample): void => {
    const k = `${impl} ${caseKey(c)}`;
    results.set(k, [...(results.get(k) ?? []), s]);
    console.log(`  ${k}: ${s.gbps.toFixed(2)} Gbit/s, ${s.cpuPerGiB.toFixed(2)} CPU s/GiB`);
  };
  for (const mtu of MTUS) {
    const veth = vethPair(mtu);
    const off = tunSide(mtu, 'off');
    const on = tunSide(mtu, 'on');
    try {
      for (let round = 0; round < ROUNDS; round++) {
        for (const c of cases.filter((x) => x.mtu === mtu)) {
          add('kernel-veth', c, await kernelRun(c, veth));
          add('tunstack-offload-off', c, await tunstackRun(c, off));
          add('tunstack-offload-on', c, await tunstackRun(c, on));
        }
      }
    } finally {
      await off.stack.close();
      await on.stack.close();
    }
  }
  const rows = summarize(results, cases);
  const title = `TCP throughput, ${MIB} MiB per transfer, ${ROUNDS} round(s), ${new Date().toISOString()}`;
  console.log(`\n${title} (compare ratios: the machine is shared)\n`);
  console.log(table(rows));
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), JSON.stringify({ title, mib: MIB, rounds: ROUNDS, impls: IMPLS, rows }, null, 2) + '\n');
  writeFileSync(join(dir, 'latest.svg'), svgChart(rows, title));
  console.log(`\nwrote ${join(dir, 'latest.json')} and latest.svg`);
}

try {
  await main();
} finally {
  for (const n of made.reverse()) spawnSync('ip', ['netns', 'del', n]);
}
