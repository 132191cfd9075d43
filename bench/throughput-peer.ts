/**
 * The kernel-side TCP program of the throughput benchmark, as source text for
 * `ip netns exec NS node -e`: it connects `streams` connections (client) or
 * accepts them (server) and sends or receives `bytes` in total, split evenly.
 * The client times from the first connect to the last close and prints one
 * JSON line `{ sec, cpu }` (cpu: its own user+system seconds); the server
 * prints `up` once listening and `{ cpu }` when its last connection closes.
 */

export interface PeerArgs {
  role: 'client' | 'server';
  /** Whether this program sends (true) or receives. */
  send: boolean;
  host: string;
  port: number;
  streams: number;
  bytes: number;
  timeoutMs: number;
}

export function peerScript(a: PeerArgs): string {
  return `
const net = require('net');
const a = ${JSON.stringify(a)};
const per = Math.floor(a.bytes / a.streams);
const chunk = Buffer.alloc(1 << 20, 0x61);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
function drive(s) {
  if (!a.send) { s.on('data', () => {}); s.on('end', () => s.end()); return; }
  let left = per;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return s.once('drain', pump);
    }
    s.end();
  };
  s.on('data', () => {});
  pump();
}
setTimeout(() => { console.error('timeout'); process.exit(1); }, a.timeoutMs).unref();
if (a.role === 'server') {
  let open = 0, seen = 0;
  const srv = net.createServer((s) => {
    open++; seen++;
    drive(s);
    s.on('close', () => { if (--open === 0 && seen === a.streams) { console.log(JSON.stringify({ cpu: cpu() })); process.exit(0); } });
    s.on('error', (e) => { console.error(e.message); process.exit(1); });
  });
  srv.listen(a.port, a.host, () => console.log('up'));
} else {
  const t0 = process.hrtime.bigint();
  const c0 = cpu();
  let open = a.streams;
  for (let i = 0; i < a.streams; i++) {
    const s = net.connect(a.port, a.host, () => drive(s));
    s.on('close', () => {
      if (--open === 0) console.log(JSON.stringify({ sec: Number(process.hrtime.bigint() - t0) / 1e9, cpu: cpu() - c0 }));
    });
    s.on('error', (e) => { console.error(e.message); process.exit(1); });
  }
}`;
}
