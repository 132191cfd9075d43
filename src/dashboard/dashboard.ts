/**
 * The live dashboard, served by the stack's own http service at /_tunstack/:
 * the page (page.ts), uPlot from the installed package (no CDN), a JSON
 * snapshot, and a Server-Sent Events stream that pushes a snapshot every
 * `intervalMs` while at least one page is watching. The http service calls
 * `handle` first; it answers only paths under /_tunstack/.
 */
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type http2 from 'node:http2';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DASHBOARD_PAGE } from './page.js';
import { snapshot, type DashboardSource } from './snapshot.js';

export const DASHBOARD_PREFIX = '/_tunstack/';

/** HTTP/1.1 or HTTP/2 (compatibility API) request and response: the http service serves both on port 80. */
type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

export interface Dashboard {
  /** Answer `req` if it is for the dashboard; false leaves it to the caller. */
  handle(req: Req, res: Res): boolean;
  close(): void;
}

/** uPlot's browser build and stylesheet, read once from node_modules. */
function uplotAssets(): { js: Buffer; css: Buffer } {
  const require = createRequire(import.meta.url);
  const dist = join(dirname(require.resolve('uplot/package.json')), 'dist');
  return { js: readFileSync(join(dist, 'uPlot.iife.min.js')), css: readFileSync(join(dist, 'uPlot.min.css')) };
}

export function createDashboard(src: DashboardSource, intervalMs = 250): Dashboard {
  const startedAt = src.now();
  const assets = uplotAssets();
  const streams = new Set<{ res: Res; you: string }>();
  let timer: NodeJS.Timeout | undefined;

  const tick = (): void => {
    const snap = snapshot(src, startedAt);
    // (write is overloaded differently on the two response types; one string argument suits both.)
    for (const s of streams) (s.res as http.ServerResponse).write(`data: ${JSON.stringify({ ...snap, you: s.you })}\n\n`);
  };

  const send = (res: Res, type: string, body: string | Buffer): void => {
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
    if (res.req.method === 'HEAD') res.end();
    else (res as http.ServerResponse).end(body);
  };

  return {
    handle(req, res) {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/_tunstack') {
        res.writeHead(301, { Location: DASHBOARD_PREFIX, 'Content-Length': 0 });
        res.end();
        return true;
      }
      if (!path.startsWith(DASHBOARD_PREFIX)) return false;
      const name = path.slice(DASHBOARD_PREFIX.length);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': 0 });
        res.end();
        return true;
      }
      switch (name) {
        case '':
          send(res, 'text/html; charset=utf-8', DASHBOARD_PAGE);
          return true;
        case 'uplot.js':
          send(res, 'text/javascript; charset=utf-8', assets.js);
          return true;
        case 'uplot.css':
          send(res, 'text/css; charset=utf-8', assets.css);
          return true;
        case 'state.json':
          send(res, 'application/json', JSON.stringify(snapshot(src, startedAt)));
          return true;
        case 'events': {
          // (No Connection header: HTTP/2 forbids it, and HTTP/1.1 keeps the connection open anyway.)
          res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
          const s = { res, you: `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? ''}` };
          streams.add(s);
          res.on('close', () => {
            streams.delete(s);
            if (streams.size === 0 && timer) {
              clearInterval(timer);
              timer = undefined;
            }
          });
          if (!timer) {
            timer = setInterval(tick, intervalMs);
            timer.unref();
          }
          tick();
          return true;
        }
        default:
          res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 10 });
          res.end('not found\n');
          return true;
      }
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      for (const s of streams) s.res.end();
      streams.clear();
    },
  };
}
