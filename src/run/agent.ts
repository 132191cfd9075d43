/**
 * The conformance agent (hidden: `tunstack up --conformance-agent JSON`, used
 * by wire mode, see test/conformance/README.md). It serves the conformance
 * BSD socket layer (src/conformance/bsd.ts) over this process's own TCP on a
 * unix socket, so a script's system calls run inside the real binary while
 * its packets cross the real TUN. Blocking calls are re-polled whenever the
 * stack has done work: after each received batch and each fired timer (the
 * link and clock are wrapped for that), and after each request.
 * Not loaded at all unless the hidden flag is given.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import type { Link } from '../link/link.js';
import type { Clock, Timer } from '../time/clock.js';
import type { TcpApi } from '../tcp/api.js';
import { BsdLayer, WOULD_BLOCK, type BsdSocket, type SysOutcome } from '../conformance/bsd.js';
import { ScriptUnsupported } from '../conformance/parser.js';
import { startSyscall, type SyscallOp } from '../conformance/syscalls.js';
import { decodeAgentConfig, type AgentConfig, type AgentReply, type AgentRequest } from '../conformance/wire/protocol.js';

/** Wrap the link and clock the stack will use so the agent hears about every piece of stack work. */
export class AgentHooks {
  private kickFn: () => void = () => {};
  /** Datagrams from the script's peer delivered to the stack so far (the readiness ping is not one). */
  rx = 0;

  constructor(private readonly peerAddr: number) {}

  onWork(fn: () => void): void {
    this.kickFn = fn;
  }

  link(inner: Link): Link {
    return {
      get mtu() {
        return inner.mtu;
      },
      // No caps: the script sees MTU-sized segments with full checksums.
      send: (p) => inner.send(p),
      flush: () => inner.flush?.(),
      onReceive: (h) =>
        inner.onReceive((packets, meta) => {
          for (const p of packets) if (p.length >= 20 && p.readUInt32BE(12) === this.peerAddr) this.rx++;
          h(packets, meta);
          this.kickFn();
        }),
      close: () => inner.close(),
    };
  }

  clock(inner: Clock): Clock {
    return {
      now: () => inner.now(),
      setTimer: (at, fn): Timer =>
        inner.setTimer(at, () => {
          fn();
          this.kickFn();
        }),
    };
  }
}

/** How long a request waits for the datagrams the runner injected before it (then it runs anyway). */
const RX_BARRIER_MS = 1_000;

interface Held {
  conn: Socket;
  req: AgentRequest;
  until: number;
}

interface Blocked {
  id: number;
  op: SyscallOp;
  conn: Socket;
}

export class ConformanceAgent {
  private readonly bsd: BsdLayer;
  private server: Server | undefined;
  private blocked: Blocked[] = [];
  private held: Held[] = [];
  private readonly conns = new Set<Socket>();

  constructor(
    tcp: TcpApi,
    private readonly clock: Clock,
    private readonly hooks: AgentHooks,
    private readonly config: AgentConfig,
  ) {
    this.bsd = new BsdLayer(tcp, config.profile.localAddr);
    hooks.onWork(() => this.poll());
  }

  async listen(): Promise<void> {
    rmSync(this.config.socketPath, { force: true });
    const server = createServer((conn) => this.serve(conn));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.socketPath, () => resolve());
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    // server.close() waits for open connections: end ours so teardown never hangs on the runner.
    for (const c of this.conns) c.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    rmSync(this.config.socketPath, { force: true });
  }

  private serve(conn: Socket): void {
    let buf = '';
    this.conns.add(conn);
    conn.on('close', () => this.conns.delete(conn));
    conn.setEncoding('utf8');
    conn.on('error', () => {});
    conn.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) this.request(conn, line);
      }
    });
  }

  private send(conn: Socket, r: AgentReply): void {
    conn.write(`${JSON.stringify(r)}\n`);
  }

  private request(conn: Socket, line: string): void {
    let req: AgentRequest;
    try {
      req = JSON.parse(line) as AgentRequest;
    } catch {
      return this.send(conn, { id: -1, kind: 'error', message: `bad request: ${line.slice(0, 80)}` });
    }
    if (this.held.length > 0 || this.hooks.rx < req.afterRx) {
      const until = this.clock.now() + RX_BARRIER_MS;
      this.held.push({ conn, req, until });
      this.clock.setTimer(until, () => this.poll());
      return;
    }
    this.execute(conn, req);
  }

  private execute(conn: Socket, req: AgentRequest): void {
    if (req.op === 'info') {
      const c = this.bsd.get(req.fd)?.conn;
      return this.send(conn, { id: req.id, kind: 'info', info: c ? c.info() : null });
    }
    let op: SyscallOp;
    let r: SysOutcome;
    try {
      op = startSyscall(req.call, {
        bsd: this.bsd,
        profile: this.config.profile,
        now: () => this.clock.now(),
        noteSocket: (kind, s) => this.note(conn, kind, s),
      });
      r = op.poll(false);
    } catch (e) {
      if (e instanceof ScriptUnsupported) return this.send(conn, { id: req.id, kind: 'unsupported', reason: e.reason });
      return this.send(conn, { id: req.id, kind: 'error', message: e instanceof Error ? e.message : String(e) });
    }
    if (r !== WOULD_BLOCK) return this.send(conn, { id: req.id, kind: 'result', ...r });
    this.send(conn, { id: req.id, kind: 'blocked' });
    this.blocked.push({ id: req.id, op, conn });
    // poll(2) with a timeout returns 0 at that time even if the stack stays idle.
    if (op.timeoutAt !== undefined) this.clock.setTimer(op.timeoutAt, () => this.poll());
  }

  private note(conn: Socket, kind: 'listen' | 'accept' | 'connect', s: BsdSocket): void {
    const c = s.conn;
    const localPort = kind === 'listen' ? (s.listener?.localPort ?? this.config.profile.port) : (c?.localPort ?? 0);
    this.send(conn, { kind: 'note', note: kind, fd: s.fd, localPort, remotePort: c?.remotePort ?? 0 });
  }

  /** Run held requests whose datagrams have arrived (in order), then re-poll blocked calls; answer those that completed. */
  private poll(): void {
    while (this.held.length > 0) {
      const h = this.held[0];
      if (this.hooks.rx < h.req.afterRx && this.clock.now() < h.until) break;
      this.held.shift();
      this.execute(h.conn, h.req);
    }
    if (this.blocked.length === 0) return;
    const still: Blocked[] = [];
    for (const b of this.blocked) {
      let r: SysOutcome;
      try {
        r = b.op.poll(true);
      } catch (e) {
        this.send(b.conn, { id: b.id, kind: 'error', message: e instanceof Error ? e.message : String(e) });
        continue;
      }
      if (r === WOULD_BLOCK) still.push(b);
      else this.send(b.conn, { id: b.id, kind: 'result', ...r });
    }
    this.blocked = still;
  }
}

/** `up` with the hidden flag: parse the config, give back the hooks to build the stack with, and a starter for the agent. */
export function prepareAgent(json: string): {
  config: AgentConfig;
  hooks: AgentHooks;
  start(tcp: TcpApi, clock: Clock): Promise<ConformanceAgent>;
} | string {
  const config = decodeAgentConfig(json);
  if (typeof config === 'string') return `--conformance-agent: ${config}`;
  const hooks = new AgentHooks(config.profile.remoteAddr >>> 0);
  return {
    config,
    hooks,
    async start(tcp, clock) {
      const a = new ConformanceAgent(tcp, clock, hooks, config);
      await a.listen();
      return a;
    },
  };
}
