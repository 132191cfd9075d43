/** Node's own clients dialling through a Stack (src/socket/clients.ts), as promises. */
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import { WebSocket } from 'ws';
import { StackHttpAgent, StackHttpsAgent, stackConnection, tlsOver, type Dialer } from '../../src/socket/clients.js';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export function request(
  stack: Dialer,
  opts: { path: string; host: string; secure?: boolean; ca?: string; method?: string; headers?: Record<string, string>; body?: Buffer },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const mod = opts.secure ? https : http;
    const agent = opts.secure ? new StackHttpsAgent(stack, { ca: opts.ca }) : new StackHttpAgent(stack);
    const req = mod.request({ host: opts.host, path: opts.path, method: opts.method ?? 'GET', headers: opts.headers, agent }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        agent.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Several HTTP/2 GETs at once on one session: h2c prior knowledge, or h2 over TLS with ALPN. */
export function h2Gets(stack: Dialer, host: string, paths: string[], tlsCa?: string): Promise<{ alpn: string | false; replies: Reply[] }> {
  return new Promise((resolve, reject) => {
    const secure = tlsCa !== undefined;
    const session = http2.connect(`${secure ? 'https' : 'http'}://${host}`, {
      createConnection: () =>
        secure ? tlsOver(stack.connect({ host, port: 443 }), { ca: tlsCa, ALPNProtocols: ['h2'], servername: 'tunstack.test' }) : stack.connect({ host, port: 80 }),
    });
    session.on('error', reject);
    const all = paths.map(
      (p) =>
        new Promise<Reply>((res, rej) => {
          const s = session.request({ ':path': p });
          const parts: Buffer[] = [];
          let status = 0;
          let headers: Record<string, string | string[] | undefined> = {};
          s.on('response', (h) => {
            status = Number(h[':status']);
            headers = h as typeof headers;
          });
          s.on('data', (d: Buffer) => parts.push(d));
          s.on('end', () => res({ status, headers, body: Buffer.concat(parts) }));
          s.on('error', rej);
          s.end();
        }),
    );
    Promise.all(all).then((replies) => {
      const alpn = session.alpnProtocol ?? false;
      session.close();
      resolve({ alpn: alpn as string | false, replies });
    }, reject);
  });
}

/** Send each message over a WebSocket to /ws and collect the echoes (same order, same text/binary kind). */
export function wsEcho(stack: Dialer, url: string, messages: Array<string | Buffer>, ca?: string): Promise<{ echoes: Array<string | Buffer>; closeCode: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { createConnection: stackConnection(stack, url.startsWith('wss:') ? { ca } : undefined) as never, perMessageDeflate: false });
    const echoes: Array<string | Buffer> = [];
    ws.on('open', () => {
      for (const m of messages) ws.send(m, { binary: typeof m !== 'string' });
    });
    ws.on('message', (data, isBinary) => {
      echoes.push(isBinary ? Buffer.from(data as Buffer) : (data as Buffer).toString());
      if (echoes.length === messages.length) ws.close(4001, 'done');
    });
    ws.on('close', (code) => resolve({ echoes, closeCode: code }));
    ws.on('error', reject);
  });
}
