/**
 * Soak: `npm run soak -- --minutes N` (root). The stack on a TUN in a
 * namespace this command creates (and removes), with its services, under a
 * mixed, rate-bounded load from the kernel side: HTTP requests with
 * `Connection: close`, TCP echo round trips, UDP echo, and every 5 s a bounded
 * burst of spoofed SYNs (hping3 -c, only after checking there is no default
 * route). Every second it samples heap, RSS, active handles and connection
 * counts. It fails (exit 1) on a growth trend (heap of the last third of the
 * run above the first third by more than 50% + 8 MiB, or TCP connections not
 * back to their idle level), on any failed client operation (an unexplained
 * drop) or any operation that did not finish within 5 s (a stall). It ends
 * with a small chart of heap over time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Stack } from '../src/stack.js';
import { TunLink } from '../src/link/tun.js';
import { startServices } from '../src/apps/services.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`soak: ${name} takes a positive number (npm run soak -- --minutes 2)`);
    process.exit(2);
  }
  return v;
}

const MINUTES = arg('--minutes', 1);
const HOST = '10.79.6.1';
const ADDR = '10.79.6.2';

/** Kernel-side load: one HTTP GET, one TCP echo, one UDP echo every 50 ms; a line of totals each second. */
const LOAD = `
const net = require('net'), http = require('http'), dgram = require('dgram');
let ok = 0, fail = 0, stall = 0, pending = 0;
const guard = (fn) => { pending++; let done = false; const t = setTimeout(() => { if (!done) { done = true; stall++; pending--; } }, 5000);
  fn((good) => { if (done) return; done = true; clearTimeout(t); pending--; good ? ok++ : fail++; }); };
const u = dgram.createSocket('udp4');
const udpWait = new Map(); let udpSeq = 0;
u.on('message', (m) => { const cb = udpWait.get(m.toString()); if (cb) { udpWait.delete(m.toString()); cb(true); } });
setInterval(() => {
  guard((cb) => http.get({ host: '${ADDR}', path: '/', agent: false, headers: { Connection: 'close' } }, (r) => { r.resume(); r.on('end', () => cb(r.statusCode === 200)); }).on('error', () => cb(false)));
  guard((cb) => { const s = net.connect(7, '${ADDR}'); const msg = Buffer.alloc(1024, 7); let got = 0;
    s.on('connect', () => s.end(msg)); s.on('data', (d) => { got += d.length; }); s.on('close', () => cb(got === 1024)); s.on('error', () => cb(false)); });
  guard((cb) => { const k = 'u' + udpSeq++; udpWait.set(k, cb); u.send(k, 7, '${ADDR}'); });
}, 50);
setInterval(() => console.log(JSON.stringify({ ok, fail, stall, pending })), 1000);
`;

function sh(args: string[]): string {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function chart(values: number[], width = 60, height = 8): string {
  const step = Math.max(1, Math.ceil(values.length / width));
  const cols: number[] = [];
  for (let i = 0; i < values.length; i += step) cols.push(Math.max(...values.slice(i, i + step)));
  const lo = Math.min(...cols);
  const hi = Math.max(...cols);
  const rows: string[] = [];
  for (let r = height - 1; r >= 0; r--) {
    const edge = lo + ((hi - lo) * (r + 0.5)) / height;
    rows.push(`${(edge / 1048576).toFixed(1).padStart(6)} MiB |` + cols.map((v) => (v >= edge ? '█' : ' ')).join(''));
  }
  rows.push(' '.repeat(11) + '+' + '-'.repeat(cols.length) + ` ${values.length} s`);
  return rows.join('\n');
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('soak: needs root (a namespace and a TUN device); run with sudo');
    return 2;
  }
  const ns = `tssoak${process.pid}`;
  sh(['ip', 'netns', 'add', ns]);
  const kids: number[] = [];
  try {
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    const link = TunLink.open({ name: 'tun0', netns: ns, mtu: 1500, addr: HOST, prefixLen: 24, up: true });
    const stack = new Stack({ link, addr: ADDR });
    const services = await startServices(stack, ['echo', 'http', 'udp-echo']);
    if (sh(['ip', '-n', ns, 'route', 'show', 'default']).trim() !== '') throw new Error('namespace has a default route; refusing to send spoofed SYNs');
    const load = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', LOAD], { stdio: ['ignore', 'pipe', 'inherit'] });
    if (load.pid) kids.push(load.pid);
    let last = { ok: 0, fail: 0, stall: 0, pending: 0 };
    createInterface({ input: load.stdout! }).on('line', (l) => (last = JSON.parse(l)));
    const gc = (globalThis as { gc?: () => void }).gc;
    const heap: number[] = [];
    const conns: number[] = [];
    const end = Date.now() + MINUTES * 60_000;
    let nextBurst = Date.now() + 5000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 1000));
      gc?.();
      const m = process.memoryUsage();
      heap.push(m.heapUsed);
      conns.push(stack.tcp.connectionCount);
      const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
      const status = `${heap.length}s heap ${(m.heapUsed / 1048576).toFixed(1)} MiB rss ${(m.rss / 1048576).toFixed(1)} MiB handles ${handles} tcp ${stack.tcp.connectionCount} tw ${stack.tcp.timeWaitCount} ok ${last.ok} fail ${last.fail} stall ${last.stall}`;
      if (process.stdout.isTTY) process.stdout.write(`\r${status}   `);
      else if (heap.length % 10 === 0) console.log(status);
      if (Date.now() >= nextBurst) {
        nextBurst += 5000;
        const h = spawn('ip', ['netns', 'exec', ns, 'timeout', '3', 'hping3', '-q', '-c', '200', '-i', 'u2000', '--rand-source', '-S', '-p', '80', ADDR], { stdio: 'ignore' });
        if (h.pid) kids.push(h.pid);
      }
    }
    if (process.stdout.isTTY) process.stdout.write('\n');
    load.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 6000)); // let the last operations and FIN exchanges finish
    const idleConns = stack.tcp.connectionCount;
    await services.close();
    await stack.close();
    const third = Math.max(1, Math.floor(heap.length / 3));
    const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    const first = median(heap.slice(0, third));
    const lastThird = median(heap.slice(-third));
    console.log(chart(heap));
    console.log(`operations ok ${last.ok}, failed ${last.fail}, stalled ${last.stall}; heap median first third ${(first / 1048576).toFixed(1)} MiB, last third ${(lastThird / 1048576).toFixed(1)} MiB; TCP connections left after the load stopped: ${idleConns}`);
    const problems: string[] = [];
    if (lastThird > first * 1.5 + 8 * 1048576) problems.push('heap grows');
    if (last.fail > 0) problems.push(`${last.fail} failed operations`);
    if (last.stall > 0) problems.push(`${last.stall} stalled operations`);
    if (idleConns > 0) problems.push(`${idleConns} connections left open`);
    if (last.ok === 0) problems.push('no operation succeeded');
    console.log(problems.length ? `soak: FAIL (${problems.join(', ')})` : 'soak: PASS');
    return problems.length ? 1 : 0;
  } finally {
    for (const pid of kids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

process.exitCode = await main();
