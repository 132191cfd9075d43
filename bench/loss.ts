/**
 * Goodput under random loss: tunstack against the Linux kernel's TCP, same
 * client, same loss. A router namespace joins the client to both servers —
 * a veth to a namespace with kernel servers, and the TUN of an in-process
 * tunstack — and `iptables -m statistic --mode random` rules drop the same
 * share of MTU-sized packets each way on both paths (setLoss).
 * Offloads are off on every veth so both paths lose per MTU-sized packet. Both sides run CUBIC (the kernel's in these namespaces through
 * net.ipv4.tcp_congestion_control; its default here is bbr). Download: the
 * server sends N MiB and closes; upload: the client sends N MiB to a
 * discard server, timed until the server's close. Everything lives in
 * namespaces this script creates and removes; transfers are bounded.
 *
 * Run as root: `npm run bench:loss` (`-- --quick` for 8 MiB at 1% and 2%;
 * `-- --mib N --rounds R --loss 1,2 --cc newreno --chart FILE.svg --pcap
 * PREFIX`, the last capturing TCP headers where each server's packets enter
 * and leave the router, for tshark: PREFIX-kernel.pcap, PREFIX-tunstack.pcap). Also
 * writes the cwnd chart of one tunstack download (default
 * bench-loss-cwnd.svg).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Stack } from '../src/stack.js';
import { TunLink } from '../src/link/tun.js';
import { writeFileSync } from 'node:fs';
import type { TraceRecord } from '../src/tcp/trace.js';
import { renderChart } from '../src/trace/chart.js';

interface Config {
  mib: number;
  rounds: number;
  losses: number[];
  cc: string;
  chart: string;
  /** Also write the charted run's trace records as JSON lines here (for `tunstack chart`). */
  trace?: string;
  /** Capture headers on the servers' side of the router (PREFIX-kernel.pcap on vk, PREFIX-tunstack.pcap on tun0). */
  pcap?: string;
}

function parseArgs(argv: string[]): Config {
  const quick = argv.includes('--quick');
  const cfg: Config = { mib: quick ? 8 : 32, rounds: 3, losses: quick ? [1, 2] : [0.5, 1, 2, 5], cc: 'cubic', chart: 'bench-loss-cwnd.svg' };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === '--mib') cfg.mib = Number(v);
    else if (argv[i] === '--rounds') cfg.rounds = Number(v);
    else if (argv[i] === '--loss') cfg.losses = v.split(',').map(Number);
    else if (argv[i] === '--cc') cfg.cc = v;
    else if (argv[i] === '--chart') cfg.chart = v;
    else if (argv[i] === '--trace') cfg.trace = v;
    else if (argv[i] === '--pcap') cfg.pcap = v;
  }
  if (!(cfg.mib > 0) || !(cfg.rounds >= 1) || cfg.losses.some((l) => !(l >= 0 && l < 100))) {
    console.error('usage: bench/loss.js [--quick] [--mib N] [--rounds R] [--loss 0.5,1,2,5] [--cc cubic|newreno|bbr] [--chart FILE.svg] [--trace FILE.jsonl] [--pcap PREFIX]');
    process.exit(2);
  }
  return cfg;
}

const cfg = parseArgs(process.argv.slice(2));
const TIMEOUT_MS = 120_000;
const tag = `tsloss${process.pid}`;
const made: string[] = [];
const children: ChildProcess[] = [];

function sh(args: string[]): void {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
}

function netns(name: string): string {
  sh(['ip', 'netns', 'add', name]);
  made.push(name);
  sh(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  sh(['ip', 'netns', 'exec', name, 'sysctl', '-qw', `net.ipv4.tcp_congestion_control=${cfg.cc === 'newreno' ? 'reno' : cfg.cc}`]);
  return name;
}

/** Kernel-side servers: 19 sends N MiB then closes, 9 discards and closes after the client's FIN. */
const SERVERS = (host: string): string => `
  const net = require('net');
  const chunk = Buffer.alloc(1 << 20, 0x61);
  net.createServer((s) => { let left = ${cfg.mib}; s.on('error', () => {});
    const pump = () => { while (left > 0) { left--; if (!s.write(chunk)) return s.once('drain', pump); } s.end(); }; pump();
    s.on('data', () => {}); }).listen(19, '${host}');
  net.createServer((s) => { s.on('data', () => {}); s.on('end', () => s.end()); s.on('error', () => {}); }).listen(9, '${host}', () => console.log('up'));`;

/** The client (kernel TCP in the client namespace): prints seconds for one transfer. */
function clientScript(host: string, dir: 'down' | 'up'): string {
  return `
    const net = require('net');
    const t0 = process.hrtime.bigint();
    let got = 0;
    const s = net.connect(${dir === 'down' ? 19 : 9}, '${host}', () => {
      if (${dir === 'up'}) { const chunk = Buffer.alloc(1 << 20, 0x62); let left = ${cfg.mib};
        const pump = () => { while (left > 0) { left--; if (!s.write(chunk)) return s.once('drain', pump); } s.end(); }; pump(); }
    });
    s.on('data', (d) => { got += d.length; });
    s.on('end', () => s.end());
    s.on('close', () => {
      if (${dir === 'down'} && got !== ${cfg.mib * 1048576}) { console.error('short: ' + got); process.exit(1); }
      console.log(Number(process.hrtime.bigint() - t0) / 1e9); });
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

/** TcpExt/Tcp counters of a namespace's kernel TCP (/proc/net/netstat, /proc/net/snmp): what the kernel peer did. */
function kernelCounters(ns: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const file of ['/proc/net/netstat', '/proc/net/snmp']) {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'cat', file], { encoding: 'utf8' });
    const lines = (r.stdout ?? '').split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const keys = lines[i].split(/\s+/);
      const vals = lines[i + 1].split(/\s+/);
      for (let j = 1; j < keys.length; j++) out[keys[j]] = Number(vals[j]);
    }
  }
  return out;
}

/**
 * The same loss on both paths, per MTU-sized packet. Toward the servers the
 * rule sits in the router's FORWARD chain (the client's packets arrive
 * MTU-sized: offloads off on its veth). Toward the client it sits in the
 * client's raw PREROUTING, after the router has segmented: tunstack hands
 * its TUN GSO packets of up to 45 segments (virtio_net_hdr), and FORWARD
 * sees each as one packet, so a FORWARD rule there dropped whole bursts of
 * tunstack's (one draw per 64 KiB) while the kernel server, offloads off,
 * lost single segments. Neither rule is local to a sender (an OUTPUT drop
 * is reported to the kernel's own TCP, which retries at once).
 */
function setLoss(router: string, client: string, percent: number): void {
  sh(['ip', 'netns', 'exec', router, 'iptables', '-F', 'FORWARD']);
  sh(['ip', 'netns', 'exec', client, 'iptables', '-t', 'raw', '-F', 'PREROUTING']);
  if (percent === 0) return;
  const rule = ['-m', 'statistic', '--mode', 'random', '--probability', String(percent / 100), '-j', 'DROP'];
  sh(['ip', 'netns', 'exec', router, 'iptables', '-A', 'FORWARD', '-i', 'vc', ...rule]);
  sh(['ip', 'netns', 'exec', client, 'iptables', '-t', 'raw', '-A', 'PREROUTING', '-i', 'veth0', ...rule]);
}

/** tunstack's servers on the same ports as the kernel's. */
function startStackServers(stack: Stack): void {
  const chunk = Buffer.alloc(1 << 20, 0x61);
  stack
    .createServer((s) => {
      let left = cfg.mib;
      s.on('error', () => {});
      const pump = (): void => {
        while (left > 0) {
          left--;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
      s.on('data', () => {});
    })
    .listen(19);
  stack
    .createServer((s) => {
      s.on('data', () => {});
      s.on('end', () => s.end());
      s.on('error', () => {});
    })
    .listen(9);
}

function stats(xs: number[]): { med: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { med: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

/**
 * client ns (10.80.0.2) — veth — router ns — veth — kernel ns (10.81.0.2)
 *                                     └─ tun0 — tunstack (10.82.0.2)
 * The loss rules: setLoss.
 */
async function main(): Promise<void> {
  const client = netns(`${tag}c`);
  const router = netns(`${tag}r`);
  const server = netns(`${tag}k`);
  const veth = (a: string, aDev: string, aAddr: string, b: string, bDev: string, bAddr: string): void => {
    sh(['ip', 'link', 'add', aDev, 'netns', a, 'type', 'veth', 'peer', 'name', bDev, 'netns', b]);
    for (const [ns, dev, addr] of [[a, aDev, aAddr], [b, bDev, bAddr]]) {
      sh(['ip', '-n', ns, 'addr', 'add', addr, 'dev', dev]);
      sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
      sh(['ip', 'netns', 'exec', ns, 'ethtool', '-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off']);
    }
  };
  veth(client, 'veth0', '10.80.0.2/24', router, 'vc', '10.80.0.1/24');
  veth(server, 'veth0', '10.81.0.2/24', router, 'vk', '10.81.0.1/24');
  sh(['ip', '-n', client, 'route', 'add', 'default', 'via', '10.80.0.1']);
  sh(['ip', '-n', server, 'route', 'add', 'default', 'via', '10.81.0.1']);
  sh(['ip', 'netns', 'exec', router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  const k = spawn('ip', ['netns', 'exec', server, process.execPath, '-e', SERVERS('10.81.0.2')], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(k);
  await new Promise((r) => k.stdout!.once('data', r));
  const link = TunLink.open({ name: 'tun0', netns: router, mtu: 1500, addr: '10.82.0.1', prefixLen: 24, up: true });
  // The cwnd chart: the trace of tunstack's first download at the second loss rate.
  const trace: TraceRecord[] = [];
  let tracing = false;
  const tcpTrace = (r: TraceRecord): void => void (tracing && trace.push(r));
  const stack = new Stack({ link, addr: '10.82.0.2', tcp: { congestionControl: cfg.cc }, tcpTrace });
  if (cfg.pcap) {
    for (const [dev, name] of [['vk', 'kernel'], ['tun0', 'tunstack']]) {
      const d = spawn('ip', ['netns', 'exec', router, 'tcpdump', '-i', dev, '-s', '120', '-U', '-w', `${cfg.pcap}-${name}.pcap`, 'tcp'], { stdio: 'ignore' });
      children.push(d);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  const chartLoss = cfg.losses[Math.min(1, cfg.losses.length - 1)];
  startStackServers(stack);
  const mbps = (s: number): number => (cfg.mib * 8 * 1048576) / s / 1e6;
  const rows: string[] = [];
  try {
    for (const loss of cfg.losses) {
      setLoss(router, client, loss);
      for (const dir of ['down', 'up'] as const) {
        const kern: number[] = [];
        const ours: number[] = [];
        const peer: Record<string, number> = {};
        const peerK: Record<string, number> = {};
        const serverK: Record<string, number> = {};
        for (let r = 0; r < cfg.rounds; r++) {
          const beforeK = kernelCounters(client);
          const beforeS = kernelCounters(server);
          kern.push(mbps(await runIn(client, clientScript('10.81.0.2', dir))));
          const afterK = kernelCounters(client);
          const afterS = kernelCounters(server);
          for (const k of Object.keys(afterK)) peerK[k] = (peerK[k] ?? 0) + afterK[k] - (beforeK[k] ?? 0);
          for (const k of Object.keys(afterS)) serverK[k] = (serverK[k] ?? 0) + afterS[k] - (beforeS[k] ?? 0);
          tracing = loss === chartLoss && dir === 'down' && r === 0;
          const before = kernelCounters(client);
          ours.push(mbps(await runIn(client, clientScript('10.82.0.2', dir))));
          const after = kernelCounters(client);
          for (const k of Object.keys(after)) peer[k] = (peer[k] ?? 0) + after[k] - (before[k] ?? 0);
          tracing = false;
        }
        const a = stats(kern);
        const b = stats(ours);
        const f = (x: { med: number; min: number; max: number }): string =>
          `${x.med.toFixed(0).padStart(5)} (${x.min.toFixed(0)}–${x.max.toFixed(0)})`.padEnd(20);
        const row = `${String(loss).padStart(4)}%  ${dir.padEnd(4)}  ${f(a)}  ${f(b)}  ${(b.med / a.med).toFixed(2)}`;
        const st = stack.tcp.stats;
        const keys = ['RetransSegs', 'TCPTimeouts', 'TCPLossProbes', 'TCPSackRecovery', 'TCPLostRetransmit', 'TCPFullUndo', 'TCPLossUndo'];
        console.log(row, '|', keys.map((k) => `${k}=${st[k] ?? 0}`).join(' '));
        // The kernel server's side of the same transfers, for like-with-like counters.
        console.log('      kernel server               |', keys.map((k) => `${k}=${serverK[k] ?? 0}`).join(' '));
        // The kernel client's side of the tunstack transfers (its sends when uploading).
        const peerKeys = ['RetransSegs', 'TCPTimeouts', 'TCPLossProbes', 'TCPSackRecovery', 'TCPDSACKRecv', 'TCPSpuriousRTOs', 'TCPDSACKOldSent', 'TCPDSACKOfoSent', 'DelayedACKs', 'TCPOFOQueue'];
        console.log('      kernel client with tunstack |', peerKeys.map((k) => `${k}=${peer[k] ?? 0}`).join(' '));
        console.log('      kernel client with kernel   |', peerKeys.map((k) => `${k}=${peerK[k] ?? 0}`).join(' '));
        for (const key of keys) st[key] = 0;
        rows.push(row);
      }
    }
  } finally {
    await stack.close();
  }
  if (trace.length > 0) {
    const conn = trace.find((r) => r.conn.includes(':19>'))?.conn ?? trace[0].conn;
    writeFileSync(cfg.chart, renderChart(trace, conn));
    if (cfg.trace) writeFileSync(cfg.trace, trace.filter((r) => r.conn === conn).map((r) => JSON.stringify(r)).join('\n') + '\n');
    console.log(`\ncwnd chart of tunstack's first download at ${chartLoss}% loss: ${cfg.chart}`);
  }
  console.log(`\n${cfg.mib} MiB per transfer, ${cfg.rounds} rounds, ${cfg.cc} on both sides; Mbit/s median (min–max)`);
  console.log(`loss   dir   kernel TCP            tunstack              ratio`);
  for (const r of rows) console.log(r);
}

try {
  await main();
} finally {
  for (const c of children) if (c.pid) c.kill();
  for (const n of made.reverse()) spawnSync('ip', ['netns', 'del', n]);
}
