/**
 * The whole stack's input path: a stack with listeners, a UDP socket and an
 * established connection (opened by a SYN captured from Linux) is fed a
 * sequence of inputs — captured Linux packets with mutations, segments
 * crafted around the live connection's sequence space (any flags, bad option
 * lengths, seq/ack near and far from the window), fragments, time steps and
 * application reads/writes/closes — with invariants.ts checked after every one.
 */
import fc from 'fast-check';
import { Stack } from '../stack.js';
import { VirtualClock } from '../time/virtual-clock.js';
import { SeededRng } from '../util/random.js';
import type { TcpConnection, TcpOptions } from '../tcp/api.js';
import { parseTcpSegment, TCP_ACK, type TcpRepr } from '../wire/tcp.js';
import { bytes, rawTcpOptionsArea, u16, u32 } from './arbitraries.js';
import { loadHexCorpus } from './corpus.js';
import type { FuzzTarget } from './harness.js';
import { InjectLink } from './inject-link.js';
import { checkSent, checkStack, ipOutcomes, type Bounds } from './invariants.js';
import { fixIpChecksum, fixL4Checksum, ipFragment, readdress, tcpPacket } from './packets.js';

export const US = 0x0a4d0002; // 10.77.0.2, where the TUN captures were sent
export const PEER = 0x0a4d0001;
const BOUNDS: Bounds = { reassemblyMaxBytes: 64 * 1024, maxConnections: 64 };

export interface FuzzStack {
  stack: Stack;
  link: InjectLink;
  clock: VirtualClock;
  accepted: TcpConnection[];
  /** The peer side of the established connection: its port and next sequence number. */
  peerPort: number;
}

function serve(c: TcpConnection): void {
  c.handler = {
    onConnect() {},
    onReadable() {
      for (let d = c.read(); d; d = c.read()) c.send(Buffer.from(d.subarray(0, c.sendSpace)));
      if (c.readEnded) c.close();
    },
    onWritable() {},
    onError() {},
    onClose() {},
  };
}

/** A fresh stack listening on 80 and 7 (TCP) and 7 (UDP), with one connection established from PEER:syn.srcPort. */
export function buildFuzzStack(corpus: Buffer[], onAccept: (c: TcpConnection) => void = serve, tcp: Partial<TcpOptions> = {}): FuzzStack {
  const link = new InjectLink(1500);
  const clock = new VirtualClock(0);
  const stack = new Stack({ link, addr: US, clock, rng: new SeededRng(1), ip: { reassemblyMaxBytes: BOUNDS.reassemblyMaxBytes }, tcp: { maxSynBacklog: 16, ...tcp } });
  const accepted: TcpConnection[] = [];
  for (const port of [80, 7]) {
    const l = stack.tcp.listen(port, 8, () => {
      for (let c = l.accept(); c; c = l.accept()) {
        onAccept(c);
        accepted.push(c);
      }
    });
  }
  const udp = stack.createUdpSocket();
  udp.on('message', () => {});
  udp.bind(7);
  // Linux's SYN to port 80 from the capture, then our own ACK of the SYN-ACK.
  const syn = corpus.find((p) => p[9] === 6 && p.length >= 40 && p[33] === 0x02 && p.readUInt16BE(22) === 80);
  if (!syn) throw new Error('fuzz corpus has no Linux SYN to port 80');
  link.inject(Buffer.from(syn));
  const synRepr = parseTcpSegment(syn.subarray(20), PEER, US) as TcpRepr;
  const synAck = link.take().map((p) => parseTcpSegment(p.subarray(20), US, PEER)).find((s): s is TcpRepr => typeof s !== 'string');
  if (!synAck) throw new Error('fuzz stack did not answer the captured SYN');
  const ts = synRepr.options.timestamp && synAck.options.timestamp ? { val: synRepr.options.timestamp.val + 1, ecr: synAck.options.timestamp.val } : undefined;
  link.inject(tcpPacket({ srcPort: synRepr.srcPort, dstPort: 80, seq: synRepr.seq + 1, ack: synAck.seq + 1, flags: TCP_ACK, window: 502, urgent: 0, options: ts ? { timestamp: ts } : {}, payload: Buffer.alloc(0) }, PEER, US));
  link.take();
  return { stack, link, clock, accepted, peerPort: synRepr.srcPort };
}

type Step =
  | { k: 'mutate'; seed: number; muts: Array<[number, number]>; cut: number; fixIp: boolean; fixL4: boolean }
  | { k: 'segment'; flags: number; seqD: number; ackD: number; payload: Buffer; tsD: number | null; window: number; rawOpts: Buffer | null; port: number | null }
  | { k: 'fragment'; src: number; ident: number; off: number; more: boolean; payload: Buffer; proto: number }
  | { k: 'time'; ms: number }
  | { k: 'app'; what: 'read' | 'write' | 'close' | 'abort'; n: number };

/** Sequence deltas: mostly near the window edges, sometimes across 2^31. */
const seqDelta = fc.oneof(fc.integer({ min: -3000, max: 70000 }), fc.constantFrom(0, 1, -1, 0x7fffffff, -0x80000000, 0x40000000), u32);

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('mutate' as const), seed: fc.nat(), muts: fc.array(fc.tuple(fc.nat(80), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), cut: fc.nat(1600), fixIp: fc.boolean(), fixL4: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('segment' as const), flags: fc.integer({ min: 0, max: 255 }), seqD: seqDelta, ackD: seqDelta, payload: bytes(200), tsD: fc.option(fc.integer({ min: -5, max: 0x7fffffff })), window: u16, rawOpts: fc.option(rawTcpOptionsArea), port: fc.option(fc.constantFrom(80, 7, 9, 1234)) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('fragment' as const), src: fc.constantFrom(PEER, PEER + 1, 0x0a4d0063), ident: fc.integer({ min: 0, max: 3 }), off: fc.oneof(fc.constantFrom(0, 8, 1480, 65528), fc.nat(8191).map((n) => n * 8)), more: fc.boolean(), payload: bytes(1480), proto: fc.constantFrom(1, 6, 17) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('time' as const), ms: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(40, 200, 30_000, 60_000, 120_000)) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('app' as const), what: fc.constantFrom('read' as const, 'write' as const, 'close' as const, 'abort' as const), n: fc.integer({ min: 1, max: 100_000 }) }) },
);

function insertRawOptions(pkt: Buffer, area: Buffer): Buffer {
  const hl = (pkt[32] >>> 4) * 4;
  const out = Buffer.concat([pkt.subarray(0, 20 + 20), area, pkt.subarray(20 + hl)]);
  out[32] = (((20 + area.length) / 4) << 4) | (out[32] & 0x0f);
  out.writeUInt16BE(out.length, 2);
  return fixIpChecksum(fixL4Checksum(out));
}

function materialise(s: Step, f: FuzzStack, corpus: Buffer[]): Buffer[] {
  switch (s.k) {
    case 'mutate': {
      const p = Buffer.from(corpus[s.seed % corpus.length]);
      for (const [pos, val] of s.muts) if (p.length) p[pos % p.length] = val;
      const q = s.cut < p.length ? p.subarray(0, s.cut) : p;
      if (s.fixL4) fixL4Checksum(q);
      if (s.fixIp) fixIpChecksum(q);
      return [q];
    }
    case 'segment': {
      const c = f.stack.connections().find((x) => x.remotePort === f.peerPort && x.state !== 'LISTEN');
      const rcvNxt = c?.rcvNxt ?? 0;
      const sndUna = c?.sndUna ?? 0;
      const seg: TcpRepr = {
        srcPort: f.peerPort,
        dstPort: s.port ?? 80,
        seq: (rcvNxt + s.seqD) >>> 0,
        ack: (sndUna + s.ackD) >>> 0,
        flags: s.flags,
        window: s.window,
        urgent: 0,
        options: s.tsD === null ? {} : { timestamp: { val: (f.clock.now() + 1000 + s.tsD) >>> 0, ecr: 0 } },
        payload: s.payload,
      };
      const pkt = tcpPacket(seg, PEER, US);
      return [s.rawOpts ? insertRawOptions(pkt, s.rawOpts) : pkt];
    }
    case 'fragment':
      return [ipFragment(s.src, US, s.proto, s.ident, s.off, s.more, s.payload)];
    default:
      return [];
  }
}

function act(s: Step, f: FuzzStack): void {
  if (s.k === 'time') f.clock.advance(s.ms);
  if (s.k !== 'app') return;
  for (const c of f.accepted) {
    if (s.what === 'read') for (let d = c.read(); d; d = c.read());
    else if (s.what === 'write') c.send(Buffer.alloc(Math.min(s.n, c.sendSpace), 0x61));
    else if (s.what === 'close') c.close();
    else c.abort();
  }
}

export const stackTarget: FuzzTarget = {
  name: 'stack',
  about: 'whole stack (listeners, UDP, an established connection) fed mutated Linux captures, crafted segments and fragments; invariants after every input',
  property: () => {
    const corpus = loadHexCorpus('stack').map((p) => (p.readUInt32BE(16) === US ? p : readdress(p, PEER, US)));
    return fc.property(fc.array(step, { minLength: 1, maxLength: 24 }), (steps) => {
      const f = buildFuzzStack(corpus);
      for (const s of steps) {
        const before = ipOutcomes(f.stack);
        const pkts = materialise(s, f, corpus);
        if (pkts.length) f.link.inject(...pkts);
        else act(s, f);
        checkSent(f.link.take(), f.link.mtu);
        checkStack(f.stack, BOUNDS, before, pkts.length);
      }
      f.clock.advance(300_000);
      checkSent(f.link.take(), f.link.mtu);
      checkStack(f.stack, BOUNDS, ipOutcomes(f.stack), 0);
      if (f.stack.ip.reassemblyBytes !== 0) throw new Error('reassembly memory held after every timeout');
      // Synchronous teardown (the stack has no device to release): nothing left
      // pending per input. What the stack defers itself (the UDP socket's
      // 'listening' nextTick) runs between chunks (harness.ts CHUNK_INPUTS).
      f.stack.ip.close();
    });
  },
};

