/**
 * IPv4 reassembly (RFC 791 §3.2, RFC 815): a datagram cut into fragments that
 * overlap, repeat, arrive shuffled and sometimes carry conflicting bytes
 * (teardrop), interleaved with other datagrams. Invariants: memory never
 * exceeds the budget; a completed datagram equals the original wherever the
 * fragments agreed and always carries a valid header; complete coverage
 * always completes; every timeout releases everything.
 */
import fc from 'fast-check';
import { makeIpCounters } from '../ip/counters.js';
import { Reassembler } from '../ip/reassembly.js';
import { VirtualClock } from '../time/virtual-clock.js';
import { Ipv4Packet } from '../wire/ipv4.js';
import { check, type FuzzTarget } from './harness.js';
import { ipFragment } from './packets.js';

const SRC = 0x0a4d0001;
const DST = 0x0a4d0002;

interface Frag {
  start: number;
  end: number;
  corrupt: boolean;
}

const input = fc
  .record({
    units: fc.integer({ min: 1, max: 400 }), // datagram length in 8-byte units
    tail: fc.integer({ min: 0, max: 7 }),
    cuts: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { minLength: 1, maxLength: 24 }),
    cover: fc.boolean(),
    budget: fc.constantFrom(2048, 16 * 1024, 4 * 1024 * 1024),
    noise: fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.nat(8191), fc.integer({ min: 8, max: 1480 })), { maxLength: 20 }),
  })
  .map((r) => {
    const len = r.units * 8 + r.tail;
    const frags: Frag[] = r.cuts.map(([a, b, corrupt]) => {
      const s = (a % r.units) * 8;
      const e = Math.min(len, s + (1 + (b % 64)) * 8);
      return { start: s, end: e === len ? len : e, corrupt: corrupt && a % 5 === 0 };
    });
    // Optionally add a clean tiling so the datagram can complete.
    if (r.cover) for (let s = 0; s < len; s += 1480) frags.push({ start: s, end: Math.min(len, s + 1480), corrupt: false });
    return { len, frags, budget: r.budget, noise: r.noise };
  });

export const reassemblyTarget: FuzzTarget = {
  name: 'reassembly',
  about: 'IPv4 reassembly: overlapping, duplicate, conflicting and flooding fragments; memory bound, exact result, timeouts release all',
  property: () =>
    fc.property(input, fc.nat(), ({ len, frags, budget, noise }, shuffleSeed) => {
      const clock = new VirtualClock(0);
      const counters = makeIpCounters();
      const r = new Reassembler({ clock, timeoutMs: 30_000, maxBytes: budget, counters, onTimeout: () => {} });
      const original = Buffer.alloc(len);
      for (let i = 0; i < len; i++) original[i] = (i * 7 + 3) & 255;
      // Deterministic shuffle from the generated seed.
      const order = frags.map((f, i) => ({ f, k: (i * 2654435761 + shuffleSeed) >>> 0 })).sort((a, b) => a.k - b.k);
      const got = new Set<number>();
      const outputs: Buffer[] = [];
      let n = 0;
      for (const { f } of order) {
        const data = Buffer.from(original.subarray(f.start, f.end));
        if (f.corrupt) data.fill(0xee);
        const more = f.end < len;
        const out = r.insert(Ipv4Packet.parse(ipFragment(SRC, DST, 17, 42, f.start, more, data)) as Ipv4Packet);
        if (out) outputs.push(out);
        // Noise from many sources: a flood that must not push memory past the budget.
        if (n < noise.length) {
          const [src, unit, nlen] = noise[n++];
          r.insert(Ipv4Packet.parse(ipFragment(0x0b000000 + src, DST, 17, unit, unit * 8, true, Buffer.alloc(nlen & ~7 || 8))) as Ipv4Packet);
        }
        check(r.bytes <= budget, 'reassembly memory over budget', { bytes: r.bytes, budget });
        check(r.bytes >= 0, 'negative memory accounting', r.bytes);
        for (let u = f.start; u < f.end; u++) got.add(u);
      }
      for (const out of outputs) {
        const p = Ipv4Packet.parse(out);
        check(typeof p !== 'string', 'reassembled datagram has a bad header', p);
        const v = p as Ipv4Packet;
        check(!v.isFragment && v.payload.length === len, 'reassembled length or flags wrong', { len, got: v.payload.length });
        // Every byte is either the original or a conflicting copy that arrived first.
        for (let i = 0; i < len; i++) check(v.payload[i] === original[i] || v.payload[i] === 0xee, 'reassembled byte from nowhere', i);
      }
      const allCorruptFree = frags.every((f) => !f.corrupt);
      if (allCorruptFree && budget >= 4 * 1024 * 1024 && got.size === len && noise.length === 0) {
        check(outputs.length >= 1, 'fully covered datagram did not complete', { len, frags });
        check(outputs[0].subarray(20).equals(original), 'clean reassembly differs from the original');
      }
      clock.advance(30_001);
      check(r.bytes === 0 && r.size === 0, 'timeouts left memory held', { bytes: r.bytes, size: r.size });
    }),
};
