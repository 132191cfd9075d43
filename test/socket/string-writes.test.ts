/**
 * Strings written to a TcpSocket are encoded once, straight into the write
 * arena (decodeStrings: false, as net.Socket): every encoding Node accepts
 * must arrive byte-exact, through _write and through _writev (corked).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { ipv4 } from '../../src/wire/ip-address.js';
import { connect, createServer } from '../../src/socket/connect.js';
import type { TcpSocket } from '../../src/socket/socket.js';
import { FakeNet, settleUntil } from './fake-tcp.js';

async function pair() {
  const clock = new VirtualClock();
  const net = new FakeNet(clock);
  const server = net.host(ipv4('10.77.0.1'));
  const client = net.host(ipv4('10.77.0.2'));
  const srv = createServer(server, clock);
  let accepted: TcpSocket | undefined;
  srv.on('connection', (s: TcpSocket) => (accepted = s));
  srv.listen(80);
  const c = connect(client, clock, { host: '10.77.0.1', port: 80 });
  await settleUntil(clock, () => accepted !== undefined && !c.connecting);
  const s = accepted as TcpSocket;
  const got: Buffer[] = [];
  s.on('data', (d: Buffer) => got.push(d));
  return { clock, c, got };
}

const CASES: Array<[string, BufferEncoding]> = [
  ['héllo wörld ✓ 😀', 'utf8'],
  ['caf\u00e9 \u00ff', 'latin1'],
  ['00ff10abcdef', 'hex'],
  ['aGVsbG8gd29ybGQ=', 'base64'],
  ['aGVsbG8-d29ybGQ', 'base64url'],
  ['not base64 at all!!', 'base64'],
  ['abc', 'hex'], // odd length: Node writes what decodes
  ['\u0101\u0202', 'utf16le'],
];

describe('string writes on TcpSocket', () => {
  it('each encoding arrives as Buffer.from(string, encoding) would give, one write at a time', async () => {
    const { clock, c, got } = await pair();
    const want = Buffer.concat(CASES.map(([s, e]) => Buffer.from(s, e)));
    for (const [s, e] of CASES) c.write(s, e);
    await settleUntil(clock, () => Buffer.concat(got).length >= want.length);
    expect(Buffer.concat(got)).toEqual(want);
    expect(c.bytesWritten).toBe(want.length);
  });

  it('the same through _writev (corked), mixed with Buffers', async () => {
    const { clock, c, got } = await pair();
    const parts: Buffer[] = [];
    c.cork();
    for (const [s, e] of CASES) {
      c.write(s, e);
      c.write(Buffer.from('|'));
      parts.push(Buffer.from(s, e), Buffer.from('|'));
    }
    process.nextTick(() => c.uncork());
    const want = Buffer.concat(parts);
    await settleUntil(clock, () => Buffer.concat(got).length >= want.length);
    expect(Buffer.concat(got)).toEqual(want);
  });
});
