/**
 * Blind in-window attacks at volume (RFC 5961; CVE-2016-5696), in virtual
 * time: one million spoofed RSTs, SYNs and data segments with random sequence
 * and acknowledgment numbers hit a live connection while its real peer keeps
 * an echo exchange going. The connection survives, both streams are
 * byte-exact, and challenge ACKs stay within one per connection per
 * tcp_invalid_ratelimit (500 ms). BLIND_ATTACK_COUNT changes the volume.
 */
import { describe, expect, it } from 'vitest';
import { loadHexCorpus } from '../../src/fuzz/corpus.js';
import { readdress, tcpPacket } from '../../src/fuzz/packets.js';
import { PEER, US, buildFuzzStack } from '../../src/fuzz/stack-target.js';
import { SeededRng, randInt } from '../../src/util/random.js';
import { TCP_ACK, TCP_PSH, TCP_RST, TCP_SYN, parseTcpSegment, type TcpRepr } from '../../src/wire/tcp.js';

const COUNT = Number(process.env.BLIND_ATTACK_COUNT ?? 1_000_000);
const SEED = Number(process.env.BLIND_ATTACK_SEED ?? 5961);
const BATCH = 1000;

describe('blind in-window attacks (RFC 5961)', () => {
  it(`${COUNT} spoofed RST/SYN/data segments at random sequence numbers: connection survives byte-exact (seed ${SEED})`, () => {
    console.log(`blind attack seed ${SEED}, ${COUNT} segments`);
    const rng = new SeededRng(SEED);
    const corpus = loadHexCorpus('stack').map((p) => (p.readUInt32BE(16) === US ? p : readdress(p, PEER, US)));
    const f = buildFuzzStack(corpus);
    const info0 = f.stack.connections().find((c) => c.state === 'ESTABLISHED')!;
    let peerSnd = info0.rcvNxt; // next byte the real peer sends
    let peerRcv = info0.sndNxt; // next byte the real peer expects from us
    const sentStream: Buffer[] = [];
    const echoed: Buffer[] = [];
    const base = (flags: number, seq: number, ack: number, payload = Buffer.alloc(0)): TcpRepr => ({ srcPort: f.peerPort, dstPort: 80, seq: seq >>> 0, ack: ack >>> 0, flags, window: 502, urgent: 0, options: {}, payload });
    const spoofData = Buffer.from('EVIL'.repeat(8));
    /** What our stack sent to the peer: keep in-order echo bytes, count challenge ACKs. */
    const drain = () => {
      for (const p of f.link.take()) {
        const s = parseTcpSegment(p.subarray(20), US, PEER);
        if (typeof s === 'string') throw new Error(`stack sent a bad segment: ${s}`);
        if (s.payload.length && s.seq === peerRcv) {
          echoed.push(Buffer.from(s.payload));
          peerRcv = (peerRcv + s.payload.length) >>> 0;
        }
      }
    };
    let sent = 0;
    let chunk = 0;
    while (sent < COUNT) {
      const batch: Buffer[] = [];
      for (let i = 0; i < BATCH && sent < COUNT; i++, sent++) {
        const kind = randInt(rng, 3);
        const seq = rng.u32();
        const ack = rng.u32();
        if (kind === 0) batch.push(tcpPacket(base(TCP_RST, seq, 0), PEER, US));
        else if (kind === 1) batch.push(tcpPacket(base(TCP_SYN, seq, 0), PEER, US));
        else batch.push(tcpPacket(base(TCP_ACK | TCP_PSH, seq, ack, spoofData), PEER, US));
      }
      // The real peer's next 64 bytes and its ACK of everything echoed so far, in the same batch.
      const data = Buffer.alloc(64, 0x30 + (chunk++ % 40));
      sentStream.push(data);
      batch.splice(randInt(rng, batch.length), 0, tcpPacket(base(TCP_ACK | TCP_PSH, peerSnd, peerRcv, data), PEER, US));
      peerSnd = (peerSnd + data.length) >>> 0;
      f.link.inject(...batch);
      drain();
      f.clock.advance(1); // 1000 segments per virtual millisecond: a 1 M segments/s attacker
      drain();
    }
    f.clock.advance(1000);
    drain();
    f.link.inject(tcpPacket(base(TCP_ACK, peerSnd, peerRcv), PEER, US));
    const c = f.stack.connections().find((x) => x.remotePort === f.peerPort && x.state !== 'LISTEN');
    const tcp = f.stack.counters().Tcp;
    console.log(`after ${COUNT}: state ${c?.state}, echoed ${Buffer.concat(echoed).length}/${Buffer.concat(sentStream).length} bytes, challenge ACKs ${tcp.TCPChallengeACK}, skipped ${tcp.TCPACKSkippedChallenge}, layer-limited ${tcp.TCPChallengeACKLimited}, virtual time ${f.clock.now()} ms`);
    expect(c?.state).toBe('ESTABLISHED');
    expect(Buffer.concat(echoed).equals(Buffer.concat(sentStream))).toBe(true);
    expect(tcp.EstabResets).toBe(0);
    // One challenge ACK per connection per 500 ms at most.
    expect(tcp.TCPChallengeACK).toBeLessThanOrEqual(Math.ceil(f.clock.now() / 500) + 1);
    expect(tcp.TCPChallengeACK).toBeGreaterThan(0);
  });
});
