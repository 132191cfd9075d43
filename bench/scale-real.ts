/**
 * Many idle connections from kernel clients over a real TUN (part of
 * `npm run bench:scale`; figures, not a test). Root: the namespace is created
 * here and removed afterwards, also on failure; every address lives in it.
 *
 * The stack listens on a TUN in a fresh namespace and keeps one Duplex
 * socket per accepted connection (stack.createServer). Kernel clients in the
 * namespace open connections in stages, one client process per SOURCE_SPAN
 * connections, each from its own source address on the namespace's side of
 * the TUN (a source address has about 64k ports), with RLIMIT_NOFILE raised
 * by `ulimit -n` in the client's shell and the namespace's
 * ip_local_port_range widened. At each checkpoint (e.g. 10k, then 100k) heap
 * and RSS per connection are measured after full garbage collections. Then
 * every connection is served once: each client sends 5 bytes on every one of
 * its connections and waits for them to come back (the server's sockets echo
 * through one shared listener, attached after the memory figures), 256
 * exchanges in flight per client.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { Stack } from '../src/stack.js';
import { TunLink } from '../src/link/tun.js';
import type { TcpSocket } from '../src/socket/socket.js';

/**
 * Connections per client process, and per source address: under the 20 000
 * open files this machine's hard RLIMIT_NOFILE allows (raising the hard limit
 * needs CAP_SYS_RESOURCE), and under the ~64k ports of a source address.
 */
const SOURCE_SPAN = 15_000;
/** The whole run, connect and serve phases included, is abandoned after this. */
const DEADLINE_MS = 600_000;

export interface Checkpoint {
  connections: number;
  openMs: number;
  heapPerConn: number;
  rssPerConn: number;
}

function sh(args: string[]): void {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
}

function heap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:scale does)');
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

/**
 * A kernel client: reads commands on stdin. `open K` opens K more
 * connections (200 handshakes in flight) from its source address and prints
 * `opened`; `serve` sends 5 bytes on every connection, waits for the echoes
 * and prints `served N`. End of stdin exits.
 */
const CLIENT = `
  const net = require('net'); const rl = require('readline').createInterface({ input: process.stdin });
  const [host, src] = process.argv.slice(1); const socks = [];
  const open = (k) => { let started = 0, done = 0, inflight = 0;
    const more = () => { while (started < k && inflight < 200) { started++; inflight++;
      const s = net.connect({ port: 7, host, localAddress: src }, () => { inflight--; done++; if (done === k) console.log('opened'); else more(); });
      s.on('error', (e) => { console.error('client ' + src + ': ' + e.message); process.exit(1); }); socks.push(s); } };
    if (k === 0) console.log('opened'); else more(); };
  const serve = () => { let next = 0, done = 0;
    if (socks.length === 0) return console.log('served 0');
    const one = (s) => { let got = 0; s.on('data', (d) => { got += d.length; if (got === 5) { if (++done === socks.length) console.log('served ' + done); else if (next < socks.length) one(socks[next++]); } }); s.write('ping\\n'); };
    while (next < socks.length && next < 256) one(socks[next++]); };
  rl.on('line', (l) => { const [cmd, arg] = l.split(' '); if (cmd === 'open') open(Number(arg)); else if (cmd === 'serve') serve(); });
  rl.on('close', () => process.exit(0));`;

interface Client {
  proc: ChildProcess;
  lines: Interface;
  count: number;
}

function waitLine(c: Client, prefix: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onLine = (l: string): void => {
      if (!l.startsWith(prefix)) return;
      c.lines.off('line', onLine);
      c.proc.off('exit', onExit);
      resolve(l);
    };
    const onExit = (code: number | null): void => reject(new Error(`a client process exited (${code}) while waiting for '${prefix}'`));
    c.lines.on('line', onLine);
    c.proc.once('exit', onExit);
  });
}

/** One shared 'data' listener: echo (this is the socket, as EventEmitter calls it). */
function echo(this: TcpSocket, d: Buffer): void {
  this.write(d);
}

export async function realTun(checkpoints: number[], print: (line: string) => void): Promise<Checkpoint[]> {
  if (process.getuid?.() !== 0) {
    print('SKIP real TUN part: not root (needed for a namespace and a TUN device)');
    return [];
  }
  const total = Math.max(...checkpoints);
  const ns = `tsscale${process.pid}`;
  const host = '10.77.13.1';
  const addr = '10.77.13.2';
  sh(['ip', 'netns', 'add', ns]);
  const clients: Client[] = [];
  let stack: Stack | undefined;
  // Interrupted (Ctrl-C, a runner's timeout): `finally` would not run, so the
  // namespace and the client processes go here.
  const onSignal = (sig: NodeJS.Signals): void => {
    for (const c of clients) if (c.proc.pid !== undefined && c.proc.exitCode === null) process.kill(c.proc.pid, 'SIGKILL');
    spawnSync('ip', ['netns', 'del', ns]);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const deadline = setTimeout(() => {
    print(`real TUN part: over ${DEADLINE_MS / 1000} s, abandoned`);
    for (const c of clients) if (c.proc.pid !== undefined && c.proc.exitCode === null) process.kill(c.proc.pid, 'SIGKILL');
  }, DEADLINE_MS);
  try {
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    sh(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_local_port_range=1024 65535']);
    const link = TunLink.open({ name: 'tun0', netns: ns, mtu: 1500, addr: host, prefixLen: 24, up: true });
    stack = new Stack({ link, addr, tcp: { maxSynBacklog: 4096 } });
    const sockets: TcpSocket[] = [];
    const server = stack.createServer((s) => sockets.push(s));
    server.listen({ port: 7, backlog: 4096 });
    const procs = Math.ceil(total / SOURCE_SPAN);
    for (let i = 0; i < procs; i++) {
      const src = `10.77.13.${10 + i}`;
      sh(['ip', '-n', ns, 'addr', 'add', `${src}/24`, 'dev', 'tun0']);
      const proc = spawn('ip', ['netns', 'exec', ns, 'sh', '-c', `ulimit -n ${SOURCE_SPAN + 1000} && exec "$0" -e "$1" "$2" "$3"`, process.execPath, CLIENT, addr, src], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      proc.stdin!.on('error', () => {}); // a client that died is reported by waitLine
      clients.push({ proc, lines: createInterface({ input: proc.stdout! }), count: 0 });
    }
    const heap0 = heap();
    const rss0 = process.memoryUsage().rss;
    const out: Checkpoint[] = [];
    const t0 = Date.now();
    for (const target of [...checkpoints].sort((x, y) => x - y)) {
      // Spread the next stage over the clients, each up to SOURCE_SPAN.
      let need = target - sockets.length;
      const waits: Promise<string>[] = [];
      for (const c of clients) {
        const k = Math.min(need, SOURCE_SPAN - c.count);
        if (k <= 0) continue;
        need -= k;
        c.count += k;
        waits.push(waitLine(c, 'opened'));
        c.proc.stdin!.write(`open ${k}\n`);
      }
      await Promise.all(waits);
      while (sockets.length < target) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      const openMs = Date.now() - t0;
      const heapPerConn = (heap() - heap0) / target;
      const rssPerConn = (process.memoryUsage().rss - rss0) / target;
      out.push({ connections: target, openMs, heapPerConn, rssPerConn });
      print(
        `real TUN, ${target} idle connections from ${clients.filter((c) => c.count > 0).length} kernel client process(es): ` +
          `heap ${heapPerConn.toFixed(0)} B, RSS ${rssPerConn.toFixed(0)} B per connection (Duplex socket included), all open after ${openMs} ms`,
      );
    }
    if (out.length >= 2) {
      const [a, b] = [out[0], out[out.length - 1]];
      const span = b.connections - a.connections;
      print(
        `  from ${a.connections} to ${b.connections}: ${((b.heapPerConn * b.connections - a.heapPerConn * a.connections) / span).toFixed(0)} B heap, ` +
          `${((b.rssPerConn * b.connections - a.rssPerConn * a.connections) / span).toFixed(0)} B RSS per added connection`,
      );
    }
    // Serve every connection once; the echo listener goes on after the memory figures.
    for (const s of sockets) s.on('data', echo);
    const s0 = Date.now();
    const lines = await Promise.all(clients.filter((c) => c.count > 0).map((c) => (c.proc.stdin!.write('serve\n'), waitLine(c, 'served'))));
    const served = lines.reduce((n, l) => n + Number(l.split(' ')[1]), 0);
    await new Promise((r) => setTimeout(r, 500));
    const heapServed = (heap() - heap0) / total;
    print(
      `  then all ${served} served (5 bytes each way on every connection) in ${Date.now() - s0} ms; ` +
        `afterwards heap ${heapServed.toFixed(0)} B per connection (echo listener included)`,
    );
    return out;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    clearTimeout(deadline);
    for (const c of clients) c.proc.stdin?.end();
    await new Promise((r) => setTimeout(r, 300));
    await stack?.close();
    for (const c of clients) if (c.proc.pid !== undefined && c.proc.exitCode === null) process.kill(c.proc.pid, 'SIGKILL');
    spawnSync('ip', ['netns', 'del', ns]);
  }
}
