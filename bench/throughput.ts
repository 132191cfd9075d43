/**
 * Side-by-side single-stream TCP throughput: the Linux kernel against itself
 * over a veth pair, and the kernel and tunstack over a TUN in both directions
 * (kernel client sending to our discard service; our client sending to a
 * kernel discard server), in the same run (figures are only meaningful as a ratio on
 * a shared, noisy machine). Everything lives in namespaces this script
 * creates and removes; transfers are bounded in bytes and time.
 *
 * Run as root after `npm run build`: `node dist/bench/throughput.js [MiB]`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { Stack } from '../src/stack.js';
import { TunLink } from '../src/link/tun.js';
import { startServices } from '../src/apps/services.js';

const MIB = Number(process.argv[2] ?? 256);
const TIMEOUT_MS = 60_000;
const tag = `tsbench${process.pid}`;
const made: string[] = [];

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

/** Kernel-side sender: connect, write MIB MiB, report seconds from first byte to the peer's close. */
function clientScript(host: string, port: number): string {
  return `
    const net = require('net');
    const chunk = Buffer.alloc(1 << 20, 0x61);
    let left = ${MIB};
    const t0 = process.hrtime.bigint();
    const s = net.connect(${port}, '${host}', () => {
      const pump = () => { while (left > 0) { left--; if (!s.write(chunk)) return s.once('drain', pump); } s.end(); };
      pump();
    });
    s.on('data', () => {});
    s.on('close', () => { console.log(Number(process.hrtime.bigint() - t0) / 1e9); });
    s.on('error', (e) => { console.error(e.message); process.exit(1); });
    setTimeout(() => { console.error('timeout'); process.exit(1); }, ${TIMEOUT_MS}).unref();`;
}

function runIn(ns: string, script: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`client exited ${code}`))));
  });
}

async function kernelOverVeth(): Promise<number> {
  const a = netns(`${tag}a`);
  const b = netns(`${tag}b`);
  sh(['ip', 'link', 'add', 'veth0', 'netns', a, 'type', 'veth', 'peer', 'name', 'veth1', 'netns', b]);
  sh(['ip', '-n', a, 'addr', 'add', '10.78.0.1/24', 'dev', 'veth0']);
  sh(['ip', '-n', b, 'addr', 'add', '10.78.0.2/24', 'dev', 'veth1']);
  sh(['ip', '-n', a, 'link', 'set', 'veth0', 'up']);
  sh(['ip', '-n', b, 'link', 'set', 'veth1', 'up']);
  const server = spawn('ip', ['netns', 'exec', b, process.execPath, '-e',
    `require('net').createServer(s => { s.on('data', () => {}); s.on('end', () => s.end()); }).listen(9, '10.78.0.2', () => console.log('up'))`,
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => server.stdout!.once('data', r));
  try {
    return await runIn(a, clientScript('10.78.0.2', 9));
  } finally {
    if (server.pid) process.kill(server.pid);
  }
}

async function tunstackOverTun(): Promise<number> {
  const n = netns(`${tag}t`);
  const link = TunLink.open({ name: 'tun0', netns: n, mtu: 1500, addr: '10.79.0.1', prefixLen: 24, up: true });
  const stack = new Stack({ link, addr: '10.79.0.2' });
  const services = await startServices(stack, ['discard']);
  try {
    return await runIn(n, clientScript('10.79.0.2', 9));
  } finally {
    await services.close();
    await stack.close();
  }
}

/** The other direction: our stack connects out to a kernel discard server and sends MIB MiB. */
async function tunstackSendsOverTun(): Promise<number> {
  const n = netns(`${tag}s`);
  const link = TunLink.open({ name: 'tun0', netns: n, mtu: 1500, addr: '10.79.1.1', prefixLen: 24, up: true });
  const stack = new Stack({ link, addr: '10.79.1.2' });
  const server = spawn('ip', ['netns', 'exec', n, process.execPath, '-e',
    `require('net').createServer(s => { s.on('data', () => {}); s.on('end', () => s.end()); }).listen(9, '10.79.1.1', () => console.log('up'))`,
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => server.stdout!.once('data', r));
  try {
    return await new Promise<number>((resolve, reject) => {
      const chunk = Buffer.alloc(1 << 20, 0x61);
      let left = MIB;
      const t0 = process.hrtime.bigint();
      const timer = setTimeout(() => reject(new Error('timeout')), TIMEOUT_MS);
      const s = stack.connect({ host: '10.79.1.1', port: 9 }, () => {
        const pump = (): void => {
          while (left > 0) {
            left--;
            if (!s.write(chunk)) return void s.once('drain', pump);
          }
          s.end();
        };
        pump();
      });
      s.on('data', () => {});
      s.on('error', reject);
      s.on('close', () => {
        clearTimeout(timer);
        resolve(Number(process.hrtime.bigint() - t0) / 1e9);
      });
    });
  } finally {
    if (server.pid) process.kill(server.pid);
    await stack.close();
  }
}

try {
  const kernel = await kernelOverVeth();
  const ours = await tunstackOverTun();
  const oursSend = await tunstackSendsOverTun();
  const gbps = (s: number): string => ((MIB * 8 * 1048576) / s / 1e9).toFixed(2);
  console.log(`single stream, ${MIB} MiB, MTU 1500, one run (compare the ratios, not the absolute figures)`);
  console.log(`  kernel -> kernel over veth : ${gbps(kernel)} Gbit/s (${kernel.toFixed(2)} s)`);
  console.log(`  kernel -> tunstack over TUN: ${gbps(ours)} Gbit/s (${ours.toFixed(2)} s), ratio to kernel ${(kernel / ours).toFixed(3)}`);
  console.log(`  tunstack -> kernel over TUN: ${gbps(oursSend)} Gbit/s (${oursSend.toFixed(2)} s), ratio to kernel ${(kernel / oursSend).toFixed(3)}`);
} finally {
  for (const n of made.reverse()) spawnSync('ip', ['netns', 'del', n]);
}
