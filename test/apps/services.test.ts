/**
 * echo (RFC 862), discard (RFC 863), chargen (RFC 864) and the node:http
 * service, run over our sockets on the in-memory FakeTcp in virtual time.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { ipv4 } from '../../src/wire/ip-address.js';
import { connect, createServer } from '../../src/socket/connect.js';
import type { TcpSocket } from '../../src/socket/socket.js';
import type { ServerFactory } from '../../src/apps/service.js';
import { startEcho } from '../../src/apps/echo.js';
import { startDiscard } from '../../src/apps/discard.js';
import { chargenCycle, startChargen } from '../../src/apps/chargen.js';
import { resolveInside, startHttp } from '../../src/apps/http.js';
import { FakeNet, settle, settleUntil } from '../socket/fake-tcp.js';

const SERVER = ipv4('10.77.0.1');
const CLIENT = ipv4('10.77.0.2');

function world(opts: { sndBuf?: number; rcvBuf?: number } = {}) {
  const clock = new VirtualClock();
  const net = new FakeNet(clock);
  const serverTcp = net.host(SERVER, opts);
  const clientTcp = net.host(CLIENT, opts);
  const stack: ServerFactory = { createServer: (o, l) => createServer(serverTcp, clock, o, l) };
  const dial = (port: number, allowHalfOpen = false): TcpSocket =>
    connect(clientTcp, clock, { host: '10.77.0.1', port, allowHalfOpen });
  return { clock, net, stack, dial };
}

function collect(s: TcpSocket): { data: () => Buffer; ended: () => boolean; closed: () => boolean } {
  const chunks: Buffer[] = [];
  let ended = false;
  let closed = false;
  s.on('data', (d: Buffer) => chunks.push(d));
  s.on('end', () => (ended = true));
  s.on('close', () => (closed = true));
  return { data: () => Buffer.concat(chunks), ended: () => ended, closed: () => closed };
}

describe('echo service (RFC 862)', () => {
  it('echoes data and closes when the peer closes', async () => {
    const w = world();
    startEcho(w.stack, 7);
    const c = w.dial(7, true);
    const got = collect(c);
    c.write('ping 1\n');
    c.end('ping 2\n');
    await settleUntil(w.clock, () => got.ended() && got.closed());
    expect(got.data().toString()).toBe('ping 1\nping 2\n');
    expect(w.net.resets).toEqual([]);
  });
});

describe('discard service (RFC 863)', () => {
  it('drops what it reads and ends when the peer ends', async () => {
    const w = world();
    startDiscard(w.stack, 9);
    const c = w.dial(9);
    const got = collect(c);
    c.end(Buffer.alloc(100_000, 1));
    await settleUntil(w.clock, () => got.closed());
    expect(got.data().length).toBe(0);
    const conn = w.net.conns.find((x) => x.localPort !== 9)!;
    expect(conn.delivered).toBe(100_000);
  });
});

describe('chargen service (RFC 864)', () => {
  it('produces the rotating 72-character lines', () => {
    const cycle = chargenCycle().toString('latin1').split('\r\n');
    expect(cycle[0]).toBe(` !"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_\`abcdefg`);
    expect(cycle[1]).toBe(`!"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_\`abcdefgh`);
    expect(cycle.slice(0, 95).every((l) => l.length === 72)).toBe(true);
  });

  it('is held back by a reader that does not read, and stops when the peer closes', async () => {
    const w = world({ sndBuf: 8192, rcvBuf: 8192 });
    startChargen(w.stack, 19);
    const c = w.dial(19);
    c.pause();
    await settle(w.clock, 100);
    const serverConn = w.net.conns.find((x) => x.localPort === 19)!;
    const sent = serverConn.delivered;
    await settle(w.clock, 100);
    // Window closed: nothing more moves, and the server's buffers stay bounded.
    expect(serverConn.delivered).toBe(sent);
    expect(sent).toBeLessThan(64 * 1024);
    let n = 0;
    c.on('data', (d: Buffer) => {
      n += d.length;
      if (n > 200_000) c.destroy();
    });
    c.resume();
    await settleUntil(w.clock, () => c.destroyed);
    await settle(w.clock, 20);
    expect(['CLOSED', 'TIME_WAIT']).toContain(serverConn.state);
    const after = serverConn.delivered;
    await settle(w.clock, 20);
    expect(serverConn.delivered).toBe(after);
  });
});

/** Read one HTTP/1.1 response (Content-Length framed) from a socket's buffered data. */
class ResponseReader {
  private buf = Buffer.alloc(0);
  constructor(s: TcpSocket) {
    s.on('data', (d: Buffer) => (this.buf = Buffer.concat([this.buf, d])));
  }
  take(head = false): { status: number; headers: Record<string, string>; body: Buffer } | undefined {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    const len = head ? 0 : Number(headers['content-length'] ?? 0);
    if (this.buf.length < end + 4 + len) return undefined;
    const body = this.buf.subarray(end + 4, end + 4 + len);
    this.buf = this.buf.subarray(end + 4 + len);
    return { status: Number(lines[0].split(' ')[1]), headers, body };
  }
}

async function request(w: ReturnType<typeof world>, c: TcpSocket, r: ResponseReader, text: string, head = false) {
  c.write(text);
  let res: ReturnType<ResponseReader['take']>;
  await settleUntil(w.clock, () => (res = r.take(head)) !== undefined);
  return res!;
}

function docroot(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tssk-http-'));
  writeFileSync(path.join(dir, 'hello.txt'), 'hello over tunstack\n');
  mkdirSync(path.join(dir, 'sub'));
  writeFileSync(path.join(dir, 'sub', 'index.html'), '<p>sub</p>');
  writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(300_000, 7));
  return dir;
}

describe('http service (node:http over our sockets)', () => {
  it('GET, HEAD, 404, 403 (traversal), 405 and two requests on one keep-alive connection', async () => {
    const w = world();
    startHttp(w.stack, { port: 80, root: docroot() });
    const c = w.dial(80);
    const r = new ResponseReader(c);
    const get = await request(w, c, r, 'GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n');
    expect(get.status).toBe(200);
    expect(get.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(get.headers['content-length']).toBe('20');
    expect(get.body.toString()).toBe('hello over tunstack\n');
    expect(get.headers['connection']).toBe('keep-alive');
    const head = await request(w, c, r, 'HEAD /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n', true);
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('20');
    expect((await request(w, c, r, 'GET /sub/ HTTP/1.1\r\nHost: t\r\n\r\n')).body.toString()).toBe('<p>sub</p>');
    expect((await request(w, c, r, 'GET /nope HTTP/1.1\r\nHost: t\r\n\r\n')).status).toBe(404);
    expect((await request(w, c, r, 'GET /../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n')).status).toBe(403);
    expect((await request(w, c, r, 'GET /%2e%2e/etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n')).status).toBe(403);
    const del = await request(w, c, r, 'DELETE /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n');
    expect(del.status).toBe(405);
    expect(del.headers['allow']).toBe('GET, HEAD');
    // Every request above went over the one connection (keep-alive).
    expect(w.net.conns.filter((x) => x.localPort === 80).length).toBe(1);
  });

  it('Connection: close is honoured and the server closes first (it holds TIME_WAIT)', async () => {
    const w = world();
    startHttp(w.stack, { port: 80, root: docroot() });
    const c = w.dial(80);
    const r = new ResponseReader(c);
    let ended = false;
    c.on('end', () => (ended = true));
    const res = await request(w, c, r, 'GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    expect(res.headers['connection']).toBe('close');
    await settleUntil(w.clock, () => ended && c.destroyed);
    await settle(w.clock, 5);
    expect(w.net.conns.find((x) => x.localPort === 80)!.state).toBe('TIME_WAIT');
    expect(w.net.conns.find((x) => x.localPort !== 80)!.state).toBe('CLOSED');
    expect(w.net.resets).toEqual([]);
  });

  it('streams a large file through a small window intact', async () => {
    const w = world({ sndBuf: 16384, rcvBuf: 16384 });
    startHttp(w.stack, { port: 80, root: docroot() });
    const c = w.dial(80);
    const r = new ResponseReader(c);
    const res = await request(w, c, r, 'GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n');
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.body.equals(Buffer.alloc(300_000, 7))).toBe(true);
  });

  it('PUT /upload answers with the byte count and sha256 of the body', async () => {
    const w = world();
    startHttp(w.stack, { port: 80 });
    const c = w.dial(80);
    const r = new ResponseReader(c);
    const body = Buffer.alloc(50_000, 'x');
    const sha = createHash('sha256').update(body).digest('hex');
    const res = await request(w, c, r, `PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n${body.toString()}`);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(`50000 ${sha}\n`);
  });

  it('without a root serves the built-in index page', async () => {
    const w = world();
    startHttp(w.stack, { port: 80 });
    const c = w.dial(80);
    const r = new ResponseReader(c);
    const res = await request(w, c, r, 'GET / HTTP/1.1\r\nHost: t\r\n\r\n');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body.toString()).toMatch(/tunstack/);
    expect(res.body.toString()).toMatch(/chargen/);
  });

  it('resolveInside refuses paths that leave the root', () => {
    expect(resolveInside('/srv/www', '/a/b.txt')).toBe('/srv/www/a/b.txt');
    expect(resolveInside('/srv/www', '/../x')).toBeUndefined();
    expect(resolveInside('/srv/www', '/a/../../x')).toBeUndefined();
    expect(resolveInside('/srv/www', '/a\\..\\..\\x')).toBeUndefined();
    expect(resolveInside('/srv/www', '/a\0b')).toBeUndefined();
  });

  it("an idle keep-alive connection is closed with FIN after Node's keepAliveTimeout (5 s of stack clock)", async () => {
    const w = world();
    startHttp(w.stack, { port: 80 });
    const c = w.dial(80);
    const r = new ResponseReader(c);
    let ended = false;
    c.on('end', () => (ended = true));
    await request(w, c, r, 'GET / HTTP/1.1\r\nHost: t\r\n\r\n');
    await settle(w.clock, 4500, 100);
    expect(ended).toBe(false);
    await settleUntil(w.clock, () => ended, 2000, 50);
    expect(w.net.resets).toEqual([]);
  });

  it('close() ends open connections and resolves', async () => {
    const w = world();
    const svc = startHttp(w.stack, { port: 80 });
    const c = w.dial(80);
    const r = new ResponseReader(c);
    await request(w, c, r, 'GET / HTTP/1.1\r\nHost: t\r\n\r\n');
    let closed = false;
    void svc.close().then(() => (closed = true));
    await settleUntil(w.clock, () => closed && c.destroyed);
  });
});
