/**
 * JS cost of the SYN → SYN-ACK path under a flood, in virtual time (no
 * device, no syscalls): the stack's whole receive path (link batch → IPv4 →
 * TCP demux → listener → cookie SYN-ACK → IPv4 output → link queue) for
 * SYNs from random sources, delivered in batches as the TUN link delivers
 * them (Buffer views over one slab). CPU time per SYN, for hping3-style SYNs
 * (no options) and Linux-style SYNs (MSS, SACK, timestamps, window scale).
 *
 * `npm run bench:syn -- [--syns N] [--batch N] [--seed S]`
 */
import { Stack } from '../src/stack.js';
import { VirtualClock } from '../src/time/virtual-clock.js';
import { SeededRng } from '../src/util/random.js';
import type { Link, LinkCapabilities, ReceiveHandler } from '../src/link/link.js';
import { emitIpv4Header } from '../src/wire/ipv4.js';
import { emitTcpSegment, TCP_SYN, type TcpOptionsRepr } from '../src/wire/tcp.js';
import { IPPROTO_TCP } from '../src/ip/types.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const SYNS = arg('--syns', 2_000_000);
const BATCH = arg('--batch', 256);
const SEED = arg('--seed', 1);
const POOL = 1 << 16;
const LOCAL = 0x0a4f0402; // 10.79.4.2

/** A link that counts what is sent and reuses one TX slab, as TunLink does (allocTx, flush). */
class SinkLink implements Link {
  readonly mtu = 1500;
  readonly caps: LinkCapabilities = { mtu: 1500, headroom: 10, rxChecksumVerified: true, txChecksumOffload: true, gsoMaxSize: 65535 };
  sent = 0;
  handler: ReceiveHandler | undefined;
  private slab = Buffer.allocUnsafeSlow(1 << 20);
  private pos = 0;
  send(): void {
    this.sent++;
  }
  onReceive(h: ReceiveHandler): void {
    this.handler = h;
  }
  allocTx(len: number): Buffer {
    if (this.pos + len > this.slab.length) this.pos = 0;
    const b = this.slab.subarray(this.pos, this.pos + len);
    this.pos = (this.pos + len + 7) & ~7;
    return b;
  }
  flush(): void {
    this.pos = 0;
  }
  async close(): Promise<void> {}
}

/** POOL SYNs to port 80 from random sources, packed 8-byte aligned in one slab like the addon's reads. */
function synPool(rng: SeededRng, withOptions: boolean): { slab: ArrayBuffer; offs: Uint32Array; lens: Uint32Array } {
  const options: TcpOptionsRepr = withOptions ? { mss: 1460, sackPermitted: true, timestamp: { val: 1, ecr: 0 }, wscale: 7 } : {};
  const slab = new ArrayBuffer(POOL * 64);
  const buf = Buffer.from(slab);
  const offs = new Uint32Array(POOL);
  const lens = new Uint32Array(POOL);
  let pos = 0;
  for (let i = 0; i < POOL; i++) {
    let src = rng.u32();
    // hping3 --rand-source also hits broadcast/multicast/loopback sources (IP drops them); keep to unicast here.
    if (src >>> 28 >= 0xe || src >>> 24 === 127 || src >>> 24 === 0) src = (src & 0x00ffffff) | 0x0b000000;
    if (options.timestamp) options.timestamp.val = rng.u32();
    const seg = { srcPort: 1024 + (rng.u32() % 60000), dstPort: 80, seq: rng.u32(), ack: 0, flags: TCP_SYN, window: 64240, urgent: 0, options, payload: Buffer.alloc(0) };
    const tcpLen = emitTcpSegment(seg, buf, pos + 20, src >>> 0, LOCAL);
    emitIpv4Header(buf.subarray(pos), src >>> 0, LOCAL, IPPROTO_TCP, 64, i & 0xffff, tcpLen);
    offs[i] = pos;
    lens[i] = 20 + tcpLen;
    pos += (20 + tcpLen + 7) & ~7;
  }
  return { slab, offs, lens };
}

async function run(label: string, withOptions: boolean): Promise<void> {
  const rng = new SeededRng(SEED);
  const clock = new VirtualClock(1_000_000);
  const link = new SinkLink();
  const stack = new Stack({ link, addr: LOCAL, clock, rng });
  const server = stack.createServer(() => {});
  server.listen(80);
  const { slab, offs, lens } = synPool(rng, withOptions);
  const handler = link.handler!;
  const batch: Buffer[] = new Array<Buffer>(BATCH);
  // Each batch stands for BATCH SYNs at 150k/s, so cookie counters, timestamps and SYN-ACK retransmission timers move.
  const msPerBatch = (BATCH / 150_000) * 1000;
  let k = 0;
  const feed = (n: number): void => {
    for (let done = 0; done < n; done += BATCH) {
      for (let i = 0; i < BATCH; i++, k = (k + 1) & (POOL - 1)) batch[i] = Buffer.from(slab, offs[k], lens[k]);
      handler(batch);
      clock.advance(msPerBatch);
    }
  };
  feed(Math.min(SYNS, 200_000)); // warm-up: JIT, and the SYN queue fills so cookies take over
  const sent0 = link.sent;
  const c0 = stack.counters().Tcp;
  const cookies0 = c0.SyncookiesSent;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  feed(SYNS);
  const wallNs = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  const sent = link.sent - sent0;
  const cookies = stack.counters().Tcp.SyncookiesSent - cookies0;
  const cpuNs = (cpu.user + cpu.system) * 1000;
  console.log(
    `  ${label}: ${(cpuNs / SYNS).toFixed(0)} ns CPU per SYN (${(wallNs / SYNS).toFixed(0)} ns wall), ` +
      `${sent} SYN-ACKs for ${SYNS} SYNs (${cookies} with cookies), ${((SYNS / cpuNs) * 1e9 / 1000).toFixed(0)}k SYN/s per core`,
  );
  server.close();
  await stack.close();
}

console.log(`SYN → SYN-ACK in virtual time, ${SYNS} SYNs from random sources in batches of ${BATCH} (seed ${SEED}):`);
await run('hping3-style SYN (no options)        ', false);
await run('Linux-style SYN (MSS, SACK, TS, WS)  ', true);
