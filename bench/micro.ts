/**
 * Micro-benchmarks (tinybench) of per-packet work on the hot path. The budget
 * that matters: well under 1 µs of JavaScript per 1500-byte packet for the
 * 4 Gbit/s target (~330k packets/s). Run: `npm run bench`.
 */
import { Bench } from 'tinybench';
import { checksum, sumBytes, finish } from '../src/wire/checksum.js';
import { Ipv4Packet } from '../src/wire/ipv4.js';

const MTU_PAYLOAD = Buffer.alloc(1460);
for (let i = 0; i < MTU_PAYLOAD.length; i++) MTU_PAYLOAD[i] = (i * 31) & 255;

// An IPv4 header captured from Linux (ping in a scratch namespace, tcpdump -xx).
const IP_HEADER = Buffer.from('45000054f9ad4000400142f97f0000017f000001', 'hex');
const IP_PACKET = Buffer.concat([IP_HEADER, Buffer.alloc(0x54 - 20)]);

// Reference: a byte-pair loop, the naive way (to show why we sum 32-bit words).
function checksum16(buf: Uint8Array, off: number, len: number): number {
  let sum = 0;
  const end = off + len - 1;
  let i = off;
  for (; i < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i === off + len - 1) sum += buf[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const bench = new Bench({ time: 500 });
let sink = 0;
bench
  .add('checksum 1460 B, 32-bit words', () => {
    sink ^= checksum(MTU_PAYLOAD, 0, MTU_PAYLOAD.length);
  })
  .add('checksum 1460 B, 16-bit words (reference)', () => {
    sink ^= checksum16(MTU_PAYLOAD, 0, MTU_PAYLOAD.length);
  })
  .add('checksum 1460 B + pseudo header, incremental', () => {
    sink ^= finish(sumBytes(MTU_PAYLOAD, 0, MTU_PAYLOAD.length, 0x0a4d0001 + 0x0a4d0002 + 6 + 1480));
  })
  .add('IPv4 parse (validate + header checksum)', () => {
    const v = Ipv4Packet.parse(IP_PACKET);
    if (typeof v !== 'string') sink ^= v.ttl;
  });

await bench.run();
console.table(bench.table());
if (sink === 0.5) console.log(sink); // keep results live
