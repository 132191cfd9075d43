/**
 * One script's side of the conformance agent (wire mode, see
 * test/conformance/README.md): the BSD socket layer (src/conformance/bsd.ts)
 * over one fresh Stack, serving the script's system calls as they arrive on
 * the runner's connection. The process around it (src/run/agent-server.ts)
 * keeps the TUN open for the whole run and builds a Stack per script with
 * these hooks. Blocking calls are re-polled whenever the stack has done work:
 * after each received batch and each fired timer (the link and clock are
 * wrapped for that), and after each request.
 */
import type { Link } from '../link/link.js';
import type { Clock, Timer } from '../time/clock.js';
import type { TcpApi } from '../tcp/api.js';
import { BsdLayer, WOULD_BLOCK, type BsdSocket, type SysOutcome } from '../conformance/bsd.js';
import { ScriptUnsupported } from '../conformance/parser.js';
import type { Profile } from '../conformance/profile.js';
import { startSyscall, type SyscallOp } from '../conformance/syscalls.js';
import type { AgentReply, AgentRequest } from '../conformance/wire/protocol.js';

/**
 * The link and clock one script's stack runs on. They tell the agent about
 * every piece of stack work, and `end()` cuts the stack off: nothing more is
 * sent, received or fired, so a discarded stack cannot touch the next
 * script's packets while the shared device stays open.
 */
export class AgentHooks {
  private kickFn: () => void = () => {};
  private ended = false;
  private readonly timers = new Set<Timer>();
  /** Datagrams from the script's peer delivered to the stack so far. */
  rx = 0;

  constructor(private readonly peerAddr: number) {}

  onWork(fn: () => void): void {
    this.kickFn = fn;
  }

  /**
   * `mtu`: what the stack sends up to (the script's profile). The device may
   * carry more: packetdrill writes injected packets straight into its TUN,
   * where no MTU applies, so a script may send a segment larger than the
   * MSS it advertised; the agent's device is opened wide for that.
   */
  link(inner: Link, mtu: number = inner.mtu): Link {
    return {
      mtu,
      // No caps: the script sees MTU-sized segments with full checksums.
      send: (p) => {
        if (!this.ended) inner.send(p);
      },
      flush: () => {
        if (!this.ended) inner.flush?.();
      },
      // The device keeps one receiver: the newest stack's replaces the last one's.
      onReceive: (h) =>
        inner.onReceive((packets, meta) => {
          if (this.ended) return;
          for (const p of packets) if (p.length >= 20 && p.readUInt32BE(12) === this.peerAddr) this.rx++;
          h(packets, meta);
          this.kickFn();
        }),
      // The device outlives this stack (the agent serves every script of a run on it).
      close: async () => this.end(),
    };
  }

  clock(inner: Clock): Clock {
    return {
      now: () => inner.now(),
      timerSlackMs: inner.timerSlackMs,
      setTimer: (at, fn): Timer => {
        if (this.ended) return { cancel: () => {} };
        const t = inner.setTimer(at, () => {
          this.timers.delete(t);
          if (this.ended) return;
          fn();
          this.kickFn();
        });
        this.timers.add(t);
        return t;
      },
    };
  }

  /** Cut the stack off: cancel its timers, drop what it sends or would receive. */
  end(): void {
    this.ended = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    this.kickFn = () => {};
  }
}

/** How long a request waits for the datagrams the runner injected before it (then it runs anyway). */
const RX_BARRIER_MS = 1_000;

type CallRequest = Extract<AgentRequest, { op: 'call' | 'info' }>;

interface Held {
  req: CallRequest;
  until: number;
}

interface Blocked {
  id: number;
  op: SyscallOp;
}

/** One script's system calls against one stack; answers go to `reply` (the runner's connection). */
export class AgentSession {
  private readonly bsd: BsdLayer;
  private blocked: Blocked[] = [];
  private held: Held[] = [];

  constructor(
    tcp: TcpApi,
    private readonly clock: Clock,
    private readonly hooks: AgentHooks,
    private readonly profile: Profile,
    private readonly reply: (r: AgentReply) => void,
  ) {
    this.bsd = new BsdLayer(tcp, profile.localAddr);
    hooks.onWork(() => this.poll());
  }

  request(req: CallRequest): void {
    if (this.held.length > 0 || this.hooks.rx < req.afterRx) {
      const until = this.clock.now() + RX_BARRIER_MS;
      this.held.push({ req, until });
      this.clock.setTimer(until, () => this.poll());
      return;
    }
    this.execute(req);
  }

  private execute(req: CallRequest): void {
    if (req.op === 'info') {
      const c = this.bsd.get(req.fd)?.conn;
      return this.reply({ id: req.id, kind: 'info', info: c ? c.info() : null });
    }
    let op: SyscallOp;
    let r: SysOutcome;
    try {
      op = startSyscall(req.call, {
        bsd: this.bsd,
        profile: this.profile,
        now: () => this.clock.now(),
        noteSocket: (kind, s) => this.note(kind, s),
      });
      r = op.poll(false);
    } catch (e) {
      if (e instanceof ScriptUnsupported) return this.reply({ id: req.id, kind: 'unsupported', reason: e.reason });
      return this.reply({ id: req.id, kind: 'error', message: e instanceof Error ? e.message : String(e) });
    }
    if (r !== WOULD_BLOCK) return this.reply({ id: req.id, kind: 'result', ...r });
    this.reply({ id: req.id, kind: 'blocked' });
    this.blocked.push({ id: req.id, op });
    // poll(2) with a timeout returns 0 at that time even if the stack stays idle.
    if (op.timeoutAt !== undefined) this.clock.setTimer(op.timeoutAt, () => this.poll());
  }

  private note(kind: 'listen' | 'accept' | 'connect', s: BsdSocket): void {
    const c = s.conn;
    const localPort = kind === 'listen' ? (s.listener?.localPort ?? this.profile.port) : (c?.localPort ?? 0);
    this.reply({ kind: 'note', note: kind, fd: s.fd, localPort, remotePort: c?.remotePort ?? 0 });
  }

  /** Run held requests whose datagrams have arrived (in order), then re-poll blocked calls; answer those that completed. */
  private poll(): void {
    while (this.held.length > 0) {
      const h = this.held[0];
      if (this.hooks.rx < h.req.afterRx && this.clock.now() < h.until) break;
      this.held.shift();
      this.execute(h.req);
    }
    if (this.blocked.length === 0) return;
    const still: Blocked[] = [];
    for (const b of this.blocked) {
      let r: SysOutcome;
      try {
        r = b.op.poll(true);
      } catch (e) {
        this.reply({ id: b.id, kind: 'error', message: e instanceof Error ? e.message : String(e) });
        continue;
      }
      if (r === WOULD_BLOCK) still.push(b);
      else this.reply({ id: b.id, kind: 'result', ...r });
    }
    this.blocked = still;
  }
}
