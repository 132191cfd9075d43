/**
 * Abuse benchmarks (figures, not a test). Root; everything in namespaces this
 * script creates and removes; every flood bounded by `timeout` and run only
 * after checking the namespace has no default route (spoofed answers cannot
 * leave). `npm run bench:abuse -- [--seconds S] [--connects N] [--requests N] [--txqueuelen N]`
 *
 *  1. SYN flood: `hping3 --flood --rand-source -S -p 80` for S seconds at
 *     tunstack (TUN) and, for the ratio, at the kernel (veth, tcp_syncookies=1,
 *     node:http listening; its SYN-ACKs to spoofed sources go back into the
 *     flooding namespace and die there), while a kernel client makes N legitimate connects
 *     20 ms apart: SYNs offered/s, read by the device under test/s, answered/s,
 *     legitimate connects succeeded, p50/p99 connect time. For tunstack also
 *     where every offered SYN went: lost in the TUN's queue before we could
 *     read it (the device's TX dropped), read, dropped by IP with a named
 *     reason (spoofed broadcast/multicast sources), answered, and the stack's
 *     CPU use and read batch size. `--txqueuelen N` sets the TUN's queue
 *     length (default: the kernel's 500) — a complement, not a fix: it
 *     absorbs bursts, it cannot make up for reading slower than hping3 sends.
 *     The stack's CPU figures cover hping3's run only, with how long the
 *     stack was runnable but waiting for a CPU (/proc/self/schedstat: on a
 *     shared machine that, not the work per SYN, can decide what is read).
 *  2. New HTTP connections per second (`ab`, HTTP/1.0, one request per
 *     connection): tunstack's HTTP service vs node:http on kernel TCP over veth.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Stack } from '../src/stack.js';
import { TunLink } from '../src/link/tun.js';
import { startServices } from '../src/apps/services.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const SECONDS = arg('--seconds', 5);
const CONNECTS = arg('--connects', 200);
const REQUESTS = arg('--requests', 5000);
const TXQUEUELEN = arg('--txqueuelen', 0);
const tag = `tsab${process.pid}`;
const made: string[] = [];

function sh(args: string[]): string {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function netns(name: string): string {
  sh(['ip', 'netns', 'add', name]);
  made.push(name);
  sh(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

function refuseIfRouted(ns: string): void {
  const r = sh(['ip', '-n', ns, 'route', 'show', 'default']).trim();
  if (r !== '') throw new Error(`namespace ${ns} has a default route (${r}); refusing to flood with spoofed sources`);
}

function run(ns: string, args: string[]): Promise<{ out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', () => resolve({ out, err }));
  });
}

/** Legitimate connects from the kernel: JSON {ok, fail, p50, p99} (ms). */
function connectsScript(host: string, count = CONNECTS, startDelayMs = 300): string {
  return `
    const net = require('net'); const times = []; let fail = 0;
    const one = () => new Promise((res) => { const t0 = process.hrtime.bigint();
      const s = net.connect(80, '${host}'); const to = setTimeout(() => { fail++; s.destroy(); res(); }, 3000);
      s.on('connect', () => { clearTimeout(to); times.push(Number(process.hrtime.bigint() - t0) / 1e6); s.destroy(); res(); });
      s.on('error', () => { clearTimeout(to); fail++; res(); }); });
    (async () => { await new Promise((r) => setTimeout(r, ${startDelayMs}));
      for (let i = 0; i < ${count}; i++) { await one(); await new Promise((r) => setTimeout(r, 20)); }
      times.sort((a, b) => a - b); const q = (p) => times.length ? times[Math.min(times.length - 1, Math.floor(p * times.length))] : NaN;
      console.log(JSON.stringify({ ok: times.length, fail, p50: q(0.5), p99: q(0.99) })); })();`;
}

interface ConnectTimes {
  ok: number;
  fail: number;
  p50: number;
  p99: number;
}

interface FloodResult {
  offered: number;
  /** This process's CPU time (µs) and schedstat (ns on CPU, ns runnable but waiting) over hping3's run. */
  cpuUs: number;
  /** The system (kernel) part of cpuUs: the reads and writes on the TUN and what the kernel does with what we write. */
  sysUs: number;
  onCpuNs: number;
  waitNs: number;
  wallMs: number;
  legit: ConnectTimes;
  /** 100 connects right after the flood ended: is there a slowdown once it is over? */
  after: ConnectTimes;
}

/** /proc/self/schedstat: [ns on CPU, ns runnable but waiting for a CPU, timeslices]. */
function schedstat(): number[] {
  return readFileSync('/proc/self/schedstat', 'utf8').trim().split(/\s+/).map(Number);
}

async function flood(ns: string, target: string): Promise<FloodResult> {
  refuseIfRouted(ns);
  const cpu0 = process.cpuUsage();
  const s0 = schedstat();
  const t0 = performance.now();
  let usage = { cpuUs: 0, sysUs: 0, onCpuNs: 0, waitNs: 0, wallMs: 0 };
  const hping = run(ns, ['timeout', '-s', 'INT', String(SECONDS), 'hping3', '--flood', '--rand-source', '-S', '-p', '80', target]).then((r) => {
    const cpu = process.cpuUsage(cpu0);
    const s1 = schedstat();
    usage = { cpuUs: cpu.user + cpu.system, sysUs: cpu.system, onCpuNs: s1[0] - s0[0], waitNs: s1[1] - s0[1], wallMs: performance.now() - t0 };
    return r;
  });
  const [h, c] = await Promise.all([hping, run(ns, [process.execPath, '-e', connectsScript(target)])]);
  const m = /(\d+) packets transmitted/.exec(h.out + h.err);
  return { offered: m ? Number(m[1]) : NaN, ...usage, legit: lastJson(c.out), after: { ok: 0, fail: 0, p50: NaN, p99: NaN } };
}

function lastJson(out: string): ConnectTimes {
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as ConnectTimes;
}

/** 100 connects once the flood is over (run after the counters are read). */
async function afterFlood(ns: string, target: string): Promise<ConnectTimes> {
  return lastJson((await run(ns, [process.execPath, '-e', connectsScript(target, 100, 0)])).out);
}

const HTTP_SERVER = `require('http').createServer((q, r) => r.end('hello\\n')).listen(80, process.argv[1], () => console.log('up'))`;

async function ab(ns: string, url: string): Promise<number> {
  const r = await run(ns, ['ab', '-q', '-n', String(REQUESTS), '-c', '32', url]);
  const m = /Requests per second:\s+([\d.]+)/.exec(r.out);
  const failed = /Failed requests:\s+(\d+)/.exec(r.out);
  if (failed && Number(failed[1]) > 0) console.log(`  (ab: ${failed[1]} failed requests at ${url})`);
  return m ? Number(m[1]) : NaN;
}

/** Where the SYNs offered to tunstack went (counts over the flood). */
interface SynAccount {
  lostInTunQueue: number;
  readFromDevice: number;
  ipDrops: Record<string, number>;
  tcpIn: number;
  tcpOut: number;
  listenDrops: number;
  cpuPercent: number;
  /** CPU time (user + system) over the flood per packet read, µs. */
  cpuPerPacketUs: number;
  /** Its system (kernel) part, µs. */
  sysPerPacketUs: number;
  /** Share of hping3's run the stack was runnable but waiting for a CPU, %. */
  waitPercent: number;
  batches: number;
}

/** TX dropped of the TUN as the kernel counts it: packets for us it could not queue. */
function tunTxDropped(ns: string): number {
  const out = sh(['ip', '-s', '-n', ns, 'link', 'show', 'tun0']);
  const m = /TX:[^\n]*\n\s*\d+\s+\d+\s+\d+\s+(\d+)/.exec(out);
  return m ? Number(m[1]) : NaN;
}

const IP_DROP_NAMES = ['badSource', 'notForUs', 'badChecksum', 'truncated', 'badHeaderLength', 'badTotalLength', 'badOptions', 'sourceRouted'];

async function tunstack(): Promise<{ flood: FloodResult; read: number; answered: number; cps: number; syn: SynAccount }> {
  const ns = netns(`${tag}t`);
  const link = TunLink.open({ name: 'tun0', netns: ns, mtu: 1500, addr: '10.79.4.1', prefixLen: 24, up: true });
  if (TXQUEUELEN > 0) sh(['ip', '-n', ns, 'link', 'set', 'tun0', 'txqueuelen', String(TXQUEUELEN)]);
  const stack = new Stack({ link, addr: '10.79.4.2' });
  const services = await startServices(stack, ['http']);
  try {
    // Connections per second first, on a fresh stack; then the flood.
    const cps = await ab(ns, 'http://10.79.4.2/');
    const snap = () => {
      const c = stack.counters();
      return { tcp: { ...c.Tcp }, ip: { ...c.Ip }, link: { ...c.Link }, lost: tunTxDropped(ns) };
    };
    const before = snap();
    const f = await flood(ns, '10.79.4.2');
    const after = snap();
    f.after = await afterFlood(ns, '10.79.4.2');
    const ipDrops: Record<string, number> = {};
    for (const k of IP_DROP_NAMES) if (after.ip[k] - before.ip[k] > 0) ipDrops[k] = after.ip[k] - before.ip[k];
    const syn: SynAccount = {
      lostInTunQueue: after.lost - before.lost,
      readFromDevice: after.link.rxPackets - before.link.rxPackets,
      ipDrops,
      tcpIn: after.tcp.InSegs - before.tcp.InSegs,
      tcpOut: after.tcp.OutSegs - before.tcp.OutSegs,
      listenDrops: after.tcp.ListenDrops - before.tcp.ListenDrops,
      cpuPercent: (100 * f.cpuUs) / 1000 / f.wallMs,
      cpuPerPacketUs: f.cpuUs / Math.max(1, after.link.rxPackets - before.link.rxPackets),
      sysPerPacketUs: f.sysUs / Math.max(1, after.link.rxPackets - before.link.rxPackets),
      waitPercent: (100 * f.waitNs) / 1e6 / f.wallMs,
      batches: after.link.rxBatches - before.link.rxBatches,
    };
    return { flood: f, read: syn.tcpIn, answered: syn.tcpOut, cps, syn };
  } finally {
    await services.close();
    await stack.close();
  }
}

async function kernel(): Promise<{ flood: FloodResult; read: number; answered: number; cps: number }> {
  const a = netns(`${tag}a`);
  const b = netns(`${tag}b`);
  sh(['ip', 'link', 'add', 'veth0', 'netns', a, 'type', 'veth', 'peer', 'name', 'veth1', 'netns', b]);
  sh(['ip', '-n', a, 'addr', 'add', '10.79.5.1/24', 'dev', 'veth0']);
  sh(['ip', '-n', b, 'addr', 'add', '10.79.5.2/24', 'dev', 'veth1']);
  sh(['ip', '-n', a, 'link', 'set', 'veth0', 'up']);
  sh(['ip', '-n', b, 'link', 'set', 'veth1', 'up']);
  sh(['ip', 'netns', 'exec', b, 'sysctl', '-qw', 'net.ipv4.tcp_syncookies=1']);
  // The kernel under test must be able to answer spoofed sources, as tunstack (which routes
  // nothing) always does: its default route leads into the flooding namespace, which has no
  // route out and does not forward, so the SYN-ACKs end there.
  sh(['ip', '-n', b, 'route', 'add', 'default', 'dev', 'veth1']);
  const server = spawn('ip', ['netns', 'exec', b, process.execPath, '-e', HTTP_SERVER, '10.79.5.2'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => server.stdout!.once('data', r));
  const snmp = (): Record<string, number> => {
    const t = sh(['ip', 'netns', 'exec', b, 'nstat', '-az', 'TcpInSegs', 'TcpOutSegs']);
    const o: Record<string, number> = {};
    for (const l of t.split('\n')) {
      const m = /^(\w+)\s+(\d+)/.exec(l);
      if (m) o[m[1]] = Number(m[2]);
    }
    return o;
  };
  try {
    const cps = await ab(a, 'http://10.79.5.2/');
    const s0 = snmp();
    const f = await flood(a, '10.79.5.2');
    const s1 = snmp();
    f.after = await afterFlood(a, '10.79.5.2');
    return { flood: f, read: s1.TcpInSegs - s0.TcpInSegs, answered: s1.TcpOutSegs - s0.TcpOutSegs, cps };
  } finally {
    if (server.pid) process.kill(server.pid);
  }
}

function line(name: string, r: { flood: FloodResult; read: number; answered: number }): string {
  const l = r.flood.legit;
  const a = r.flood.after;
  return (
    `  ${name}: offered ${Math.round(r.flood.offered / SECONDS)}/s, TCP segments read ${Math.round(r.read / SECONDS)}/s, sent ${Math.round(r.answered / SECONDS)}/s; legitimate connects ${l.ok}/${l.ok + l.fail}, p50 ${l.p50?.toFixed(2)} ms, p99 ${l.p99?.toFixed(2)} ms` +
    `; 100 connects after the flood: ${a.ok}/${a.ok + a.fail}, p50 ${a.p50?.toFixed(2)} ms, p99 ${a.p99?.toFixed(2)} ms`
  );
}

try {
  if (process.getuid?.() !== 0) throw new Error('bench:abuse needs root (namespaces, TUN, hping3)');
  const ours = await tunstack();
  const theirs = await kernel();
  console.log(`SYN flood (hping3 --flood --rand-source, ${SECONDS} s) with ${CONNECTS} legitimate connects 20 ms apart:`);
  console.log(line('tunstack over TUN  ', ours));
  console.log(line('kernel over veth   ', theirs));
  const a = ours.syn;
  const ipDropped = Object.values(a.ipDrops).reduce((x, y) => x + y, 0);
  console.log(`  tunstack, every SYN offered: ${a.lostInTunQueue} lost in the TUN's queue (txqueuelen ${TXQUEUELEN || 'default'}) before the stack could read them, ${a.readFromDevice} read`);
  console.log(`    of those read: ${ipDropped} dropped by IP ${JSON.stringify(a.ipDrops)}, ${a.tcpIn} to TCP, ${a.tcpOut} TCP segments sent, ${a.listenDrops} ListenDrops;`);
  console.log(`    unanswered = TCP in - sent - ListenDrops = ${a.tcpIn - a.tcpOut - a.listenDrops} (the legitimate connects' own ACKs/RSTs need no answer)`);
  console.log(`    stack CPU ${a.cpuPercent.toFixed(0)}% of one core during the flood (${a.cpuPerPacketUs.toFixed(2)} µs per packet read, ${a.sysPerPacketUs.toFixed(2)} µs of it in the kernel), runnable but waiting for a CPU ${a.waitPercent.toFixed(0)}% of it, ${(a.readFromDevice / Math.max(1, a.batches)).toFixed(1)} packets per read batch`);
  console.log(`New HTTP connections per second (ab -n ${REQUESTS} -c 32, one request per connection):`);
  console.log(`  tunstack HTTP service: ${ours.cps.toFixed(0)}/s; node:http on kernel TCP: ${theirs.cps.toFixed(0)}/s; ratio ${(ours.cps / theirs.cps).toFixed(2)}`);
} finally {
  for (const n of made.reverse()) spawnSync('ip', ['netns', 'del', n]);
}
