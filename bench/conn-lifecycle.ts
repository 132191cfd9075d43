/**
 * The CPU cost of one whole short connection in tunstack, in virtual time
 * and without a device (figures, not a test): SYN → SYN-ACK → ACK + an
 * HTTP/1.0 request → node:http's response and our FIN (Connection: close)
 * → the peer's FIN → our last ACK → TIME_WAIT, and TIME_WAIT's expiry as the
 * virtual clock moves on. The server is node:http fed our Duplex sockets
 * (`stack.createServer`, as the HTTP service does), the peer is raw segments
 * injected into the stack, `--concurrency` connections in flight at a time.
 * What it prints is the stack's process CPU per connection with no kernel
 * in it (the TUN writes and the kernel peer of bench/conn-rate.ts are left
 * out), so the share of the socket layer, TCP and node:http can be profiled:
 *
 *   npm run bench:conn-lifecycle -- [--connections N] [--concurrency C] [--rounds R]
 *   node --cpu-prof dist/bench/conn-lifecycle.js ...   (a profile of the same)
 */
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { Stack } from '../src/stack.js';
import { VirtualClock } from '../src/time/virtual-clock.js';
import { SeededRng } from '../src/util/random.js';
import { InjectLink } from '../src/fuzz/inject-link.js';
import { tcpPacket } from '../src/fuzz/packets.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN, parseTcpSegment, type TcpRepr } from '../src/wire/tcp.js';

const US = 0x0a510002;
const PEER_BASE = 0x0a520000;
const PORT = 80;
const REQUEST = Buffer.from('GET / HTTP/1.0\r\nHost: 10.81.0.2\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n');
const NO_PAYLOAD = Buffer.alloc(0);
/** Virtual time per batch of connections: TIME_WAIT records (2·MSL = 60 s) expire during a run, as on a busy server. */
const MS_PER_BATCH = 200;

export interface LifecycleOptions {
  connections: number;
  concurrency: number;
  rounds: number;
}

export interface LifecycleResult {
  /** CPU (user + system) of this process per connection, µs, per round. */
  cpuUs: number[];
  /** Segments per connection, in and out. */
  segsIn: number;
  segsOut: number;
  timeWait: number;
  live: number;
}

interface Peer {
  src: number;
  sport: number;
  /** Our ISN + 1 once the SYN-ACK is seen; our FIN's sequence number + 1 once it is seen. */
  ourNext: number;
  finSeen: boolean;
}

function seg(p: Peer, seq: number, ack: number, flags: number, payload: Buffer = NO_PAYLOAD): Buffer {
  const options = flags & TCP_SYN ? { mss: 1460, wscale: 10, sackPermitted: true, timestamp: { val: 1, ecr: 0 } } : { timestamp: { val: 2, ecr: 1 } };
  const r: TcpRepr = { srcPort: p.sport, dstPort: PORT, seq, ack, flags, window: 502, urgent: 0, options, payload };
  return tcpPacket(r, p.src, US);
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

export async function lifecycle(o: LifecycleOptions): Promise<LifecycleResult> {
  const link = new InjectLink(1500);
  const clock = new VirtualClock(0);
  const stack = new Stack({ link, addr: US, clock, rng: new SeededRng(1) });
  const server = http.createServer((_req, res) => res.end('hello\n'));
  // As the HTTP service (src/apps/http.ts): allowHalfOpen, as net.Server gives http.Server, and noDelay.
  const tcpServer = stack.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => server.emit('connection', socket));
  tcpServer.listen(PORT);
  let next = 0;
  let segsIn = 0;
  let segsOut = 0;
  const take = (): TcpRepr[] => {
    const out = link.take();
    segsOut += out.length;
    return out.map((pkt) => parseTcpSegment(pkt.subarray(20), US, pkt.readUInt32BE(16)) as TcpRepr);
  };
  const inject = (pkts: Buffer[]): void => {
    segsIn += pkts.length;
    link.inject(...pkts);
  };
  const batch = async (n: number): Promise<void> => {
    const mine: Peer[] = [];
    // By port: a batch (at most 64 512 connections) never repeats one.
    const bySport = new Map<number, Peer>();
    for (let i = 0; i < n; i++, next++) {
      // A fresh tuple for every connection (64 512 ports per source address).
      const p = { src: PEER_BASE + Math.floor(next / 64512), sport: 1024 + (next % 64512), ourNext: 0, finSeen: false };
      bySport.set(p.sport, p);
      mine.push(p);
    }
    inject(mine.map((p) => seg(p, 1000, 0, TCP_SYN)));
    const peerOf = (s: TcpRepr): Peer | undefined => bySport.get(s.dstPort);
    for (const s of take()) if (s.flags & TCP_SYN) peerOf(s)!.ourNext = (s.seq + 1) >>> 0;
    // The handshake's ACK and the request, as ab sends them (two segments, one batch).
    inject(mine.flatMap((p) => [seg(p, 1001, p.ourNext, TCP_ACK), seg(p, 1001, p.ourNext, TCP_ACK | TCP_PSH, REQUEST)]));
    let finished = 0;
    for (let spins = 0; finished < n; spins++) {
      if (spins > 1000) throw new Error(`only ${finished} of ${n} responses ended with FIN`);
      await turn();
      clock.runDue();
      const fins: Buffer[] = [];
      for (const s of take()) {
        if (!(s.flags & TCP_FIN)) continue;
        const p = peerOf(s)!;
        if (p.finSeen) continue;
        p.finSeen = true;
        finished++;
        const ourEnd = (s.seq + s.payload.length + 1) >>> 0;
        // ab's ACK of the response and FIN, as one segment.
        fins.push(seg(p, 1001 + REQUEST.length, ourEnd, TCP_ACK | TCP_FIN));
      }
      if (fins.length > 0) inject(fins);
    }
    await turn();
    take();
    clock.advance(MS_PER_BATCH);
  };
  const run = async (connections: number): Promise<number> => {
    const t0 = process.cpuUsage();
    for (let done = 0; done < connections; done += o.concurrency) await batch(Math.min(o.concurrency, connections - done));
    const t = process.cpuUsage(t0);
    return (t.user + t.system) / connections;
  };
  // Warm-up: compilation and heap growth are not per-connection costs.
  await run(Math.min(o.connections, 2000));
  segsIn = 0;
  segsOut = 0;
  const cpuUs: number[] = [];
  for (let r = 0; r < o.rounds; r++) cpuUs.push(await run(o.connections));
  const result = {
    cpuUs,
    segsIn: segsIn / (o.connections * o.rounds),
    segsOut: segsOut / (o.connections * o.rounds),
    timeWait: stack.tcp.timeWaitCount,
    live: stack.tcp.connectionCount,
  };
  tcpServer.close();
  server.close();
  await stack.close();
  return result;
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) {
    console.error(`${name} takes a positive integer, not ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return v;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const o = { connections: arg('--connections', 20_000), concurrency: Math.min(64512, arg('--concurrency', 32)), rounds: arg('--rounds', 3) };
  const r = await lifecycle(o);
  console.log(`Connection lifetime in virtual time (node:http over TcpSocket, ${o.connections} connections x ${o.rounds} rounds, ${o.concurrency} in flight):`);
  console.log(`  CPU per connection: ${r.cpuUs.map((x) => x.toFixed(1)).join(', ')} µs`);
  console.log(`  segments per connection: in ${r.segsIn.toFixed(2)}, out ${r.segsOut.toFixed(2)}; left: ${r.live} live, ${r.timeWait} in TIME_WAIT`);
}
