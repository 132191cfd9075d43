/**
 * The socket layer and services over the real TcpLayer (two stacks through
 * seeded FaultPipes in virtual time, test/sim/tcp-pair.ts). Skipped until
 * src/tcp/tcp-layer.ts exists. Each test prints its seed.
 */
import { describe, expect, it } from 'vitest';
import { connect, createServer } from '../../src/socket/connect.js';
import type { TcpSocket } from '../../src/socket/socket.js';
import { startEcho } from '../../src/apps/echo.js';
import { startHttp } from '../../src/apps/http.js';
import type { ServerFactory } from '../../src/apps/service.js';
import { layerAvailable, makeTcpPair, type PairOptions } from '../sim/tcp-pair.js';
import { settle, settleUntil } from './fake-tcp.js';

const SERVER_HOST = '10.0.0.2'; // stack b listens, stack a connects

async function world(seed: number, o: PairOptions = {}) {
  console.log(`real-tcp socket test seed=${seed}`);
  const p = await makeTcpPair(seed, o);
  const stack: ServerFactory = { createServer: (opts, l) => createServer(p.b, p.clock, opts, l) };
  const dial = (port: number, allowHalfOpen = false): TcpSocket =>
    connect(p.a, p.clock, { host: SERVER_HOST, port, allowHalfOpen });
  return { ...p, stack, dial };
}

async function accepted(seed: number, o: PairOptions = {}, allowHalfOpen = false) {
  const w = await world(seed, o);
  let s: TcpSocket | undefined;
  const srv = createServer(w.b, w.clock, { allowHalfOpen }, (x) => (s = x));
  srv.listen(5000);
  const c = w.dial(5000, allowHalfOpen);
  await settleUntil(w.clock, () => s !== undefined && !c.connecting);
  return { ...w, srv, c, s: s as TcpSocket };
}

describe.skipIf(!layerAvailable())('sockets over the real TCP layer', () => {
  it('connect/accept and an echo round trip; echo closes when the peer closes (RFC 862)', async () => {
    const w = await world(101);
    startEcho(w.stack, 7);
    const c = w.dial(7, true);
    const got: Buffer[] = [];
    let ended = false;
    c.on('data', (d: Buffer) => got.push(d));
    c.on('end', () => (ended = true));
    const payload = Buffer.alloc(100_000);
    for (let i = 0; i < payload.length; i++) payload[i] = i & 255;
    c.end(payload);
    await settleUntil(w.clock, () => ended, 60_000);
    expect(Buffer.concat(got).equals(payload)).toBe(true);
    expect(c.remoteAddress).toBe(SERVER_HOST);
    expect(c.localAddress).toBe('10.0.0.1');
  });

  it('a Buffer reused after its write callback does not change what the peer receives (Node write contract)', async () => {
    const { clock, c, s } = await accepted(108);
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    const buf = Buffer.alloc(40_000, 0x41);
    let called = false;
    c.write(buf, () => {
      called = true;
      buf.fill(0x5a); // Node lets the caller reuse the buffer now
    });
    await settleUntil(clock, () => Buffer.concat(got).length >= 40_000, 10_000);
    expect(called).toBe(true);
    expect(Buffer.concat(got).equals(Buffer.alloc(40_000, 0x41))).toBe(true);
  });

  it('write() returns false when the send buffer is full and drain follows', async () => {
    const { clock, c, s } = await accepted(102, { options: { sndBuf: 16384, rcvBuf: 16384 } });
    const chunk = Buffer.alloc(16384, 1);
    let writes = 0;
    while (c.write(chunk) && writes < 1000) writes++;
    expect(writes).toBeLessThan(1000);
    let drained = false;
    c.on('drain', () => (drained = true));
    s.resume();
    await settleUntil(clock, () => drained, 60_000);
  });

  it('a slow reader closes the window and stops the sender; reading resumes it (RFC 9293 §3.8.6)', async () => {
    const { clock, c, s, b } = await accepted(103, { options: { sndBuf: 32768, rcvBuf: 32768 } });
    const total = 1_000_000;
    c.end(Buffer.alloc(total, 2));
    s.pause();
    await settle(clock, 2000, 10);
    const info = () => b.connections().find((x) => x.localPort === 5000 && x.state === 'ESTABLISHED');
    // Unread data fills the receive buffer: less than one segment of window is left to offer.
    expect(info()!.rcvWnd).toBeLessThan(1460);
    const queued = info()!.recvQueue;
    expect(queued).toBeGreaterThan(0);
    await settle(clock, 1000, 10);
    expect(info()!.recvQueue).toBe(queued); // the sender is stopped, not trickling
    let n = 0;
    let ended = false;
    s.on('data', (d: Buffer) => (n += d.length));
    s.on('end', () => (ended = true));
    s.resume();
    await settleUntil(clock, () => ended, 120_000);
    expect(n).toBe(total);
  });

  it('half-close both directions with allowHalfOpen', async () => {
    const { clock, c, s } = await accepted(104, {}, true);
    let sEnded = false;
    let cEnded = false;
    const toClient: Buffer[] = [];
    s.on('end', () => (sEnded = true));
    s.resume();
    c.on('data', (d: Buffer) => toClient.push(d));
    c.on('end', () => (cEnded = true));
    c.end('client done');
    await settleUntil(clock, () => sEnded, 10_000);
    s.end('server still talking');
    await settleUntil(clock, () => cEnded && c.destroyed && s.destroyed, 10_000);
    expect(Buffer.concat(toClient).toString()).toBe('server still talking');
  });

  it('destroy(err) sends RST: the peer gets ECONNRESET (errno -104, syscall read)', async () => {
    const { clock, c, s } = await accepted(105);
    let err: (Error & { code?: string; errno?: number; syscall?: string }) | undefined;
    c.on('error', (e) => (err = e));
    s.on('error', () => {});
    s.destroy(new Error('bye'));
    await settleUntil(clock, () => err !== undefined, 10_000);
    expect(err).toMatchObject({ code: 'ECONNRESET', errno: -104, syscall: 'read' });
  });

  it('ECONNREFUSED when nothing listens, emitted asynchronously', async () => {
    const w = await world(106);
    const c = w.dial(4444);
    let err: (Error & { code?: string; errno?: number; syscall?: string }) | undefined;
    c.on('error', (e) => (err = e));
    await settleUntil(w.clock, () => err !== undefined, 10_000);
    expect(err).toMatchObject({ code: 'ECONNREFUSED', errno: -111, syscall: 'connect', port: 4444 });
    expect(err?.message).toBe(`connect ECONNREFUSED ${SERVER_HOST}:4444`);
  });

  it('node:http over our sockets: keep-alive twice, then Connection: close (server closes first)', async () => {
    const w = await world(107);
    startHttp(w.stack, { port: 80 });
    const c = w.dial(80);
    let text = '';
    let ended = false;
    c.on('data', (d: Buffer) => (text += d.toString('latin1')));
    c.on('end', () => (ended = true));
    c.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n');
    await settleUntil(w.clock, () => text.includes('</html>'), 10_000);
    c.write('GET /missing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    await settleUntil(w.clock, () => ended, 10_000);
    expect(text.match(/HTTP\/1\.1 200 OK/g)?.length).toBe(1);
    expect(text).toMatch(/HTTP\/1\.1 404 Not Found/);
    await settle(w.clock, 100, 10);
    expect(w.b.connections().some((x) => x.localPort === 80 && x.state === 'TIME_WAIT')).toBe(true);
  });
});
