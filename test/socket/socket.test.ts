/**
 * TcpSocket / TcpServer over the in-memory FakeTcp (test/socket/fake-tcp.ts):
 * Node net semantics — connect/accept, backpressure both ways, half-close,
 * errors with code/errno/syscall emitted asynchronously.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { ipv4 } from '../../src/wire/ip-address.js';
import { connect, createServer } from '../../src/socket/connect.js';
import type { TcpSocket } from '../../src/socket/socket.js';
import { FakeNet, settle, settleUntil } from './fake-tcp.js';

const A = ipv4('10.77.0.1');
const B = ipv4('10.77.0.2');

function setup(opts: { sndBuf?: number; rcvBuf?: number } = {}) {
  const clock = new VirtualClock();
  const net = new FakeNet(clock);
  const server = net.host(A, opts);
  const client = net.host(B, opts);
  return { clock, net, server, client };
}

async function pair(opts: { sndBuf?: number; rcvBuf?: number; allowHalfOpen?: boolean } = {}) {
  const env = setup(opts);
  const srv = createServer(env.server, env.clock, { allowHalfOpen: opts.allowHalfOpen });
  let accepted: TcpSocket | undefined;
  srv.on('connection', (s: TcpSocket) => (accepted = s));
  srv.listen(80);
  const c = connect(env.client, env.clock, { host: '10.77.0.1', port: 80, allowHalfOpen: opts.allowHalfOpen });
  await settleUntil(env.clock, () => accepted !== undefined && !c.connecting);
  return { ...env, srv, c, s: accepted as TcpSocket };
}

describe('TcpSocket over fake TCP', () => {
  it('connects, emits connect and ready, and round-trips data (echo)', async () => {
    const env = setup();
    const srv = createServer(env.server, env.clock, (s) => s.pipe(s));
    const listening: string[] = [];
    srv.listen(80, () => listening.push('listening'));
    expect(listening).toEqual([]); // 'listening' is async, as Node's
    const c = connect(env.client, env.clock, { host: '10.77.0.1', port: 80 });
    const events: string[] = [];
    c.on('connect', () => events.push('connect'));
    c.on('ready', () => events.push('ready'));
    expect(c.connecting).toBe(true);
    expect(c.pending).toBe(true);
    expect(c.readyState).toBe('opening');
    c.write('hello, '); // before connect: queued, as Node
    const got: Buffer[] = [];
    c.on('data', (d: Buffer) => got.push(d));
    await settleUntil(env.clock, () => events.length === 2);
    c.write('world');
    await settleUntil(env.clock, () => Buffer.concat(got).length === 12);
    expect(listening).toEqual(['listening']);
    expect(events).toEqual(['connect', 'ready']);
    expect(Buffer.concat(got).toString()).toBe('hello, world');
    expect(c.readyState).toBe('open');
    expect(c.remoteAddress).toBe('10.77.0.1');
    expect(c.remotePort).toBe(80);
    expect(c.remoteFamily).toBe('IPv4');
    expect(c.localAddress).toBe('10.77.0.2');
    expect(c.address()).toEqual({ address: '10.77.0.2', family: 'IPv4', port: c.localPort });
    expect(c.bytesWritten).toBe(12);
    expect(c.bytesRead).toBe(12);
    expect(srv.address()).toEqual({ address: '10.77.0.1', family: 'IPv4', port: 80 });
  });

  it('write() returns false when the TCP send buffer is full and drain follows', async () => {
    const { clock, c, s } = await pair({ sndBuf: 4096, rcvBuf: 4096 });
    // Nobody reads on the server: its window closes, our send buffer fills.
    const chunk = Buffer.alloc(8192, 0x61);
    let writes = 0;
    while (c.write(chunk)) writes++;
    expect(writes).toBeLessThan(4);
    let drained = false;
    c.on('drain', () => (drained = true));
    await settle(clock, 20);
    expect(drained).toBe(false);
    // Reading on the server reopens the window; the sender drains.
    let n = 0;
    s.on('data', (d: Buffer) => (n += d.length));
    await settleUntil(clock, () => drained);
    expect(n).toBeGreaterThan(0);
  });

  it('a slow reader stops the sender: data stays in TCP and the window closes, then resumes', async () => {
    const { clock, net, c, s } = await pair({ sndBuf: 4096, rcvBuf: 4096 });
    const total = 64 * 1024;
    c.end(Buffer.alloc(total, 0x62));
    s.pause();
    await settle(clock, 50);
    const serverConn = net.conns.find((x) => x.localPort === 80)!;
    // The Readable holds at most its highWaterMark; the rest is refused by the window.
    expect(serverConn.info().rcvWnd).toBe(0);
    const clientConn = net.conns.find((x) => x.localPort !== 80)!;
    const stalled = clientConn.delivered;
    await settle(clock, 50);
    expect(clientConn.delivered).toBe(stalled);
    expect(stalled).toBeLessThan(total);
    let n = 0;
    let ended = false;
    s.on('data', (d: Buffer) => (n += d.length));
    s.on('end', () => (ended = true));
    s.resume();
    await settleUntil(clock, () => ended);
    expect(n).toBe(total);
  });

  it('half-close with allowHalfOpen: end() then keep reading; peer keeps writing after our FIN', async () => {
    const { clock, c, s } = await pair({ allowHalfOpen: true });
    let serverEnded = false;
    const fromServer: Buffer[] = [];
    s.on('end', () => (serverEnded = true));
    s.resume();
    c.on('data', (d: Buffer) => fromServer.push(d));
    c.end('bye');
    await settleUntil(clock, () => serverEnded);
    expect(s.writable).toBe(true); // half-open: server may still write
    s.write('still here');
    s.end(' - done');
    let clientEnded = false;
    let closed = 0;
    c.on('end', () => (clientEnded = true));
    c.on('close', () => closed++);
    s.on('close', () => closed++);
    await settleUntil(clock, () => clientEnded && closed === 2);
    expect(Buffer.concat(fromServer).toString()).toBe('still here - done');
  });

  it('allowHalfOpen false (Node default): peer FIN makes us end too', async () => {
    const { clock, net, c, s } = await pair();
    s.resume();
    c.resume();
    let sClosed: boolean | undefined;
    s.on('close', (hadError: boolean) => (sClosed = hadError));
    c.end();
    await settleUntil(clock, () => sClosed !== undefined);
    expect(sClosed).toBe(false);
    const serverConn = net.conns.find((x) => x.localPort === 80)!;
    await settle(clock, 10);
    expect(serverConn.state).toBe('CLOSED'); // server closed second: LAST_ACK → CLOSED, client holds TIME_WAIT
    expect(net.resets).toEqual([]);
  });

  it('destroy(err) resets: the peer gets ECONNRESET with errno -104 and syscall read, asynchronously', async () => {
    const { clock, c, s } = await pair();
    s.resume();
    let err: (Error & { code?: string; errno?: number; syscall?: string }) | undefined;
    let closeHadError: boolean | undefined;
    c.on('error', (e) => (err = e));
    c.on('close', (h: boolean) => (closeHadError = h));
    s.on('error', () => {});
    s.destroy(new Error('app gave up'));
    await settleUntil(clock, () => closeHadError !== undefined);
    expect(err?.code).toBe('ECONNRESET');
    expect(err?.errno).toBe(-104);
    expect(err?.syscall).toBe('read');
    expect(err?.message).toBe('read ECONNRESET');
    expect(closeHadError).toBe(true);
  });

  it('errors are never emitted from inside TCP processing (they are deferred out of the clock/packet callbacks)', async () => {
    const { clock, c, s } = await pair();
    let inTcp = false;
    const advance = clock.advance.bind(clock);
    clock.advance = (ms: number) => {
      inTcp = true;
      try {
        advance(ms);
      } finally {
        inTcp = false;
      }
    };
    const seen: boolean[] = [];
    c.on('error', () => seen.push(inTcp));
    c.on('close', () => seen.push(inTcp));
    s.resetAndDestroy();
    await settleUntil(clock, () => seen.length === 2);
    expect(seen).toEqual([false, false]);
  });

  it('corked writes go through _writev and arrive in order', async () => {
    const { clock, c, s } = await pair();
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    c.cork();
    c.write('a');
    c.write(Buffer.from('b'));
    c.write('c');
    process.nextTick(() => c.uncork());
    await settleUntil(clock, () => Buffer.concat(got).length === 3);
    expect(Buffer.concat(got).toString()).toBe('abc');
  });

  it('resetAndDestroy() sends RST; plain destroy() with nothing pending closes with FIN (Linux close(2))', async () => {
    const p1 = await pair();
    let e1: Error | undefined;
    p1.c.on('error', (e) => (e1 = e));
    p1.s.resetAndDestroy();
    await settleUntil(p1.clock, () => e1 !== undefined);
    expect((e1 as Error & { code: string }).code).toBe('ECONNRESET');

    const p2 = await pair();
    let ended = false;
    p2.c.on('end', () => (ended = true));
    p2.c.on('error', () => expect.fail('no error expected'));
    p2.c.resume();
    p2.s.destroy();
    await settleUntil(p2.clock, () => ended);
    expect(p2.net.resets).toEqual([]);
  });

  it('ECONNREFUSED: code, errno -111, syscall connect, address/port, Node message; emitted after connect() returns', async () => {
    const env = setup();
    const c = connect(env.client, env.clock, { host: '10.77.0.1', port: 81 });
    let err: (Error & { code?: string; errno?: number; syscall?: string; address?: string; port?: number }) | undefined;
    let sync = true;
    c.on('error', (e) => {
      expect(sync).toBe(false);
      err = e;
    });
    sync = false;
    await settleUntil(env.clock, () => err !== undefined);
    expect(err).toMatchObject({ code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '10.77.0.1', port: 81 });
    expect(err?.message).toBe('connect ECONNREFUSED 10.77.0.1:81');
    expect(c.destroyed).toBe(true);
  });

  it('a host name is refused with EINVAL (no resolver), asynchronously', async () => {
    const env = setup();
    const c = connect(env.client, env.clock, { host: 'example.com', port: 80 });
    let err: (Error & { code?: string }) | undefined;
    c.on('error', (e) => (err = e));
    expect(err).toBeUndefined();
    await settle(env.clock, 2);
    expect(err?.code).toBe('EINVAL');
    expect(err?.message).toMatch(/no resolver/);
  });

  it('EADDRINUSE on a second listen, as an error event with code', async () => {
    const env = setup();
    createServer(env.server, env.clock).listen(80);
    const srv2 = createServer(env.server, env.clock);
    let err: (Error & { code?: string; errno?: number; syscall?: string }) | undefined;
    srv2.on('error', (e) => (err = e));
    srv2.listen(80);
    expect(err).toBeUndefined();
    await settle(env.clock, 2);
    expect(err).toMatchObject({ code: 'EADDRINUSE', errno: -98, syscall: 'listen' });
    expect(err?.message).toBe('listen EADDRINUSE: address already in use 0.0.0.0:80');
  });

  it('EPIPE when TCP refuses data after our FIN', async () => {
    const { clock, c, s, net } = await pair();
    s.on('error', () => {}); // our EPIPE destroy resets the peer
    const conn = net.conns.find((x) => x.localPort !== 80)!;
    conn.shutdownWrite(); // FIN already out underneath the stream
    let err: (Error & { code?: string; errno?: number; syscall?: string }) | undefined;
    c.on('error', (e) => (err = e));
    c.write('late');
    await settle(clock, 2);
    expect(err).toMatchObject({ code: 'EPIPE', errno: -32, syscall: 'write', message: 'write EPIPE' });
  });

  it('setTimeout emits timeout after idle virtual time, does not close, and re-arms on activity', async () => {
    const { clock, c, s } = await pair();
    s.resume();
    let timeouts = 0;
    c.setTimeout(1000, () => timeouts++);
    c.on('timeout', () => {});
    await settle(clock, 500, 10);
    c.write('x'); // activity pushes the deadline
    await settle(clock, 700, 10);
    expect(timeouts).toBe(0);
    await settle(clock, 400, 10);
    expect(timeouts).toBe(1);
    expect(c.destroyed).toBe(false);
    c.setTimeout(0);
    await settle(clock, 2000, 100);
    expect(c.listenerCount('timeout')).toBe(1);
  });

  it('server close(): stops listening, emits close after connections end; getConnections counts', async () => {
    const { clock, srv, c, s } = await pair();
    const counts: number[] = [];
    srv.getConnections((_e, n) => counts.push(n));
    let closed = false;
    srv.close(() => (closed = true));
    expect(srv.address()).toBeNull();
    await settle(clock, 5);
    expect(counts).toEqual([1]);
    expect(closed).toBe(false);
    s.resume();
    c.resume();
    c.end();
    await settleUntil(clock, () => closed);
  });

  it('maxConnections: excess connections are closed at once', async () => {
    const env = setup();
    const srv = createServer(env.server, env.clock);
    srv.maxConnections = 1;
    const seen: TcpSocket[] = [];
    srv.on('connection', (s: TcpSocket) => seen.push(s));
    srv.listen(80);
    const c1 = connect(env.client, env.clock, { host: '10.77.0.1', port: 80 });
    const c2 = connect(env.client, env.clock, { host: '10.77.0.1', port: 80 });
    let c2ended = false;
    c2.on('end', () => (c2ended = true));
    c2.resume();
    await settleUntil(env.clock, () => c2ended);
    expect(seen.length).toBe(1);
    expect(c1.destroyed).toBe(false);
  });

  it('noDelay/keepAlive reach TCP (server options and socket methods); connect timeout sets the idle timeout', async () => {
    const env = setup();
    const srv = createServer(env.server, env.clock, { noDelay: true, keepAlive: true });
    let s: TcpSocket | undefined;
    srv.on('connection', (x: TcpSocket) => (s = x));
    srv.listen(80);
    const c = connect(env.client, env.clock, { host: '10.77.0.1', port: 80, timeout: 3000 });
    expect(c.timeout).toBe(3000);
    c.setNoDelay();
    c.setKeepAlive(true, 1000);
    await settleUntil(env.clock, () => s !== undefined);
    const sc = env.net.conns.find((x) => x.localPort === 80)!;
    const cc = env.net.conns.find((x) => x.localPort !== 80)!;
    expect([sc.noDelay, sc.keepAlive, cc.noDelay, cc.keepAlive]).toEqual([true, true, true, true]);
    expect(c.setTimeout(0).ref().unref()).toBe(c);
  });

  it('pauseOnConnect: nothing is read until resume()', async () => {
    const env = setup({ rcvBuf: 1000 });
    const srv = createServer(env.server, env.clock, { pauseOnConnect: true });
    let s: TcpSocket | undefined;
    srv.on('connection', (x: TcpSocket) => (s = x));
    srv.listen(80);
    const c = connect(env.client, env.clock, { host: '10.77.0.1', port: 80 });
    c.write(Buffer.alloc(500));
    await settleUntil(env.clock, () => s !== undefined);
    let n = 0;
    s!.on('data', (d: Buffer) => (n += d.length));
    await settle(env.clock, 20);
    expect(n).toBe(0);
    expect(env.net.conns.find((x) => x.localPort === 80)!.info().recvQueue).toBe(500);
    s!.resume();
    await settleUntil(env.clock, () => n === 500);
  });
});
