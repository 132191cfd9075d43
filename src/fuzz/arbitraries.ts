/** fast-check generators for wire structures, shared by the fuzz targets. */
import fc from 'fast-check';
import type { TcpOptionsRepr, TcpRepr } from '../wire/tcp.js';
import type { Ipv4Repr } from '../wire/ipv4.js';

export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const bytes = (maxLength: number): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));

export const ipv4Repr = (maxPayload = 64): fc.Arbitrary<{ repr: Ipv4Repr; payload: Buffer }> =>
  fc
    .record({
      src: u32,
      dst: u32,
      protocol: fc.integer({ min: 0, max: 255 }),
      ttl: fc.integer({ min: 0, max: 255 }),
      tos: fc.integer({ min: 0, max: 255 }),
      ident: u16,
      dontFrag: fc.boolean(),
      moreFrags: fc.boolean(),
      fragOffset: fc.integer({ min: 0, max: 0x1fff }).map((n) => n * 8),
      payload: bytes(maxPayload),
    })
    .map(({ payload, ...r }) => ({ repr: { ...r, payloadLen: payload.length }, payload }));

/** Options as parse normalises them: wscale ≤ 14, SACK blocks only where they fit. */
export const tcpOptions: fc.Arbitrary<TcpOptionsRepr> = fc.record(
  {
    mss: fc.integer({ min: 1, max: 0xffff }),
    wscale: fc.integer({ min: 0, max: 14 }),
    sackPermitted: fc.constant(true),
    sack: fc.array(fc.tuple(u32, u32), { minLength: 1, maxLength: 4 }),
    timestamp: fc.record({ val: u32, ecr: u32 }),
  },
  { requiredKeys: [] },
);

/** Flags that parse accepts (SYN never with FIN or RST). */
export const tcpFlags = fc
  .integer({ min: 0, max: 255 })
  .filter((f) => (f & 0x02) === 0 || (f & 0x05) === 0);

export const tcpRepr = (maxPayload = 64): fc.Arbitrary<TcpRepr> =>
  fc.record({
    srcPort: u16,
    dstPort: u16,
    seq: u32,
    ack: u32,
    flags: tcpFlags,
    window: u16,
    urgent: u16,
    options: tcpOptions,
    payload: bytes(maxPayload),
  });

/**
 * One raw TCP option with a length byte that may lie: right, 0, 1, past the
 * end of the area, or anything. Kinds cover every one we parse plus unknown.
 */
export const rawTcpOption: fc.Arbitrary<Buffer> = fc
  .record({
    kind: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 5, 8), fc.integer({ min: 0, max: 255 })),
    len: fc.oneof(fc.constantFrom(-1, 0, 1, 2, 3, 4, 10, 18, 34, 41), fc.integer({ min: 0, max: 255 })),
    body: bytes(38),
  })
  .map(({ kind, len, body }) => {
    if (kind <= 1) return Buffer.from([kind]);
    const l = len === -1 ? 2 + body.length : len;
    return Buffer.concat([Buffer.from([kind, l & 255]), body]);
  });

/** An options area: a few raw options, cut to at most 40 bytes and padded to a multiple of 4. */
export const rawTcpOptionsArea: fc.Arbitrary<Buffer> = fc.array(rawTcpOption, { maxLength: 6 }).map((opts) => {
  const raw = Buffer.concat(opts).subarray(0, 40);
  const padded = Buffer.alloc(Math.ceil(raw.length / 4) * 4);
  raw.copy(padded);
  return padded;
});
