/**
 * The web services over a real TUN against the kernel side's own clients:
 * curl for HTTPS, HTTP/2 (ALPN and prior knowledge), ranges, conditional GET
 * and gzip; openssl s_client for session resumption; a Node `ws` client over
 * kernel TCP echoing 64 MiB through /ws, sha256-checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetns, linuxReady, type Netns } from '../linux/harness.js';
import { Stack } from '../../src/stack.js';
import { TunLink } from '../../src/link/tun.js';
import { startServices, type RunningServices } from '../../src/apps/services.js';

const ready = linuxReady();
const HOST = '10.77.40.1';
const ADDR = '10.77.40.2';
const WS_MODULE = createRequire(import.meta.url).resolve('ws');
const WS_CLIENT = fileURLToPath(new URL('./ws-kernel-client.cjs', import.meta.url));

describe.skipIf(!ready)('web services over a real TUN, kernel-side clients (linux)', () => {
  let ns: Netns;
  let stack: Stack;
  let services: RunningServices;
  let root: string;
  let data: Buffer;
  const text = 'tunstack serves this text; '.repeat(4000);

  const curl = async (args: string[], timeoutMs = 15_000) => ns.exec('curl', ['-sS', '--max-time', '10', ...args], { timeoutMs });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'tunstack-web-'));
    writeFileSync(join(root, 'index.html'), '<h1>hello from tunstack</h1>\n');
    data = Buffer.alloc(1 << 20);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    writeFileSync(join(root, 'data.bin'), data);
    writeFileSync(join(root, 'page.txt'), text);
    mkdirSync(join(root, 'sub'));
    writeFileSync(join(root, 'sub', 'one.txt'), '1\n');
    ns = await createNetns('tsweb');
    const link = TunLink.open({ name: 'tun0', netns: ns.name, mtu: 1500, addr: HOST, prefixLen: 24, up: true });
    stack = new Stack({ link, addr: ADDR });
    services = await startServices(stack, ['http', 'https'], { httpRoot: root, hostname: 'tunstack.test' });
    writeFileSync(join(root, 'cert.pem'), services.tls!.cert);
  });

  afterAll(async () => {
    await services?.close();
    await stack?.close();
    ns?.destroy();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('curl -k https:// and a verified curl --cacert against the printed certificate', async () => {
    const r = await curl(['-k', `https://${ADDR}/`]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('<h1>hello from tunstack</h1>\n');
    const v = await curl(['--cacert', join(root, 'cert.pem'), '--resolve', `tunstack.test:443:${ADDR}`, 'https://tunstack.test/index.html']);
    expect(v.stderr).toBe('');
    expect(v.stdout).toBe('<h1>hello from tunstack</h1>\n');
    const fp = await ns.exec('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', join(root, 'cert.pem')]);
    expect(fp.stdout.trim().split('=')[1]).toBe(services.tls!.fingerprint256);
  });

  it('curl --http2 -k negotiates h2 by ALPN; 8 parallel transfers share one connection', async () => {
    const urls = Array.from({ length: 8 }, () => ['-o', '/dev/null', `https://${ADDR}/data.bin`]).flat();
    const r = await curl(['--http2', '-k', '-Z', '--parallel-max', '8', '-w', '%{http_version} %{size_download} %{num_connects}\\n', ...urls], 30_000);
    const lines = r.stdout.trim().split('\n').map((l) => l.split(' ').map(Number));
    expect(lines).toHaveLength(8);
    for (const [ver, size] of lines) {
      expect(ver).toBe(2);
      expect(size).toBe(data.length);
    }
    // Multiplexed: one TCP connection for all eight (num_connects is 1 on exactly one transfer).
    expect(lines.reduce((n, l) => n + l[2], 0)).toBe(1);
    const body = await ns.exec('sh', ['-c', `curl -sS --http2 -k https://${ADDR}/data.bin | sha256sum`]);
    expect(body.stdout.split(' ')[0]).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('curl --http2-prior-knowledge http:// speaks h2c; plain curl still gets HTTP/1.1', async () => {
    const r = await curl(['--http2-prior-knowledge', '-o', '/dev/null', '-w', '%{http_version} %{size_download}', `http://${ADDR}/data.bin`]);
    expect(r.stdout).toBe(`2 ${data.length}`);
    const h1 = await curl(['-o', '/dev/null', '-w', '%{http_version}', `http://${ADDR}/data.bin`]);
    expect(h1.stdout).toBe('1.1');
  });

  it('curl -r 0-99: 206 with exactly those bytes; past the end: 416', async () => {
    const r = await ns.exec('sh', ['-c', `curl -sS -r 0-99 -w '\\n%{http_code}' http://${ADDR}/data.bin | od -An -v -tx1 | tr -d ' \\n'`]);
    const hex = r.stdout;
    expect(hex.slice(0, 200)).toBe(data.subarray(0, 100).toString('hex'));
    expect(Buffer.from(hex.slice(200), 'hex').toString()).toBe('\n206');
    const bad = await curl(['-o', '/dev/null', '-w', '%{http_code}', '-r', `${data.length + 10}-`, `http://${ADDR}/data.bin`]);
    expect(bad.stdout).toBe('416');
  });

  it('curl -r 0-99,200-299: multipart/byteranges with both parts', async () => {
    const r = await ns.exec('sh', ['-c', `curl -sS -D - -r 0-99,200-299 -o /tmp/tsweb-mp-$$ http://${ADDR}/page.txt && cat /tmp/tsweb-mp-$$; rm -f /tmp/tsweb-mp-$$`]);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 206/);
    const boundary = /content-type: multipart\/byteranges; boundary=(\S+)/i.exec(r.stdout)?.[1];
    expect(boundary).toBeDefined();
    const body = r.stdout.slice(r.stdout.indexOf('\r\n\r\n') + 4);
    const parts = body.split(`--${boundary}`);
    expect(parts).toHaveLength(4); // '', part 1, part 2, '--\r\n'
    expect(parts[1]).toContain(`Content-Range: bytes 0-99/${text.length}`);
    expect(parts[1].endsWith(`\r\n\r\n${text.slice(0, 100)}\r\n`)).toBe(true);
    expect(parts[2]).toContain(`Content-Range: bytes 200-299/${text.length}`);
    expect(parts[2].endsWith(`\r\n\r\n${text.slice(200, 300)}\r\n`)).toBe(true);
  });

  it('If-None-Match with the ETag: 304; If-Modified-Since: 304; HEAD: headers only', async () => {
    const head = await curl(['-I', `http://${ADDR}/page.txt`]);
    expect(head.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(head.stdout).toMatch(new RegExp(`content-length: ${text.length}`, 'i'));
    const tag = /etag: (\S+)/i.exec(head.stdout)![1];
    const lm = /last-modified: ([^\r\n]+)/i.exec(head.stdout)![1];
    const c = await curl(['-o', '/dev/null', '-w', '%{http_code} %{size_download}', '-H', `If-None-Match: ${tag}`, `http://${ADDR}/page.txt`]);
    expect(c.stdout).toBe('304 0');
    const m = await curl(['-o', '/dev/null', '-w', '%{http_code}', '-H', `If-Modified-Since: ${lm}`, `http://${ADDR}/page.txt`]);
    expect(m.stdout).toBe('304');
    const stale = await curl(['-o', '/dev/null', '-w', '%{http_code}', '-H', 'If-None-Match: "nope"', `http://${ADDR}/page.txt`]);
    expect(stale.stdout).toBe('200');
  });

  it('curl --compressed: gzip on the wire, the text after decoding; MIME types', async () => {
    const r = await curl(['--compressed', '-D', '-', '-w', '\\n%{size_download}', `http://${ADDR}/page.txt`]);
    const [head, rest] = [r.stdout.slice(0, r.stdout.indexOf('\r\n\r\n')), r.stdout.slice(r.stdout.indexOf('\r\n\r\n') + 4)];
    expect(head).toMatch(/content-encoding: gzip/i);
    expect(head).toMatch(/vary: accept-encoding/i);
    expect(head).toMatch(/content-type: text\/plain; charset=utf-8/i);
    const [body, wire] = [rest.slice(0, rest.lastIndexOf('\n')), Number(rest.slice(rest.lastIndexOf('\n') + 1))];
    expect(body).toBe(text);
    expect(wire).toBeLessThan(text.length / 10);
    // The same over HTTP/2 and TLS (the handler is shared).
    const h2 = await curl(['--http2', '-k', '--compressed', '-D', '-', '-o', '/dev/null', '-w', '%{http_version} %{size_download}', `https://${ADDR}/page.txt`]);
    expect(h2.stdout).toMatch(/^HTTP\/2 200/);
    expect(h2.stdout).toMatch(/content-encoding: gzip/i);
    expect(Number(h2.stdout.split(' ').pop())).toBeLessThan(text.length / 10);
    const bin = await curl(['--compressed', '-o', '/dev/null', '-D', '-', `http://${ADDR}/data.bin`]);
    expect(bin.stdout).not.toMatch(/content-encoding/i); // octet-stream is not compressed
    expect(bin.stdout).toMatch(/content-type: application\/octet-stream/i);
  });

  it('a directory listing and /gen/N come chunked', async () => {
    const r = await curl(['-D', '-', `http://${ADDR}/sub/`]);
    expect(r.stdout).toMatch(/transfer-encoding: chunked/i);
    expect(r.stdout).toContain('<a href="/sub/one.txt">one.txt</a>');
    const g = await curl(['-D', '-', '-o', '/dev/null', '-w', '%{size_download}', `http://${ADDR}/gen/3000000`]);
    expect(g.stdout).toMatch(/transfer-encoding: chunked/i);
    expect(g.stdout.endsWith('\r\n\r\n3000000')).toBe(true);
  });

  it('TLS session resumption (openssl s_client -reconnect, TLS 1.2 tickets)', async () => {
    const r = await ns.exec('sh', ['-c', `openssl s_client -connect ${ADDR}:443 -tls1_2 -reconnect < /dev/null 2>/dev/null | grep -c '^Reused'`], { timeoutMs: 20_000 });
    expect(Number(r.stdout.trim())).toBeGreaterThanOrEqual(5);
  });

  it('WebSocket echo at /ws: 64 MiB from a kernel-side ws client, sha256 both ways; 8 MiB over wss', async () => {
    for (const [url, total] of [[`ws://${ADDR}/ws`, 64 << 20], [`wss://${ADDR}/ws`, 8 << 20]] as const) {
      const r = await ns.exec(process.execPath, [WS_CLIENT, WS_MODULE, url, String(total), String(1 << 20)], { timeoutMs: 60_000 });
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout) as { sent: string; got: string; sentBytes: number; gotBytes: number; code: number };
      expect(out.gotBytes).toBe(total);
      expect(out.got).toBe(out.sent);
      expect(out.code).toBe(1000);
    }
  }, 90_000);
});
