/**
 * bench:wan's client agent, run once per bench inside the client namespace
 * (kernel TCP, `ip netns exec`), so node starts once, not per transfer (under
 * TCG a node start costs seconds). One JSON request per stdin line, one JSON
 * answer per stdout line:
 *   {"op":"down","host":"10.88.3.2","port":19,"secs":6}  → read for secs: {"bytes":N,"ms":T}
 *   {"op":"up","host":"10.88.3.2","port":9,"secs":6}     → write for secs: {"bytes":acked,"ms":T}
 * An upload's goodput is what the receiver acknowledged (`ss -ti` bytes_acked),
 * not what sat in our send buffer.
 */
import { spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

interface Request {
  op: 'down' | 'up';
  host: string;
  port: number;
  secs: number;
}

export function parseBytesAcked(ssOutput: string): number | undefined {
  const m = /bytes_acked:(\d+)/.exec(ssOutput);
  return m ? Number(m[1]) : undefined;
}

function transfer(r: Request): Promise<{ bytes: number; ms: number } | { error: string }> {
  return new Promise((resolve) => {
    const sock: Socket = connect({ host: r.host, port: r.port });
    let bytes = 0;
    let start = 0;
    let done = false;
    const finish = (out: { bytes: number; ms: number } | { error: string }): void => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve(out);
    };
    sock.on('error', (e) => finish({ error: e.message }));
    sock.on('connect', () => {
      start = performance.now();
      setTimeout(() => {
        if (r.op === 'down') return finish({ bytes, ms: performance.now() - start });
        const ss = spawnSync('ss', ['-tinH', 'dst', `${r.host}:${r.port}`], { encoding: 'utf8' });
        // Time taken after ss returns: its snapshot is no later than that (spawning is slow under TCG).
        const ms = performance.now() - start;
        const acked = parseBytesAcked(ss.stdout ?? '');
        finish(acked === undefined ? { error: `no bytes_acked in ss output: ${ss.stdout}${ss.stderr}` } : { bytes: acked, ms });
      }, r.secs * 1000);
      if (r.op === 'down') sock.on('data', (d: Buffer) => (bytes += d.length));
      else {
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        const pump = (): void => {
          while (!done && sock.write(chunk));
        };
        sock.on('drain', pump);
        pump();
      }
    });
  });
}

if (process.argv[1]?.endsWith('/client.js')) {
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const req = JSON.parse(line) as Request;
    void transfer(req).then((out) => process.stdout.write(JSON.stringify(out) + '\n'));
  });
  rl.on('close', () => process.exit(0));
}
