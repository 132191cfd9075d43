import { describe, expect, it } from 'vitest';
import { resetFor, segLen } from '../../src/tcp/reset.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type TcpRepr } from '../../src/wire/tcp.js';

const base: TcpRepr = {
  srcPort: 40000,
  dstPort: 80,
  seq: 1000,
  ack: 0,
  flags: 0,
  window: 65535,
  urgent: 0,
  options: {},
  payload: Buffer.alloc(0),
};

describe('RST for a segment to no connection (RFC 9293 §3.10.7.1)', () => {
  it('ACK set: <SEQ=SEG.ACK><CTL=RST>, ports swapped', () => {
    const r = resetFor({ ...base, flags: TCP_ACK | TCP_PSH, ack: 0xdeadbeef, payload: Buffer.from('hi') });
    expect(r).toMatchObject({ srcPort: 80, dstPort: 40000, seq: 0xdeadbeef, ack: 0, flags: TCP_RST });
    expect(r?.payload.length).toBe(0);
    expect(r?.options).toEqual({});
  });

  it('ACK clear (a SYN): <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> where SYN counts one', () => {
    const r = resetFor({ ...base, flags: TCP_SYN, seq: 0xffffffff, options: { mss: 1460 } });
    expect(r).toMatchObject({ seq: 0, ack: 0, flags: TCP_RST | TCP_ACK });
  });

  it('ACK clear with data and FIN: SEG.LEN counts the data and the FIN', () => {
    const seg = { ...base, flags: TCP_FIN, seq: 5000, payload: Buffer.alloc(10) };
    expect(segLen(seg)).toBe(11);
    expect(resetFor(seg)).toMatchObject({ seq: 0, ack: 5011, flags: TCP_RST | TCP_ACK });
  });

  it('never answers a RST', () => {
    expect(resetFor({ ...base, flags: TCP_RST })).toBeUndefined();
    expect(resetFor({ ...base, flags: TCP_RST | TCP_ACK, ack: 7 })).toBeUndefined();
  });
});
