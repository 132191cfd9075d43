/**
 * Inputs the fuzz targets found, kept as plain regression tests (each names
 * the target and the replay that found it).
 */
import { describe, expect, it } from 'vitest';
import { loadHexCorpus } from '../../src/fuzz/corpus.js';
import { checkSent } from '../../src/fuzz/invariants.js';
import { fixIpChecksum, fixL4Checksum, readdress, tcpPacket } from '../../src/fuzz/packets.js';
import { PEER, US, buildFuzzStack } from '../../src/fuzz/stack-target.js';
import { TCP_ACK } from '../../src/wire/tcp.js';

const corpus = loadHexCorpus('stack').map((p) => (p.readUInt32BE(16) === US ? p : readdress(p, PEER, US)));

describe('fuzz regressions', () => {
  it('stack (seed 11): a TCP segment to the directed broadcast is dropped, not answered with a RST from a forged source', () => {
    const f = buildFuzzStack(corpus);
    const p = Buffer.from(corpus[0]);
    p[19] = 255; // 10.77.0.255, the /24's directed broadcast
    f.link.inject(fixIpChecksum(fixL4Checksum(p)));
    const sent = f.link.take();
    expect(sent).toEqual([]);
    checkSent(sent, 1500);
    expect(f.stack.counters().Tcp.dropBroadcast).toBe(1);
    // The live connection still works afterwards.
    const c = f.stack.connections().find((x) => x.state === 'ESTABLISHED')!;
    f.link.inject(tcpPacket({ srcPort: f.peerPort, dstPort: 80, seq: c.rcvNxt, ack: c.sndNxt, flags: TCP_ACK, window: 502, urgent: 0, options: {}, payload: Buffer.from('x') }, PEER, US));
    expect(f.stack.connections().find((x) => x.state === 'ESTABLISHED')!.rcvNxt).toBe((c.rcvNxt + 1) >>> 0);
  });
});
