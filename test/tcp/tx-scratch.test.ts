/**
 * TcpEnv.txScratch: a layer that writes each packet before sendSegment
 * returns lets connections reuse one Repr, options and timestamp object for
 * every segment (output.ts). Nothing of one segment may leak into the next.
 */
import { describe, expect, it } from 'vitest';
import { newTxScratch } from '../../src/tcp/output.js';
import type { TcpRepr } from '../../src/wire/tcp.js';
import { TCP_ACK } from '../../src/wire/tcp.js';
import { FakeEnv, LOCAL_ISS, REMOTE_ISS, bytes, established, expectSent, peer } from './helpers.js';

const L = LOCAL_ISS + 1;
const R = REMOTE_ISS + 1;

/** Consumes each Repr at once, as TcpLayer.sendSegment does, and records copies. */
class ScratchEnv extends FakeEnv {
  readonly txScratch = newTxScratch();
  readonly seen = new Set<TcpRepr>();
  override sendSegment(seg: TcpRepr, localAddr: number, remoteAddr: number): void {
    this.seen.add(seg);
    const o = seg.options;
    const options = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
    if (o.timestamp) options.timestamp = { ...o.timestamp };
    if (o.sack) options.sack = o.sack.map(([a, b]) => [a, b]);
    super.sendSegment({ ...seg, options }, localAddr, remoteAddr);
  }
}

describe('TcpEnv.txScratch', () => {
  it('reuses one Repr for data and ACKs, and SACK blocks of one ACK do not leak into the next', () => {
    const env = new ScratchEnv({ windowScaling: false });
    const { c } = established(env, 65535, { mss: 1460, sackPermitted: true, timestamp: { val: 7, ecr: 0 } });
    // A hole: the ACK carries a SACK block and the timestamp.
    c.input(peer({ flags: TCP_ACK, seq: R + 10, ack: L, payload: bytes(10), options: { timestamp: { val: 8, ecr: 0 } } }));
    const a1 = expectSent(env, { flags: TCP_ACK, ack: R });
    expect(a1.options.sack).toEqual([[R + 10, R + 20]]);
    expect(a1.options.timestamp?.ecr).toBe(7);
    // The hole fills: the next ACK has no SACK block left over, and fresh timestamp values.
    env.clock.advance(5);
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L, payload: bytes(10), options: { timestamp: { val: 9, ecr: 0 } } }));
    const a2 = expectSent(env, { flags: TCP_ACK, ack: R + 20 });
    expect(a2.options.sack).toBeUndefined();
    expect(a2.options.timestamp?.ecr).toBe(9);
    expect(a2.options.timestamp?.val).not.toBe(a1.options.timestamp?.val);
    // Data goes out in the same object, and the scratch lets go of the payload afterwards.
    c.send(bytes(100));
    expectSent(env, { seq: L, payload: bytes(100) });
    expect(env.seen.size).toBe(1);
    expect(env.seen.has(env.txScratch.repr)).toBe(true);
    expect(env.txScratch.repr.payload.length).toBe(0);
  });
});
