/**
 * Outbound clients through our sockets against kernel-side servers in a
 * namespace: node:http (StackHttpAgent) and undici (undiciConnector) against
 * `python3 -m http.server`; node:https (StackHttpsAgent) and undici over TLS
 * against `openssl s_server -WWW`; tls.connect over our TCP against a socat
 * TLS echo; a `ws` client against a kernel-side ws server; and names
 * resolved by our stub resolver against `dnsmasq` before fetching.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent as UndiciAgent, request as undiciRequest } from 'undici';
import { WebSocket } from 'ws';
import { createNetns, linuxReady, type Netns } from '../linux/harness.js';
import { Stack } from '../../src/stack.js';
import { TunLink } from '../../src/link/tun.js';
import { makeSelfSigned, type TlsCredentials } from '../../src/apps/tls-cert.js';
import { StackHttpAgent, StackHttpsAgent, stackConnection, tlsOver, undiciConnector } from '../../src/socket/clients.js';

const ready = linuxReady();
const HOST = '10.77.43.1';
const ADDR = '10.77.43.2';
const WS_MODULE = createRequire(import.meta.url).resolve('ws');
const WS_SERVER = fileURLToPath(new URL('./ws-kernel-server.cjs', import.meta.url));

function get(mod: typeof http | typeof https, url: string, agent: http.Agent): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    mod
      .get(url, { agent }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      })
      .on('error', reject);
  });
}

describe.skipIf(!ready)('outbound clients through our sockets to kernel-side servers (linux)', () => {
  let ns: Netns;
  let stack: Stack;
  let dir: string;
  let data: Buffer;
  let sha: string;
  let creds: TlsCredentials;

  async function listening(port: number): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const r = await ns.exec('ss', ['-ltnH', `sport = :${port}`]);
      if (r.stdout.includes(`:${port}`)) return;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`nothing listening on ${port} in the namespace`);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tunstack-out-'));
    data = Buffer.alloc(2 << 20);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2246822519) >>> 0, i);
    writeFileSync(join(dir, 'data.bin'), data);
    sha = createHash('sha256').update(data).digest('hex');
    creds = await makeSelfSigned('kernel.test', [HOST]);
    writeFileSync(join(dir, 'cert.pem'), creds.cert);
    writeFileSync(join(dir, 'key.pem'), creds.key);
    ns = await createNetns('tsout');
    const link = TunLink.open({ name: 'tun0', netns: ns.name, mtu: 1500, addr: HOST, prefixLen: 24, up: true });
    stack = new Stack({ link, addr: ADDR });
  });

  afterAll(async () => {
    await stack?.close();
    ns?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('http.request with StackHttpAgent and undici with our connector, against python3 -m http.server', async () => {
    ns.spawn('python3', ['-m', 'http.server', '8000', '--bind', HOST, '--directory', dir]);
    await listening(8000);
    const agent = new StackHttpAgent(stack, { keepAlive: true });
    const a = await get(http, `http://${HOST}:8000/data.bin`, agent);
    expect(a.status).toBe(200);
    expect(createHash('sha256').update(a.body).digest('hex')).toBe(sha);
    agent.destroy();
    const dispatcher = new UndiciAgent({ connect: undiciConnector(stack) });
    const r = await undiciRequest(`http://${HOST}:8000/data.bin`, { dispatcher });
    expect(r.statusCode).toBe(200);
    expect(createHash('sha256').update(Buffer.from(await r.body.arrayBuffer())).digest('hex')).toBe(sha);
    const missing = await undiciRequest(`http://${HOST}:8000/nope`, { dispatcher });
    expect(missing.statusCode).toBe(404);
    await missing.body.dump();
    await dispatcher.close();
  });

  it('https.request with StackHttpsAgent and undici over TLS, against openssl s_server -WWW (certificate verified)', async () => {
    ns.spawn('sh', ['-c', `cd '${dir}' && exec openssl s_server -quiet -accept ${HOST}:4433 -cert cert.pem -key key.pem -WWW`]);
    await listening(4433);
    const agent = new StackHttpsAgent(stack, { ca: creds.cert });
    const a = await get(https, `https://${HOST}:4433/data.bin`, agent);
    expect(a.status).toBe(200);
    expect(createHash('sha256').update(a.body).digest('hex')).toBe(sha);
    // Without our CA the handshake must fail: the check is real.
    await expect(get(https, `https://${HOST}:4433/data.bin`, new StackHttpsAgent(stack))).rejects.toThrow(/self-signed|unable to verify/);
    const dispatcher = new UndiciAgent({ connect: undiciConnector(stack, { ca: creds.cert }) });
    const r = await undiciRequest(`https://${HOST}:4433/data.bin`, { dispatcher, reset: true });
    expect(r.statusCode).toBe(200);
    expect(createHash('sha256').update(Buffer.from(await r.body.arrayBuffer())).digest('hex')).toBe(sha);
    await dispatcher.close();
  });

  it('by name: dnsmasq on the kernel side resolves it, then http.get and undici fetch from python3 -m http.server', async () => {
    const dnsmasq = ns.spawn('dnsmasq', [
      '--keep-in-foreground', '--no-resolv', '--no-hosts', '--conf-file=/dev/null', '--pid-file=',
      `--listen-address=${HOST}`, '--bind-interfaces', '--port=53', `--address=/files.test/${HOST}`,
    ]);
    ns.spawn('python3', ['-m', 'http.server', '8001', '--bind', HOST, '--directory', dir]);
    await listening(8001);
    await listening(53);
    const dns = { server: HOST };
    const a = await get(http, 'http://files.test:8001/data.bin', new StackHttpAgent(stack, { dns }));
    expect(createHash('sha256').update(a.body).digest('hex')).toBe(sha);
    const dispatcher = new UndiciAgent({ connect: undiciConnector(stack, {}, dns) });
    const r = await undiciRequest('http://files.test:8001/data.bin', { dispatcher });
    expect(createHash('sha256').update(Buffer.from(await r.body.arrayBuffer())).digest('hex')).toBe(sha);
    await dispatcher.close();
    if (dnsmasq.pid !== undefined && dnsmasq.exitCode === null) process.kill(dnsmasq.pid, 'SIGTERM');
  });

  it('tls.connect over our TCP to a socat TLS echo', async () => {
    ns.spawn('socat', [`OPENSSL-LISTEN:4443,bind=${HOST},reuseaddr,cert=${join(dir, 'cert.pem')},key=${join(dir, 'key.pem')},verify=0`, 'EXEC:cat']);
    await listening(4443);
    const payload = data.subarray(0, 512 * 1024);
    const got = await new Promise<Buffer>((resolve, reject) => {
      const s = tlsOver(stack.connect({ host: HOST, port: 4443 }), { host: HOST, ca: creds.cert });
      const parts: Buffer[] = [];
      let n = 0;
      s.on('secureConnect', () => s.write(payload));
      s.on('data', (d: Buffer) => {
        parts.push(d);
        n += d.length;
        if (n >= payload.length) s.end();
      });
      s.on('end', () => resolve(Buffer.concat(parts)));
      s.on('error', reject);
    });
    expect(got.equals(payload)).toBe(true);
  });

  it('a ws client dialling through our stack to a kernel-side ws server', async () => {
    const srv = ns.spawn(process.execPath, [WS_SERVER, WS_MODULE, HOST, '8080']);
    await new Promise<void>((resolve, reject) => {
      srv.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
      srv.on('exit', (c) => reject(new Error(`ws server exited ${c}`)));
    });
    const msgs = ['hello', Buffer.alloc(3 << 20, 9), 'bye'];
    const echoes = await new Promise<Array<string | Buffer>>((resolve, reject) => {
      const ws = new WebSocket(`ws://${HOST}:8080/`, { createConnection: stackConnection(stack) as never, perMessageDeflate: false });
      const out: Array<string | Buffer> = [];
      ws.on('open', () => msgs.forEach((m) => ws.send(m, { binary: typeof m !== 'string' })));
      ws.on('message', (d, isBinary) => {
        out.push(isBinary ? (d as Buffer) : (d as Buffer).toString());
        if (out.length === msgs.length) ws.close(1000);
      });
      ws.on('close', () => resolve(out));
      ws.on('error', reject);
    });
    expect(echoes[0]).toBe('hello');
    expect((echoes[1] as Buffer).equals(msgs[1] as Buffer)).toBe(true);
    expect(echoes[2]).toBe('bye');
  });
});
