/**
 * A static file server the way people expect one to behave, for node:http,
 * node:https and node:http2's compatibility API alike. `send` does the HTTP
 * semantics of one file: ETag/Last-Modified and conditional GET (RFC 9110
 * §13: 304, 412), single `Range` (§14: 206, 416, If-Range), HEAD, MIME types
 * (mime-types), directory redirects and `index.html`. What `send` leaves out
 * is added here with the same small packages it uses:
 *  - several ranges answer `multipart/byteranges` (RFC 9110 §14.6; `send`
 *    answers 200 for those), parsed by `range-parser`;
 *  - `Accept-Encoding: gzip` (RFC 9110 §12.5.3) compresses text-like types
 *    through node:zlib, with its own ETag (§8.8.3: a different representation
 *    needs a different entity tag) and `Vary: Accept-Encoding`;
 *  - a directory without `index.html` gets a generated listing, sent chunked
 *    (no Content-Length, RFC 9112 §7.1), as is `GET /gen/N` (N bytes of a
 *    counting pattern; for testing chunked bodies of any size).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import type http from 'node:http';
import type http2 from 'node:http2';
import path from 'node:path';
import { pipeline } from 'node:stream';
import zlib from 'node:zlib';
import etag from 'etag';
import fresh from 'fresh';
import rangeParser from 'range-parser';
import mimeTypes from 'mime-types';
import send from 'send';

export type Req = http.IncomingMessage | http2.Http2ServerRequest;
export type Res = http.ServerResponse | http2.Http2ServerResponse;

/** Types worth compressing; images, archives and media are compressed already. */
export function compressible(type: string): boolean {
  return /^(text\/|application\/(json|javascript|xml|xhtml\+xml|wasm)|image\/svg\+xml)/.test(type);
}

/** `Accept-Encoding` allows gzip (RFC 9110 §12.5.3: absent, or with q=0, it does not). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  for (const part of value.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/** Serve `file` (`urlPath` as requested, already checked to map inside `root`) from disk. */
export async function serveStatic(root: string, file: string, urlPath: string, req: Req, res: Res): Promise<void> {
  const st = await fsp.stat(file).catch(() => undefined);
  if (st?.isDirectory()) {
    const index = await fsp.stat(path.join(file, 'index.html')).catch(() => undefined);
    if (!index?.isFile() && urlPath.endsWith('/')) return listDirectory(root, file, req, res);
  }
  const ranges = st?.isFile() ? multipleRanges(req, st) : undefined;
  if (st && ranges) return sendMultipart(file, st, ranges, req, res);
  const gzip = st?.isFile() === true && req.method === 'GET' && req.headers.range === undefined && acceptsGzip(req.headers['accept-encoding']);
  const stream = send(req as http.IncomingMessage, urlPath, {
    root,
    index: ['index.html'],
    dotfiles: 'allow',
  });
  if (gzip) compressVia(stream, res);
  stream.on('error', (err: { status?: number }) => plain(res, err.status ?? 500, `${err.status === 404 ? 'not found' : 'error'}\n`));
  stream.pipe(res as http.ServerResponse);
}

/**
 * Gzip the body `send` streams, if its type is compressible. `send` calls its
 * `stream(path, options)` step only once headers are decided and the request
 * is neither conditional-fresh nor HEAD; we replace that step so the file
 * goes through zlib, and set the representation's own ETag before `send`
 * compares it with If-None-Match (it keeps an ETag already set).
 */
function compressVia(stream: send.SendStream, res: Res): void {
  let type = '';
  stream.on('headers', (r: http.ServerResponse, file: string, st: Stats) => {
    type = String(mimeTypes.contentType(path.extname(file)) || '');
    if (!compressible(type)) return;
    r.setHeader('ETag', etag(st).replace(/"$/, '-gz"'));
    r.setHeader('Vary', 'Accept-Encoding');
  });
  const original = (stream as unknown as { stream: (file: string, opts: object) => void }).stream.bind(stream);
  (stream as unknown as { stream: (file: string, opts: object) => void }).stream = (file, opts) => {
    if (!compressible(type)) return original(file, opts);
    res.removeHeader('Content-Length');
    res.removeHeader('Accept-Ranges');
    res.setHeader('Content-Encoding', 'gzip');
    pipeline(createReadStream(file, opts), zlib.createGzip(), res as http.ServerResponse, () => {});
  };
}

/** Two or more satisfiable ranges with a fresh If-Range: the parsed ranges; otherwise undefined (send decides). */
function multipleRanges(req: Req, st: Stats): rangeParser.Ranges | undefined {
  const header = req.headers.range;
  if (typeof header !== 'string' || !header.includes(',') || (req.method !== 'GET' && req.method !== 'HEAD')) return undefined;
  const ranges = rangeParser(st.size, header, { combine: true });
  if (!Array.isArray(ranges) || ranges.length < 2 || ranges.type !== 'bytes') return undefined;
  // RFC 9110 §13.1.5: ranges only if the If-Range validator still matches; else the whole file.
  const ifRange = req.headers['if-range'];
  if (typeof ifRange === 'string') {
    const ok = ifRange.includes('"') ? ifRange === etag(st) : Date.parse(ifRange) >= Math.floor(st.mtimeMs / 1000) * 1000;
    if (!ok) return undefined;
  }
  // A conditional GET that is fresh answers 304 through send.
  if (fresh(req.headers, { etag: etag(st), 'last-modified': st.mtime.toUTCString() })) return undefined;
  return ranges;
}

/** RFC 9110 §14.6: each part with its own Content-Type and Content-Range, separated by a boundary. */
function sendMultipart(file: string, st: Stats, ranges: rangeParser.Ranges, req: Req, res: Res): void {
  const boundary = randomBytes(12).toString('hex');
  const type = String(mimeTypes.contentType(path.extname(file)) || 'application/octet-stream');
  const heads = ranges.map(
    (r, i) => `${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${type}\r\nContent-Range: bytes ${r.start}-${r.end}/${st.size}\r\n\r\n`,
  );
  const tail = `\r\n--${boundary}--\r\n`;
  const length = heads.reduce((n, h) => n + Buffer.byteLength(h), 0) + ranges.reduce((n, r) => n + r.end - r.start + 1, 0) + tail.length;
  res.writeHead(206, {
    'Content-Type': `multipart/byteranges; boundary=${boundary}`,
    'Content-Length': length,
    ETag: etag(st),
    'Last-Modified': st.mtime.toUTCString(),
    'Accept-Ranges': 'bytes',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const w = res as http.ServerResponse;
  let i = 0;
  let part: ReturnType<typeof createReadStream> | undefined;
  // A client that goes away mid-answer must not leave a paused file stream (and its fd) behind.
  w.on('close', () => part?.destroy());
  const next = (): void => {
    if (i === ranges.length) {
      w.end(tail);
      return;
    }
    const r = ranges[i];
    w.write(heads[i++]);
    part = createReadStream(file, { start: r.start, end: r.end });
    part.on('error', () => w.destroy());
    part.on('end', next);
    part.pipe(w, { end: false });
  };
  next();
}

async function listDirectory(root: string, dir: string, req: Req, res: Res): Promise<void> {
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  const base = '/' + path.relative(root, dir).split(path.sep).filter(Boolean).map(encodeURIComponent).join('/');
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const w = res as http.ServerResponse;
  w.write(`<!doctype html>\n<html><head><meta charset="utf-8"><title>Index of ${escapeHtml(base)}</title></head><body>\n<h1>Index of ${escapeHtml(base)}</h1>\n<ul>\n`);
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const name = e.name + (e.isDirectory() ? '/' : '');
    const href = (base.endsWith('/') ? base : base + '/') + encodeURIComponent(e.name) + (e.isDirectory() ? '/' : '');
    w.write(`<li><a href="${escapeHtml(href)}">${escapeHtml(name)}</a></li>\n`);
  }
  w.end('</ul></body></html>\n');
}

/** GET /gen/N: N bytes of (i mod 251), streamed with backpressure in 64 KiB chunks, no Content-Length. */
export function generated(req: Req, res: Res, total: number): void {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const w = res as http.ServerResponse;
  let sent = 0;
  const loop = (): void => {
    while (sent < total) {
      const n = Math.min(65536, total - sent);
      const chunk = pattern(sent, sent + n);
      sent += n;
      // The last chunk goes out with end(): data and the terminating chunk in one turn.
      if (sent === total) {
        w.end(chunk);
        return;
      }
      if (!w.write(chunk)) {
        w.once('drain', loop);
        return;
      }
    }
    w.end();
  };
  loop();
}

export function pattern(from: number, to: number): Buffer {
  const chunk = Buffer.allocUnsafe(to - from);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (from + i) % 251;
  return chunk;
}

export function plain(res: Res, status: number, body: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
