/**
 * `tunstack stat`: a running `tunstack up` listens on a unix socket named for
 * its namespace and device; `tunstack stat` connects, sends one line saying
 * which view it wants (`{"view":"info","json":false}`), and prints what comes
 * back — by default the counters (like `netstat -s`) and the connection table
 * (like `ss -tan`); `-i` the connection internals (like `ss -tni`); `-s` the
 * counter changes since the previous `-s` (like `nstat`). The report is also
 * printed to stderr on SIGUSR1.
 */
import { createServer, createConnection, type Server } from 'node:net';
import { mkdirSync, rmSync } from 'node:fs';
import type { TcpInfo } from '../tcp/api.js';
import { CliError } from './errors.js';
import { connectionStats, counterDeltas, formatConnectionInfo, formatDeltas, type StatView } from './stat-format.js';

export const CONTROL_DIR = '/run/tunstack';

export function controlPath(netns: string | undefined, device: string): string {
  return `${CONTROL_DIR}/${netns ?? 'default'}-${device}.sock`;
}

/** What the control socket reads from the stack. */
export interface StatSource {
  report(): string;
  counters(): Record<string, Record<string, number>>;
  connections(): TcpInfo[];
  /** The stack's clock, for timers (deadlines → time left) and -s intervals. */
  now(): number;
}

export interface StatRequest {
  view: StatView;
  json: boolean;
}

export class ControlServer {
  private server: Server | undefined;
  private readonly path: string;
  private readonly onUsr1 = (): void => void process.stderr.write(this.source.report());
  /** The counters at the previous `stat -s` (nstat keeps its history in a file; we keep it here). */
  private lastCounters: { at: number; counters: Record<string, Record<string, number>> } | undefined;

  constructor(
    netns: string | undefined,
    device: string,
    private readonly source: StatSource,
  ) {
    this.path = controlPath(netns, device);
  }

  /** The answer to one request (exported for tests through `answer`). */
  answer(req: StatRequest): string {
    const s = this.source;
    const now = s.now();
    switch (req.view) {
      case 'info': {
        const stats = connectionStats(s.connections(), now);
        return req.json ? JSON.stringify({ connections: stats }, null, 2) + '\n' : formatConnectionInfo(stats);
      }
      case 'deltas': {
        const counters = s.counters();
        const since = this.lastCounters ? now - this.lastCounters.at : undefined;
        const deltas = counterDeltas(this.lastCounters?.counters, counters);
        this.lastCounters = { at: now, counters: structuredClone(counters) };
        return req.json ? JSON.stringify({ sinceMs: since ?? null, deltas }, null, 2) + '\n' : formatDeltas(deltas, since);
      }
      default:
        return req.json
          ? JSON.stringify({ counters: s.counters(), connections: connectionStats(s.connections(), now) }, null, 2) + '\n'
          : s.report();
    }
  }

  async listen(): Promise<void> {
    mkdirSync(CONTROL_DIR, { recursive: true });
    rmSync(this.path, { force: true });
    const server = createServer((sock) => {
      sock.on('error', () => {});
      let line = '';
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => {
        line += d;
        const nl = line.indexOf('\n');
        if (nl < 0) {
          if (line.length > 4096) sock.destroy();
          return;
        }
        sock.end(this.answer(parseRequest(line.slice(0, nl))));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolve());
    });
    server.unref();
    this.server = server;
    process.on('SIGUSR1', this.onUsr1);
  }

  async close(): Promise<void> {
    process.off('SIGUSR1', this.onUsr1);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    rmSync(this.path, { force: true });
  }
}

/** A request line; anything unreadable gets the default report (the socket is root-only, but be strict anyway). */
export function parseRequest(line: string): StatRequest {
  try {
    const o = JSON.parse(line) as Partial<StatRequest>;
    const view: StatView = o.view === 'info' || o.view === 'deltas' ? o.view : 'report';
    return { view, json: o.json === true };
  } catch {
    return { view: 'report', json: false };
  }
}

/** Print a view of a running stack; exit status 1 if none is running on that device. */
export async function stat(device: string, netns?: string, req: StatRequest = { view: 'report', json: false }): Promise<number> {
  const path = controlPath(netns, device);
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = createConnection(path, () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        reject(new CliError(`no running 'tunstack up' for device ${device}${netns ? ` in netns ${netns}` : ''} (looked for ${path})`));
      } else reject(err);
    });
  });
  process.stdout.write(text);
  return 0;
}
