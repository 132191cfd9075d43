/**
 * JavaScript cost per TCP segment, both ends: two Stacks over the in-memory
 * link in virtual time move a bounded bulk transfer through the TCP API (no
 * device, no syscalls, no socket streams), so the wall time measured is the
 * stack's own JS — IPv4 + TCP output with checksums on one side, input,
 * validation, reassembly and ACKs on the other. The budget in the project's
 * goals is well under 1 µs per packet; this shows where we are.
 *
 * Run after `npm run build`: `node dist/bench/tcp-virtual.js [MiB] [seed]`.
 */
import { Stack } from '../src/stack.js';
import { createMemoryLinkPair } from '../src/link/memory.js';
import { VirtualClock } from '../src/time/virtual-clock.js';
import { SeededRng } from '../src/util/random.js';
import type { ConnectionHandler, TcpConnection } from '../src/tcp/api.js';
import { ipv4 } from '../src/wire/ip-address.js';

const MIB = Number(process.argv[2] ?? 128);
const seed = Number(process.argv[3] ?? 1);
const total = MIB * 1024 * 1024;

const clock = new VirtualClock(0);
const [la, lb] = createMemoryLinkPair({ clock, rng: new SeededRng(seed), faults: { delayMs: 0.05 } });
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

const chunk = Buffer.alloc(64 * 1024, 0x61);
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
  while (sent < total) {
    const n = conn.send(chunk.subarray(0, Math.min(chunk.length, total - sent)));
    if (n === 0) return;
    sent += n;
  }
}

const segsBefore = b.tcp.stats.InSegs + a.tcp.stats.InSegs;
const t0 = process.hrtime.bigint();
while (received < total) {
  const next = clock.nextAt();
  if (next === undefined) throw new Error(`stalled at ${received} of ${total} bytes`);
  clock.runUntil(next);
}
const ns = Number(process.hrtime.bigint() - t0);
const dataSegs = b.tcp.stats.InSegs;
const allSegs = b.tcp.stats.InSegs + a.tcp.stats.InSegs - segsBefore;
console.log(`bulk transfer ${MIB} MiB in virtual time (seed ${seed}), MSS ${conn.info().mss}`);
console.log(`  data segments received : ${dataSegs}`);
console.log(`  ACK segments received  : ${a.tcp.stats.InSegs}`);
console.log(`  wall time              : ${(ns / 1e6).toFixed(0)} ms`);
console.log(`  JS per data segment    : ${(ns / dataSegs / 1000).toFixed(2)} µs (both ends, incl. ACKs)`);
console.log(`  JS per segment (any)   : ${(ns / allSegs / 1000).toFixed(2)} µs`);
console.log(`  single-core ceiling    : ${((total * 8) / ns).toFixed(2)} Gbit/s`);
