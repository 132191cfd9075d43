/**
 * JavaScript cost per TCP segment, both ends: two Stacks over the in-memory
 * link in virtual time move a bounded bulk transfer through the TCP API (no
 * device, no syscalls, no socket streams), so the wall time measured is the
 * stack's own JS — IPv4 + TCP output with checksums on one side, input,
 * validation, reassembly and ACKs on the other. The budget in the project's
 * goals is well under 1 µs per packet; this shows where we are.
 *
 * Phases are timed at the link boundary: "receive" is the receiver's batch
 * handler (IPv4 + TCP input of data segments, delivery to the reader, and the
 * ACKs it owes at the end of the batch), "ACK" the sender's batch handler
 * (ACK input and the data it releases), "send" the application's send()
 * calls (queueing and the segments sent at once).
 *
 * `--gso` runs the link in GSO 'super' mode: TCP sends super-packets with
 * partial checksums and the receiver takes them whole, as over a TUN with
 * offloads; "data segments" are then counted in MSS units (bytes / MSS).
 *
 * Run: `npm run bench:tcp [-- --gso] [-- MiB seed]`.
 */
import { Stack } from '../src/stack.js';
import { createMemoryLinkPair } from '../src/link/memory.js';
import { VirtualClock } from '../src/time/virtual-clock.js';
import { SeededRng } from '../src/util/random.js';
import type { ConnectionHandler, TcpConnection } from '../src/tcp/api.js';
import { ipv4 } from '../src/wire/ip-address.js';
import type { Link } from '../src/link/link.js';

const args = process.argv.slice(2);
const GSO = args.includes('--gso');
const positional = args.filter((a) => !a.startsWith('--'));
const MIB = Number(positional[0] ?? 128);
const seed = Number(positional[1] ?? 1);
const total = MIB * 1024 * 1024;

const clock = new VirtualClock(0);
const [rawA, rawB] = createMemoryLinkPair({
  clock,
  rng: new SeededRng(seed),
  faults: { delayMs: 0.05 },
  gso: GSO ? { deliver: 'super' } : undefined,
});
const phase = { receive: 0n, ack: 0n, send: 0n };
/** The same link, with its receive handler timed into `phase[key]`. */
function timed(link: Link, key: 'receive' | 'ack'): Link {
  return {
    get mtu() {
      return link.mtu;
    },
    caps: link.caps,
    send: (p, g, c) => link.send(p, g, c),
    allocTx: link.allocTx ? (n) => link.allocTx!(n) : undefined,
    onReceive: (h) =>
      link.onReceive((packets, meta) => {
        const t = process.hrtime.bigint();
        h(packets, meta);
        phase[key] += process.hrtime.bigint() - t;
      }),
    close: () => link.close(),
  };
}
const la = timed(rawA, 'ack');
const lb = timed(rawB, 'receive');
const tcp = { rcvBuf: 4 << 20, sndBuf: 4 << 20 };
const a = new Stack({ link: la, addr: '10.0.0.1', clock, rng: new SeededRng(seed + 1), tcp });
const b = new Stack({ link: lb, addr: '10.0.0.2', clock, rng: new SeededRng(seed + 2), tcp });

let received = 0;
class Reader implements ConnectionHandler {
  conn?: TcpConnection;
  onConnect(): void {}
  onReadable(): void {
    for (let c = this.conn?.read(); c; c = this.conn?.read()) received += c.length;
  }
  onWritable(): void {}
  onError(code: string): void {
    throw new Error(`receiver error ${code}`);
  }
  onClose(): void {}
}
const listener = b.tcp.listen(9, 8, () => {
  const c = listener.accept();
  if (!c) return;
  const r = new Reader();
  r.conn = c;
  c.handler = r;
  r.onReadable();
});

// 1 MiB writes: what the socket layer hands TCP once WriteArena has packed small writes.
const chunk = Buffer.alloc(1 << 20, 0x61);
let sent = 0;
const writer: ConnectionHandler = {
  onConnect: () => pump(),
  onReadable: () => {},
  onWritable: () => pump(),
  onError: (code) => {
    throw new Error(`sender error ${code}`);
  },
  onClose: () => {},
};
const conn = a.tcp.connect(ipv4('10.0.0.2'), 9, writer);
function pump(): void {
  const t = process.hrtime.bigint();
  while (sent < total) {
    const n = conn.send(chunk.subarray(0, Math.min(chunk.length, total - sent)));
    if (n === 0) break;
    sent += n;
  }
  phase.send += process.hrtime.bigint() - t;
}

const segsBefore = b.tcp.stats.InSegs + a.tcp.stats.InSegs;
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
while (received < total) {
  const next = clock.nextAt();
  if (next === undefined) throw new Error(`stalled at ${received} of ${total} bytes`);
  clock.runUntil(next);
}
const wallNs = Number(process.hrtime.bigint() - t0);
// CPU time, not wall time: on a shared machine the wall clock also counts the
// time other processes held the core. Phases are measured in wall time and
// scaled to their share of it.
const cpu = process.cpuUsage(cpu0);
const ns = (cpu.user + cpu.system) * 1000;
const mss = conn.info().mss;
// In MSS units: with --gso one received super-packet stands for many segments.
const dataSegs = GSO ? Math.ceil(total / mss) : b.tcp.stats.InSegs;
const allSegs = b.tcp.stats.InSegs + a.tcp.stats.InSegs - segsBefore;
console.log(`bulk transfer ${MIB} MiB in virtual time (seed ${seed}), MSS ${mss}${GSO ? ', GSO super-packets' : ''}`);
console.log(`  data segments received : ${dataSegs}${GSO ? ` (MSS units; ${rawA.counters.delivered} packets)` : ''}`);
console.log(`  ACK segments received  : ${a.tcp.stats.InSegs}`);
console.log(`  CPU time               : ${(ns / 1e6).toFixed(0)} ms (wall ${(wallNs / 1e6).toFixed(0)} ms)`);
console.log(`  JS per data segment    : ${(ns / dataSegs / 1000).toFixed(2)} µs (both ends, incl. ACKs)`);
console.log(`  JS per segment (any)   : ${(ns / allSegs / 1000).toFixed(2)} µs`);
const phaseWall = Number(phase.receive + phase.ack + phase.send);
const perSeg = (x: bigint): string => ((Number(x) / phaseWall) * ns / dataSegs / 1000).toFixed(2);
console.log(`  phase receive          : ${perSeg(phase.receive)} µs per data segment (receiver: input, delivery, ACKs owed)`);
console.log(`  phase ACK              : ${perSeg(phase.ack)} µs per data segment (sender: ACK input, released data)`);
console.log(`  phase send             : ${perSeg(phase.send)} µs per data segment (application send())`);
console.log(`  single-core ceiling    : ${((total * 8) / ns).toFixed(2)} Gbit/s`);
