/**
 * `tunstack stat`: a running `tunstack up` listens on a unix socket named for
 * its namespace and device; `tunstack stat` connects and prints what it sends
 * back — the counters (like `netstat -s`) and the connection table (like
 * `ss -tan`). Also printed to stderr on SIGUSR1.
 */
import { createServer, createConnection, type Server } from 'node:net';
import { mkdirSync, rmSync } from 'node:fs';
import { CliError } from './errors.js';

export const CONTROL_DIR = '/run/tunstack';

export function controlPath(netns: string | undefined, device: string): string {
  return `${CONTROL_DIR}/${netns ?? 'default'}-${device}.sock`;
}

export class ControlServer {
  private server: Server | undefined;
  private readonly path: string;
  private readonly onUsr1 = (): void => void process.stderr.write(this.report());

  constructor(
    netns: string | undefined,
    device: string,
    private readonly report: () => string,
  ) {
    this.path = controlPath(netns, device);
  }

  async listen(): Promise<void> {
    mkdirSync(CONTROL_DIR, { recursive: true });
    rmSync(this.path, { force: true });
    const server = createServer((sock) => {
      sock.on('error', () => {});
      sock.end(this.report());
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

/** Print the report of a running stack; exit status 1 if none is running on that device. */
export async function stat(device: string, netns?: string, _opts: { view: 'report' | 'info' | 'deltas'; json: boolean } = { view: 'report', json: false }): Promise<number> {
  const path = controlPath(netns, device);
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = createConnection(path);
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
