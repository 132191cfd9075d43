/**
 * Memory per connection (figures, not a test). Run with `npm run bench:scale
 * -- [--n N] [--real N]` (node --expose-gc):
 *
 *  1. TCP layer alone, in virtual time, no device: N passively opened idle
 *     connections (raw handshakes injected, Connection objects, no Duplex
 *     sockets): heap bytes per connection; then the same N closed by us into
 *     TIME_WAIT: heap bytes per TIME_WAIT record and records per MB.
 *  2. With root: the stack on a TUN in a namespace this script creates (and
 *     removes), `--real N` idle connections from kernel clients (several
 *     client processes, RLIMIT_NOFILE raised with `ulimit -n` inside the
 *     namespace) to a stack.createServer() that keeps its Duplex sockets:
 *     heap and RSS per connection, and connections opened per second.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Stack } from '../src/stack.js';
import { TunLink } from '../src/link/tun.js';
import { VirtualClock } from '../src/time/virtual-clock.js';
import { SeededRng } from '../src/util/random.js';
import { InjectLink } from '../src/fuzz/inject-link.js';
import { tcpPacket } from '../src/fuzz/packets.js';
import { TCP_ACK, TCP_FIN, TCP_SYN, parseTcpSegment, type TcpRepr } from '../src/wire/tcp.js';
import type { TcpConnection } from '../src/tcp/api.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const N = arg('--n', 10_000);
const REAL = arg('--real', 10_000);

function heap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:scale does)');
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

const US = 0x0a4e0002;
const PEER_BASE = 0x0a4f0000;

function layerAlone(n: number): void {
  const link = new InjectLink(1500);
  const clock = new VirtualClock(0);
  const stack = new Stack({ link, addr: US, clock, rng: new SeededRng(1), tcp: { maxSynBacklog: n + 1 } });
  const conns: TcpConnection[] = [];
  // One handler for all: what is measured is TCP, not the application's callbacks.
  const handler = { onConnect() {}, onReadable() {}, onWritable() {}, onError() {}, onClose() {} };
  const l = stack.tcp.listen(7, n + 1, () => {
    for (let c = l.accept(); c; c = l.accept()) {
      c.handler = handler;
      conns.push(c);
    }
  });
  const seg = (src: number, sport: number, seq: number, ack: number, flags: number): Buffer => {
    const r: TcpRepr = { srcPort: sport, dstPort: 7, seq, ack, flags, window: 502, urgent: 0, options: flags & TCP_SYN ? { mss: 1460, wscale: 7, sackPermitted: true, timestamp: { val: 1, ecr: 0 } } : { timestamp: { val: 2, ecr: 0 } }, payload: Buffer.alloc(0) };
    return tcpPacket(r, src, US);
  };
  // Peer bookkeeping allocated before the baseline, so it is not counted.
  const peerAck = new Float64Array(n);
  const peerOf = (i: number) => ({ src: PEER_BASE + (i >>> 14), sport: 10000 + (i & 0x3fff) });
  conns.length = n;
  conns.length = 0;
  const base = heap();
  for (let i = 0; i < n; i++) {
    const { src, sport } = peerOf(i);
    link.inject(seg(src, sport, 1000, 0, TCP_SYN));
    const sa = parseTcpSegment(link.take()[0].subarray(20), US, src) as TcpRepr;
    link.inject(seg(src, sport, 1001, sa.seq + 1, TCP_ACK));
    peerAck[i] = sa.seq + 1;
  }
  // Idle for 2 s: the handshake's wake-ups (SYN-ACK retransmission, delayed ACK) fall due and leave the timer queue.
  clock.advance(2000);
  link.take();
  const live = stack.tcp.connectionCount;
  const established = heap();
  const perConn = (established - base) / n;
  // Close every connection from our side; each peer ACKs our FIN with its own FIN: we hold TIME_WAIT.
  for (let i = 0; i < n; i++) {
    const { src, sport } = peerOf(i);
    conns[i].close();
    const fin = link.take().map((p) => parseTcpSegment(p.subarray(20), US, src) as TcpRepr).find((s) => s.flags & TCP_FIN)!;
    link.inject(seg(src, sport, 1001, fin.seq + 1, TCP_ACK | TCP_FIN));
    link.take();
  }
  conns.length = 0;
  // Let cancelled wake-ups of the closed connections fall due (lazy cancellation), within 2·MSL.
  clock.advance(10_000);
  const tw = heap();
  const perTw = (tw - base) / n;
  console.log(`TCP layer alone, ${n} idle established connections: ${perConn.toFixed(0)} B heap per connection (${live} live)`);
  console.log(`TIME_WAIT, ${stack.tcp.timeWaitCount} records: ${perTw.toFixed(0)} B heap per record, ${Math.floor((1 << 20) / perTw)} records per MB`);
  void stack.close();
}

function sh(args: string[]): void {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
}

/** A kernel client process holding `count` idle connections; prints 'ready <ms>' when all are open. */
function clientScript(host: string, count: number): string {
  return `
    const net = require('net');
    let open = 0, started = 0, inflight = 0; const t0 = Date.now(); const socks = [];
    const more = () => { while (started < ${count} && inflight < 200) { started++; inflight++;
      const s = net.connect(7, '${host}', () => { inflight--; open++; if (open === ${count}) console.log('ready ' + (Date.now() - t0)); else more(); });
      s.on('error', (e) => { console.error(e.message); process.exit(1); }); socks.push(s); } };
    more();
    process.stdin.on('end', () => process.exit(0)); process.stdin.resume();`;
}

async function realTun(n: number): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log(`SKIP real TUN part: not root (needed for a namespace and a TUN device)`);
    return;
  }
  const ns = `tsscale${process.pid}`;
  const host = '10.77.13.1';
  const addr = '10.77.13.2';
  sh(['ip', 'netns', 'add', ns]);
  const clients: ChildProcess[] = [];
  try {
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    const link = TunLink.open({ name: 'tun0', netns: ns, mtu: 1500, addr: host, prefixLen: 24, up: true });
    const stack = new Stack({ link, addr, tcp: { maxSynBacklog: 4096 } });
    const sockets: unknown[] = [];
    const server = stack.createServer((s) => sockets.push(s));
    server.listen({ port: 7, backlog: 4096 });
    const heap0 = heap();
    const rss0 = process.memoryUsage().rss;
    const procs = Math.max(1, Math.ceil(n / 20_000));
    const t0 = Date.now();
    const ready = await Promise.all(
      Array.from({ length: procs }, (_, i) => {
        const count = Math.floor(n / procs) + (i < n % procs ? 1 : 0);
        const p = spawn('ip', ['netns', 'exec', ns, 'sh', '-c', `ulimit -n ${count + 1000} && exec ${process.execPath} -e "$0"`, clientScript(addr, count)], { stdio: ['pipe', 'pipe', 'inherit'] });
        clients.push(p);
        return new Promise<void>((resolve, reject) => {
          createInterface({ input: p.stdout! }).on('line', (l) => l.startsWith('ready') && resolve());
          p.on('exit', (code) => reject(new Error(`client ${i} exited ${code}`)));
        });
      }),
    );
    void ready;
    const openMs = Date.now() - t0;
    while (sockets.length < n) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    const heap1 = heap();
        const rss1 = process.memoryUsage().rss;
    console.log(`real TUN, ${n} idle connections from ${procs} kernel client process(es): opened in ${openMs} ms (${Math.round((n * 1000) / openMs)}/s)`);
    console.log(`  heap ${((heap1 - heap0) / n).toFixed(0)} B per connection (Duplex socket included), RSS ${((rss1 - rss0) / n).toFixed(0)} B per connection`);
    for (const p of clients) p.stdin?.end();
    await new Promise((r) => setTimeout(r, 300));
    await stack.close();
  } finally {
    for (const p of clients) if (p.pid !== undefined && p.exitCode === null) process.kill(p.pid, 'SIGKILL');
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

// The real TUN part first: its baseline must not include the layer part's garbage.
if (REAL > 0) await realTun(REAL);
layerAlone(N);
