/**
 * parseTcpSegment into a reused scratch (TcpLayer's connection path): the
 * same objects every time, nothing of one segment left in the next, and
 * detachTcpRepr gives a Repr that later parses cannot change.
 */
import { describe, expect, it } from 'vitest';
import { TCP_ACK, TCP_SYN, detachTcpRepr, emitTcpSegment, newTcpReprScratch, parseTcpSegment, tcpHeaderLen, type TcpRepr } from '../../src/wire/tcp.js';

const A = 0x0a000001;
const B = 0x0a000002;

function segment(r: Partial<TcpRepr>): Buffer {
  const full: TcpRepr = { srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: TCP_ACK, window: 100, urgent: 0, options: {}, payload: Buffer.alloc(0), ...r };
  const b = Buffer.alloc(tcpHeaderLen(full) + full.payload.length);
  emitTcpSegment(full, b, 0, A, B);
  return b;
}

describe('parseTcpSegment with a scratch', () => {
  it('fills the same objects each time and clears the options of the previous segment', () => {
    const s = newTcpReprScratch();
    const first = parseTcpSegment(segment({ flags: TCP_SYN, seq: 7, options: { mss: 1460, wscale: 7, sackPermitted: true, timestamp: { val: 5, ecr: 0 } } }), A, B, false, s);
    if (typeof first === 'string') throw new Error(first);
    expect(first).toBe(s.repr);
    expect(first.options.timestamp).toBe(s.timestamp);
    expect(first.options).toMatchObject({ mss: 1460, wscale: 7, sackPermitted: true, timestamp: { val: 5, ecr: 0 } });
    const second = parseTcpSegment(segment({ seq: 9, ack: 3, payload: Buffer.from('hi'), options: { sack: [[10, 20]] } }), A, B, false, s);
    if (typeof second === 'string') throw new Error(second);
    expect(second).toBe(first);
    expect(second.seq).toBe(9);
    expect(second.ack).toBe(3);
    expect(second.payload.toString()).toBe('hi');
    expect(second.options.mss).toBeUndefined();
    expect(second.options.wscale).toBeUndefined();
    expect(second.options.sackPermitted).toBeUndefined();
    expect(second.options.timestamp).toBeUndefined();
    expect(second.options.sack).toEqual([[10, 20]]);
  });

  it('detachTcpRepr copies what a later parse would overwrite', () => {
    const s = newTcpReprScratch();
    const r = parseTcpSegment(segment({ seq: 1, options: { timestamp: { val: 11, ecr: 12 } } }), A, B, false, s);
    if (typeof r === 'string') throw new Error(r);
    const own = detachTcpRepr(r);
    expect(own.options).toEqual({ timestamp: { val: 11, ecr: 12 } });
    expect(Object.keys(own.options)).toEqual(['timestamp']);
    parseTcpSegment(segment({ seq: 2, options: { timestamp: { val: 99, ecr: 98 } } }), A, B, false, s);
    expect(own.seq).toBe(1);
    expect(own.options.timestamp).toEqual({ val: 11, ecr: 12 });
  });

  it('a bad segment leaves the verdict as before', () => {
    const b = segment({ seq: 1 });
    b[4] ^= 1; // the checksum no longer matches
    expect(parseTcpSegment(b, A, B, false, newTcpReprScratch())).toBe('badChecksum');
  });
});
