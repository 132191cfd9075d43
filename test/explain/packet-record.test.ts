/** The trace's packet records: bad bytes never throw, a bad TCP checksum still shows the header. */
import { describe, expect, it } from 'vitest';
import { recordPacket } from '../../src/explain/packet-record.js';
import { emitIpv4Header } from '../../src/wire/ipv4.js';
import { emitTcpSegment, tcpHeaderLen, TCP_SYN, type TcpRepr } from '../../src/wire/tcp.js';
import { SeededRng, randBytes } from '../../src/util/random.js';

const SRC = 0x0a000001;
const DST = 0x0a000002;

function synPacket(): Buffer {
  const seg: TcpRepr = { srcPort: 40000, dstPort: 80, seq: 1234, ack: 0, flags: TCP_SYN, window: 65535, urgent: 0, options: { mss: 1460, sackPermitted: true, wscale: 7 }, payload: Buffer.alloc(0) };
  const hl = tcpHeaderLen(seg);
  const p = Buffer.alloc(20 + hl);
  emitTcpSegment(seg, p, 20, SRC, DST);
  emitIpv4Header(p, SRC, DST, 6, 64, 1, hl, true, false, 0, 0);
  return p;
}

describe('recordPacket', () => {
  it('records a SYN with its options', () => {
    const r = recordPacket(1, 'a', 5, synPacket());
    expect(r?.tcp).toMatchObject({ srcPort: 40000, dstPort: 80, seq: 1234, flags: 'S', window: 65535, len: 0, options: { mss: 1460, sackPermitted: true, wscale: 7 } });
    expect(r?.ip).toMatchObject({ df: true, mf: false, fragOffset: 0, proto: 6 });
  });

  it('still reads the TCP header when its checksum is wrong (offloaded or corrupted)', () => {
    const p = synPacket();
    p[20 + 16] ^= 0xff;
    expect(recordPacket(1, 'a', 5, p)?.tcp?.flags).toBe('S');
  });

  it('never throws on random or truncated bytes (seeded fuzz)', () => {
    const seed = 7;
    console.log(`packet-record fuzz seed=${seed}`);
    const rng = new SeededRng(seed);
    const good = synPacket();
    for (let i = 0; i < 2000; i++) {
      const b = i % 2 ? randBytes(rng, rng.u32() % 80) : Buffer.from(good.subarray(0, rng.u32() % good.length));
      if (i % 3 === 0 && b.length > 0) b[rng.u32() % b.length] ^= 1 << rng.u32() % 8;
      expect(() => recordPacket(i, 'b', 0, b)).not.toThrow();
    }
  });
});
