/**
 * HTTP (TCP port 80): Node's own `http.Server`, fed our sockets with
 * `server.emit('connection', socket)` — the same entry net.Server uses — so
 * parsing, keep-alive (Node's default) and `Connection: close` are Node's.
 * On `Connection: close` Node ends the socket after the response
 * (destroySoon), so the server sends the first FIN and the stack holds
 * TIME_WAIT (RFC 9293 §3.6).
 *
 * Serves a directory (`root`) as static files: GET and HEAD with
 * Content-Length and Content-Type; 404; 403 for paths that escape the root;
 * 405 for other methods, except PUT/POST to /upload, which reads and discards
 * the body and answers with its length and SHA-256 (for `curl -T`). Files are
 * streamed with backpressure (paused file reads while TCP's buffer is full). Without a
 * root, a built-in page describes tunstack.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { runService, type RunningService, type ServerFactory } from './service.js';

export interface HttpServiceOptions {
  port?: number;
  /** Directory to serve; without it, the built-in index page. */
  root?: string;
  /** Answers its own paths first (the /_tunstack/ dashboard, src/dashboard/); true = handled. */
  dashboard?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

export interface RunningHttp extends RunningService {
  readonly http: http.Server;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.pdf': 'application/pdf',
  '.wasm': 'application/wasm',
};

export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

const INDEX_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>tunstack</title></head>
<body>
<h1>tunstack</h1>
<p>This page was served by Node's <code>http.Server</code> over <b>tunstack</b>, a user-space
TCP/IP stack written in TypeScript: Ethernet/ARP, IPv4, ICMP, UDP and TCP run in this Node.js
process on top of a Linux TUN/TAP device.</p>
<h2>Services</h2>
<ul>
<li>echo &mdash; TCP port 7 (RFC 862)</li>
<li>discard &mdash; TCP port 9 (RFC 863)</li>
<li>chargen &mdash; TCP port 19 (RFC 864)</li>
<li>http &mdash; TCP port 80 (this page; <code>PUT /upload</code> answers with the body's size and SHA-256)</li>
<li>udp-echo &mdash; UDP port 7</li>
</ul>
</body></html>
`;

export function startHttp(stack: ServerFactory, opts: HttpServiceOptions = {}): RunningHttp {
  const root = opts.root === undefined ? undefined : path.resolve(opts.root);
  const server = http.createServer((req, res) => {
    if (opts.dashboard?.(req, res)) return;
    handle(root, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  // allowHalfOpen as net.Server gives http.Server: Node's parser handles the peer's FIN itself.
  const svc = runService(stack, opts.port ?? 80, { allowHalfOpen: true, noDelay: true }, (socket) => {
    server.emit('connection', socket);
  });
  return { ...svc, http: server };
}

async function handle(root: string | undefined, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  // The raw path, not new URL(): URL parsing would silently resolve `/../x` to `/x`, hiding the traversal.
  const rawPath = (req.url ?? '/').split('?')[0];
  const method = req.method ?? 'GET';
  if (rawPath === '/upload' && (method === 'PUT' || method === 'POST')) return upload(req, res);
  if (method !== 'GET' && method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'method not allowed\n');
  }
  if (root === undefined) {
    if (rawPath === '/' || rawPath === '/index.html') return send(res, 200, INDEX_PAGE, 'text/html; charset=utf-8');
    return send(res, 404, 'not found\n');
  }
  let rel: string;
  try {
    rel = decodeURIComponent(rawPath);
  } catch {
    return send(res, 400, 'bad request\n');
  }
  const file = resolveInside(root, rel);
  if (file === undefined) return send(res, 403, 'forbidden\n');
  return serveFile(file, req, res);
}

/**
 * Map a request path into `root`, or undefined if it would leave it (`..`,
 * NUL bytes). path.resolve normalises, so the check is a prefix test.
 */
export function resolveInside(root: string, requestPath: string): string | undefined {
  if (requestPath.includes('\0')) return undefined;
  const full = path.resolve(root, '.' + path.posix.normalize('/' + requestPath.replaceAll('\\', '/')));
  if (requestPath.split(/[\\/]/).includes('..')) return undefined;
  if (full !== root && !full.startsWith(root + path.sep)) return undefined;
  return full;
}

async function serveFile(file: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let st = await fsp.stat(file).catch(() => undefined);
  if (st?.isDirectory()) {
    file = path.join(file, 'index.html');
    st = await fsp.stat(file).catch(() => undefined);
  }
  if (!st || !st.isFile()) return send(res, 404, 'not found\n');
  res.writeHead(200, { 'Content-Type': contentTypeFor(file), 'Content-Length': st.size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  if (st.size === 0) {
    res.end();
    return;
  }
  // Not pipe(): pipe ends the response only on the stream's 'end', a disk read
  // after the last chunk, so under Connection: close the client could see the
  // last byte and close before our FIN. Ending with the last chunk keeps data
  // and FIN in one event-loop turn, which the socket corks into one segment.
  // Backpressure as pipe(): pause the file read while res.write() says full.
  const size = st.size;
  const stream = createReadStream(file, { start: 0, end: size - 1 });
  let sent = 0;
  stream.on('data', (chunk: string | Buffer) => {
    sent += chunk.length;
    if (sent >= size) {
      stream.destroy();
      res.end(chunk);
    } else if (!res.write(chunk)) {
      stream.pause();
      res.once('drain', () => stream.resume());
    }
  });
  stream.on('end', () => res.writableEnded || res.end()); // the file shrank meanwhile
  stream.on('error', () => res.destroy());
  res.on('close', () => stream.destroy());
}

function upload(req: http.IncomingMessage, res: http.ServerResponse): void {
  const hash = createHash('sha256');
  let bytes = 0;
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    hash.update(chunk);
  });
  req.on('end', () => send(res, 200, `${bytes} ${hash.digest('hex')}\n`));
}

function send(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
