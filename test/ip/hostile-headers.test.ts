/**
 * Header-level attacks dropped under a named counter by the IPv4 layer and
 * TCP: IP options (malformed, source routing as Linux accept_source_route=0),
 * LAND (our own address as source), RFC 1858 tiny/overlapping TCP fragments,
 * and an MSS option of 0 (ignored, as Linux) or tiny (clamped to 48).
 */
import { describe, expect, it } from 'vitest';
import { checkIpOptions } from '../../src/ip/options.js';
import { loadHexCorpus } from '../../src/fuzz/corpus.js';
import { fixIpChecksum, ipFragment, readdress, tcpPacket } from '../../src/fuzz/packets.js';
import { PEER, US, buildFuzzStack } from '../../src/fuzz/stack-target.js';
import { TCP_SYN } from '../../src/wire/tcp.js';
import { parseTcpSegment, type TcpRepr } from '../../src/wire/tcp.js';

const corpus = loadHexCorpus('stack').map((p) => (p.readUInt32BE(16) === US ? p : readdress(p, PEER, US)));
const echo = corpus.find((p) => p[9] === 1 && p.length === 84)!;

/** `p` with IP options inserted after its 20-byte header. */
function withOptions(p: Buffer, opts: number[]): Buffer {
  const o = Buffer.from(opts);
  const out = Buffer.concat([p.subarray(0, 20), o, p.subarray(20)]);
  out[0] = 0x40 | ((20 + o.length) / 4);
  out.writeUInt16BE(out.length, 2);
  return fixIpChecksum(out);
}

describe('IP options', () => {
  it('classifies option lists like Linux ip_options_compile', () => {
    const hdr = (o: number[]) => Buffer.concat([Buffer.alloc(20), Buffer.from(o)]);
    expect(checkIpOptions(hdr([1, 1, 1, 0]), 24)).toBe('ok');
    expect(checkIpOptions(hdr([7, 7, 4, 0, 0, 0, 0, 0]), 28)).toBe('ok'); // record route
    expect(checkIpOptions(hdr([131, 7, 4, 10, 0, 0, 1, 0]), 28)).toBe('sourceRouted'); // LSRR
    expect(checkIpOptions(hdr([137, 7, 4, 10, 0, 0, 1, 0]), 28)).toBe('sourceRouted'); // SSRR
    expect(checkIpOptions(hdr([131, 0, 0, 0]), 24)).toBe('badOptions'); // length 0
    expect(checkIpOptions(hdr([131, 1, 0, 0]), 24)).toBe('badOptions'); // length 1
    expect(checkIpOptions(hdr([7, 40, 4, 0]), 24)).toBe('badOptions'); // past the header
    expect(checkIpOptions(hdr([1, 1, 1, 148]), 24)).toBe('badOptions'); // kind with no room for its length
  });

  it('a source-routed ping is dropped and counted, a ping with record route and NOPs is answered', () => {
    const f = buildFuzzStack(corpus);
    f.link.inject(withOptions(echo, [131, 7, 4, 10, 77, 0, 9, 0]));
    expect(f.link.take()).toEqual([]);
    expect(f.stack.counters().Ip.sourceRouted).toBe(1);
    f.link.inject(withOptions(echo, [7, 7, 4, 0, 0, 0, 0, 0]));
    expect(f.link.take()).toHaveLength(1);
    f.link.inject(withOptions(echo, [1, 1, 1, 1]));
    expect(f.link.take()).toHaveLength(1);
    f.link.inject(withOptions(echo, [68, 2, 0, 0]));
    expect(f.stack.counters().Ip.badOptions).toBe(1);
  });
});

describe('LAND and tiny fragments', () => {
  it('a SYN from our own address to our own port (LAND) is dropped as badSource', () => {
    const f = buildFuzzStack(corpus);
    const syn: TcpRepr = { srcPort: 80, dstPort: 80, seq: 1, ack: 0, flags: TCP_SYN, window: 1000, urgent: 0, options: {}, payload: Buffer.alloc(0) };
    f.link.inject(tcpPacket(syn, US, US));
    expect(f.link.take()).toEqual([]);
    expect(f.stack.counters().Ip.badSource).toBe(1);
  });

  it('RFC 1858: a TCP first fragment shorter than a TCP header, and a TCP fragment at offset 8, are dropped as tinyFragment', () => {
    const f = buildFuzzStack(corpus);
    const syn = tcpPacket({ srcPort: 999, dstPort: 80, seq: 1, ack: 0, flags: TCP_SYN, window: 1000, urgent: 0, options: {}, payload: Buffer.alloc(0) }, PEER, US);
    const tcp = syn.subarray(20);
    f.link.inject(ipFragment(PEER, US, 6, 7, 0, true, tcp.subarray(0, 8)), ipFragment(PEER, US, 6, 7, 8, false, tcp.subarray(8)));
    expect(f.link.take()).toEqual([]);
    expect(f.stack.counters().Ip.tinyFragment).toBe(2);
    expect(f.stack.ip.reassemblyBytes).toBe(0);
    // Split at 24 bytes it is a legal fragmented SYN and is answered.
    const syn2 = tcpPacket({ srcPort: 998, dstPort: 80, seq: 1, ack: 0, flags: TCP_SYN, window: 1000, urgent: 0, options: {}, payload: Buffer.alloc(8) }, PEER, US).subarray(20);
    f.link.inject(ipFragment(PEER, US, 6, 8, 0, true, syn2.subarray(0, 24)), ipFragment(PEER, US, 6, 8, 24, false, syn2.subarray(24)));
    expect(f.link.take().map((p) => (parseTcpSegment(p.subarray(20), US, PEER) as TcpRepr).flags)).toEqual([0x12]);
  });
});

describe('MSS option', () => {
  for (const [mss, want] of [
    [0, 536],
    [1, 48],
    [40, 48],
  ] as const) {
    it(`a SYN with MSS ${mss} gets segments of at most ${want} bytes (Linux: MSS 0 ignored, tcp_min_snd_mss 48)`, () => {
      const f = buildFuzzStack(corpus, (c) => c.send(Buffer.alloc(2000, 0x61)));
      const syn: TcpRepr = { srcPort: 4000, dstPort: 80, seq: 100, ack: 0, flags: TCP_SYN, window: 65535, urgent: 0, options: { mss }, payload: Buffer.alloc(0) };
      f.link.inject(tcpPacket(syn, PEER, US));
      const sa = parseTcpSegment(f.link.take()[0].subarray(20), US, PEER) as TcpRepr;
      f.link.inject(tcpPacket({ ...syn, seq: 101, ack: sa.seq + 1, flags: 0x10, options: {} }, PEER, US));
      const sizes = f.link.take().map((p) => (parseTcpSegment(p.subarray(20), US, PEER) as TcpRepr).payload.length);
      expect(sizes.length).toBeGreaterThan(0);
      expect(Math.max(...sizes)).toBe(want);
    });
  }
});
