/**
 * Memory per connection and connection rate (figures, not a test). Run with
 * `npm run bench:scale -- [--n N] [--real N,N...] [--cps ROUNDS]
 * [--requests N] [--concurrency C]` (node --expose-gc):
 *
 *  1. TCP layer alone, in virtual time, no device: N passively opened idle
 *     connections (raw handshakes injected, Connection objects, no Duplex
 *     sockets), after a warm-up: heap bytes per connection; then the same N
 *     closed by us into TIME_WAIT: heap bytes per TIME_WAIT record and
 *     records per MB.
 *  2. With root, the real TUN part (bench/scale-real.ts): idle connections
 *     from kernel clients in a namespace (several client processes and
 *     source addresses, RLIMIT_NOFILE raised inside the namespace) to a
 *     stack.createServer() that keeps its Duplex sockets, checkpoints
 *     `--real` (default 10000,100000): heap and RSS per connection, then
 *     every connection served once.
 *  3. With root, new HTTP connections per second with Connection: close
 *     (bench/conn-rate.ts): tunstack's HTTP service vs node:http on kernel
 *     TCP, `--cps` alternating rounds (default 3; 0 skips).
 */
import { Stack } from '../src/stack.js';
import { realTun } from './scale-real.js';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
/** Checkpoints of the real TUN part, e.g. `--real 10000,100000`; `--real 0` skips it. */
const REAL = (() => {
  const i = process.argv.indexOf('--real');
  const list = (i >= 0 ? process.argv[i + 1] : '10000,100000').split(',').map(Number);
  if (list.some((x) => !Number.isInteger(x) || x < 0)) {
    console.error(`--real takes connection counts separated by commas (e.g. 10000,100000), not ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return list.filter((x) => x > 0);
})();
/** Rounds of the connection-rate part (bench/conn-rate.ts); 0 skips it. */
const CPS_ROUNDS = arg('--cps', 3);

function heap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:scale does)');
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

const US = 0x0a4e0002;
const PEER_BASE = 0x0a4f0000;
const WARM_BASE = 0x0a500000;

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
  const peerOf = (base: number, i: number) => ({ src: base + (i >>> 14), sport: 10000 + (i & 0x3fff) });
  const open = (base: number, count: number): void => {
    for (let i = 0; i < count; i++) {
      const { src, sport } = peerOf(base, i);
      link.inject(seg(src, sport, 1000, 0, TCP_SYN));
      const sa = parseTcpSegment(link.take()[0].subarray(20), US, src) as TcpRepr;
      link.inject(seg(src, sport, 1001, sa.seq + 1, TCP_ACK));
    }
    // Idle for 2 s: the handshake's wake-ups (SYN-ACK retransmission, delayed ACK) fall due and leave the timer queue.
    clock.advance(2000);
    link.take();
  };
  // Close every connection from our side; each peer ACKs our FIN with its own FIN: we hold TIME_WAIT.
  const closeAll = (base: number): void => {
    for (let i = 0; i < conns.length; i++) {
      const { src, sport } = peerOf(base, i);
      conns[i].close();
      const fin = link.take().map((p) => parseTcpSegment(p.subarray(20), US, src) as TcpRepr).find((s) => s.flags & TCP_FIN)!;
      link.inject(seg(src, sport, 1001, fin.seq + 1, TCP_ACK | TCP_FIN));
      link.take();
    }
    conns.length = 0;
    // Let cancelled wake-ups of the closed connections fall due (lazy cancellation), within 2·MSL.
    clock.advance(10_000);
  };
  // Warm-up with other peers, through TIME_WAIT's expiry: the code V8 compiles for these paths
  // lives in the heap too and is not a per-connection cost.
  open(WARM_BASE, 1000);
  closeAll(WARM_BASE);
  clock.advance(5 * 60_000);
  conns.length = n;
  conns.length = 0;
  const base = heap();
  open(PEER_BASE, n);
  const live = stack.tcp.connectionCount;
  const perConn = (heap() - base) / n;
  closeAll(PEER_BASE);
  const perTw = (heap() - base) / n;
  console.log(`TCP layer alone, ${n} idle established connections: ${perConn.toFixed(0)} B heap per connection (${live} live)`);
  console.log(`TIME_WAIT, ${stack.tcp.timeWaitCount} records: ${perTw.toFixed(0)} B heap per record, ${Math.floor((1 << 20) / perTw)} records per MB`);
  void stack.close();
}

layerAlone(N);
if (REAL.length > 0) await realTun(REAL, (l) => console.log(l));
if (CPS_ROUNDS > 0) {
  // In a process of its own: this one's heap, grown by the parts above, would slow its collections.
  const script = join(dirname(fileURLToPath(import.meta.url)), 'conn-rate.js');
  const extra = ['--requests', '--concurrency'].flatMap((f) => (process.argv.includes(f) ? [f, String(arg(f, 0))] : []));
  const r = spawnSync(process.execPath, [script, '--rounds', String(CPS_ROUNDS), ...extra], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}
