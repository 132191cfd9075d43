/**
 * The runner's end of the agent channel (protocol.ts): one request at a time
 * per id, replies stamped with the runner's clock the moment their line is
 * read, notes handed to a callback in stream order (so a note always arrives
 * before the answer of the call that caused it).
 */
import { createConnection, type Socket } from 'node:net';
import type { TcpInfo } from '../../tcp/api.js';
import type { Profile } from '../profile.js';
import type { SyscallSpec } from '../script.js';
import type { AgentReply, AgentRequest } from './protocol.js';

export type CallAnswer = Exclude<AgentReply, { kind: 'note' } | { kind: 'info' }>;
export type Stamped<T> = T & { at: number };
export type Note = Extract<AgentReply, { kind: 'note' }>;

interface Waiter {
  first: (r: Stamped<AgentReply>) => void;
  final?: (r: Stamped<AgentReply>) => void;
  firstDone: boolean;
}

export class AgentClient {
  private nextId = 1;
  private readonly waiters = new Map<number, Waiter>();
  private buf = '';
  private closedWhy: string | undefined;
  onNote: (n: Note) => void = () => {};
  /** Called after any line is processed (the interpreter's wake-up). */
  onActivity: () => void = () => {};

  private constructor(
    private readonly sock: Socket,
    private readonly now: () => number,
  ) {
    sock.setEncoding('utf8');
    sock.on('data', (c: string) => this.data(c));
    sock.on('error', (e) => this.lost(`agent connection error: ${e.message}`));
    sock.on('close', () => this.lost('agent connection closed (did tunstack exit?)'));
  }

  static connect(path: string, now: () => number): Promise<AgentClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      s.once('connect', () => {
        s.removeListener('error', reject);
        resolve(new AgentClient(s, now));
      });
      s.once('error', reject);
    });
  }

  /** A system call: `first` is its immediate answer (result, blocked, unsupported, error); `final` its completion. */
  call(spec: SyscallSpec, afterRx = 0): { first: Promise<Stamped<CallAnswer>>; final: Promise<Stamped<CallAnswer>> } {
    const id = this.nextId++;
    let first!: (r: Stamped<AgentReply>) => void;
    let final!: (r: Stamped<AgentReply>) => void;
    const pf = new Promise<Stamped<AgentReply>>((r) => (first = r));
    const pl = new Promise<Stamped<AgentReply>>((r) => (final = r));
    this.waiters.set(id, { first, final, firstDone: false });
    this.write({ id, op: 'call', call: spec, afterRx });
    return { first: pf as Promise<Stamped<CallAnswer>>, final: pl as Promise<Stamped<CallAnswer>> };
  }

  async info(fd: number, afterRx = 0): Promise<TcpInfo | undefined> {
    const id = this.nextId++;
    const p = new Promise<Stamped<AgentReply>>((first) => this.waiters.set(id, { first, firstDone: false }));
    this.write({ id, op: 'info', fd, afterRx });
    const r = await p;
    return r.kind === 'info' && r.info ? r.info : undefined;
  }

  /** Have the agent build this script's stack (`started`), or discard it (`ended`); anything else is the reason it did not. */
  async start(profile: Profile, timeScale = 1): Promise<void> {
    await this.control({ id: this.nextId++, op: 'start', profile, timeScale }, 'started');
  }

  async end(): Promise<void> {
    await this.control({ id: this.nextId++, op: 'end' }, 'ended');
  }

  private async control(req: Extract<AgentRequest, { op: 'start' | 'end' }>, want: 'started' | 'ended'): Promise<void> {
    const p = new Promise<Stamped<AgentReply>>((first) => this.waiters.set(req.id, { first, firstDone: false }));
    this.write(req);
    const r = await p;
    if (r.kind !== want) throw new Error(`agent ${req.op} failed: ${r.kind === 'error' ? r.message : JSON.stringify(r)}`);
  }

  close(): void {
    this.closedWhy ??= 'closed by the runner';
    this.sock.destroy();
  }

  private write(req: AgentRequest): void {
    if (this.closedWhy) this.settleAll(this.closedWhy);
    else this.sock.write(`${JSON.stringify(req)}\n`);
  }

  private data(chunk: string): void {
    this.buf += chunk;
    for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line.trim()) this.line(line);
    }
    this.onActivity();
  }

  private line(text: string): void {
    let r: AgentReply;
    try {
      r = JSON.parse(text) as AgentReply;
    } catch {
      return;
    }
    const stamped = { ...r, at: this.now() };
    if (r.kind === 'note') return this.onNote(r);
    const w = this.waiters.get(r.id);
    if (!w) return;
    if (!w.firstDone) {
      w.firstDone = true;
      w.first(stamped);
    }
    if (r.kind !== 'blocked') {
      this.waiters.delete(r.id);
      w.final?.(stamped);
    }
  }

  private lost(why: string): void {
    this.closedWhy ??= why;
    this.settleAll(this.closedWhy);
    this.onActivity();
  }

  private settleAll(why: string): void {
    for (const [id, w] of this.waiters) {
      const r = { id, kind: 'error' as const, message: why, at: this.now() };
      if (!w.firstDone) w.first(r);
      w.final?.(r);
    }
    this.waiters.clear();
  }
}
