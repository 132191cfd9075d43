/**
 * TCP against real Linux: the stack on a TUN in a namespace this test creates
 * (always removed), kernel TCP peers — curl, socat, a Node net server — inside
 * that namespace, and a bounded burst of spoofed SYNs from hping3.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, linuxReady, type Netns } from './harness.js';
import { Stack } from '../../src/stack.js';
import { TunLink } from '../../src/link/tun.js';
import { startServices, type RunningServices } from '../../src/apps/services.js';

const ready = linuxReady('curl', 'hping3', 'socat');
const HOST = '10.77.8.1';
const ADDR = '10.77.8.2';
const SPOOFED = '10.77.8.3';

describe.skipIf(!ready)('TCP over a real TUN against kernel peers (linux)', () => {
  let ns: Netns;
  let stack: Stack;
  let services: RunningServices;
  let root: string;
  let bigSha: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'tunstack-http-'));
    writeFileSync(join(root, 'index.html'), '<h1>hello from tunstack</h1>\n');
    const big = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
    writeFileSync(join(root, 'big.bin'), big);
    bigSha = createHash('sha256').update(big).digest('hex');
    ns = await createNetns('tslt');
    const link = TunLink.open({ name: 'tun0', netns: ns.name, mtu: 1500, addr: HOST, prefixLen: 24, up: true });
    stack = new Stack({ link, addr: ADDR });
    services = await startServices(stack, ['echo', 'discard', 'chargen', 'http'], { httpRoot: root });
  });

  afterAll(async () => {
    await services?.close();
    await stack?.close();
    ns?.destroy();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('curl GET of a page from node:http on our TCP', async () => {
    const r = await ns.exec('curl', ['-sS', '--max-time', '10', `http://${ADDR}/index.html`], { timeoutMs: 15_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('<h1>hello from tunstack</h1>\n');
  });

  it('curl GET of a 16 MiB file: sha256 matches', async () => {
    const r = await ns.exec('sh', ['-c', `curl -sS --max-time 60 http://${ADDR}/big.bin | sha256sum`], { timeoutMs: 70_000 });
    expect(r.stdout.split(' ')[0]).toBe(bigSha);
  });

  it('two requests on one keep-alive connection', async () => {
    const r = await ns.exec(
      'curl',
      ['-sS', '-v', '--max-time', '10', `http://${ADDR}/index.html`, `http://${ADDR}/index.html`],
      { timeoutMs: 15_000 },
    );
    expect(r.stdout).toBe('<h1>hello from tunstack</h1>\n'.repeat(2));
    expect(r.stderr).toMatch(/Re-using existing connection|Reusing existing connection/);
  });

  it('upload with curl -T: byte count and sha256 come back', async () => {
    const payload = Buffer.alloc(3 * 1024 * 1024, 0x5a);
    const file = join(root, 'upload.bin');
    writeFileSync(file, payload);
    const r = await ns.exec('curl', ['-sS', '--max-time', '30', '-T', file, `http://${ADDR}/upload`], { timeoutMs: 40_000 });
    expect(r.stdout).toContain(String(payload.length));
    expect(r.stdout).toContain(createHash('sha256').update(payload).digest('hex'));
  });

  it('Connection: close — the stack closes first and holds TIME_WAIT, the kernel client does not', async () => {
    const r = await ns.exec(
      'sh',
      ['-c', `curl -sS --max-time 10 -H 'Connection: close' --local-port 43210 http://${ADDR}/index.html && ss -tanH state time-wait`],
      { timeoutMs: 15_000 },
    );
    expect(r.stdout.startsWith('<h1>hello from tunstack</h1>\n')).toBe(true);
    expect(r.stdout).not.toContain(':43210'); // no TIME-WAIT on the kernel side
    // curl exits once its FIN is out; give the stack a moment to take it.
    const tw = () => stack.connections().filter((c) => c.state === 'TIME_WAIT' && c.remotePort === 43210);
    for (let i = 0; i < 40 && tw().length === 0; i++) await new Promise((res) => setTimeout(res, 50));
    expect(tw()).toHaveLength(1);
  });

  it('the echo service echoes and closes when the peer closes', async () => {
    const r = await ns.exec('sh', ['-c', `printf 'ping-pong' | socat -t 5 - TCP4:${ADDR}:7`], { timeoutMs: 10_000 });
    expect(r.stdout).toBe('ping-pong');
  });

  it('Linux gets ECONNREFUSED connecting to a closed port on the stack (RST, RFC 9293 §3.10.7.1)', async () => {
    const r = await ns.exec('curl', ['-sS', '--max-time', '5', `http://${ADDR}:81/`], { timeoutMs: 10_000 });
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/Connection refused|Couldn't connect/);
  });

  it('our stack connects out to a kernel TCP server and exchanges data both ways', async () => {
    // A kernel-side Node net server that answers each chunk with its upper-case.
    const server = ns.spawn(process.execPath, [
      '-e',
      `require('net').createServer(s => s.on('data', d => s.write(d.toString().toUpperCase())).on('end', () => s.end()))
         .listen(5000, '${HOST}', () => console.log('listening'));`,
    ]);
    await new Promise<void>((resolve, reject) => {
      server.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
      server.on('exit', (c) => reject(new Error(`server exited ${c}`)));
    });
    const reply = await new Promise<string>((resolve, reject) => {
      const sock = stack.connect({ host: HOST, port: 5000 }, () => sock.end('hello kernel'));
      let got = '';
      sock.on('data', (d: Buffer) => (got += d.toString()));
      sock.on('end', () => resolve(got));
      sock.on('error', reject);
    });
    expect(reply).toBe('HELLO KERNEL');
    if (server.pid) process.kill(server.pid);
  });

  it('a burst of 2000 spoofed SYNs (hping3, in the namespace) does not stop a legitimate curl', async () => {
    // One spoofed source inside the namespace's own prefix that no host owns (hping3 varies the
    // source port, so each SYN is a new 4-tuple): our SYN-ACKs reach the namespace's kernel, which
    // does not forward, so nothing leaves the namespace. The SYN queue fills and SYN cookies
    // (RFC 4987) keep the listener serving. 2000 SYNs at 500 µs: about one second.
    const flood = ns.exec('hping3', ['-S', '-p', '80', '-c', '2000', '-i', 'u500', '-a', SPOOFED, '-q', ADDR], { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 300));
    const r = await ns.exec('curl', ['-sS', '--max-time', '10', `http://${ADDR}/index.html`], { timeoutMs: 15_000 });
    await flood;
    expect(r.stdout).toBe('<h1>hello from tunstack</h1>\n');
    const tcp = stack.counters().Tcp as Record<string, number>;
    expect(tcp.SyncookiesSent).toBeGreaterThan(0);
  });
});
