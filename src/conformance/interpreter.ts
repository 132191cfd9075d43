/**
 * Runs one parsed script against the stack in virtual time, event by event:
 * inbound packets are injected at their scripted time, outbound ones are
 * awaited (up to their time plus 2 s) and compared, system calls go through
 * the BSD layer, blocking calls complete in the background while later events
 * run (packetdrill's syscall thread), and `%{ }%` blocks are evaluated against
 * a TCP_INFO snapshot. The first mismatch ends the script.
 */
import { VirtualClock } from '../time/virtual-clock.js';
import { SeededRng } from '../util/random.js';
import { BsdLayer, WOULD_BLOCK, type BsdSocket, type SysOutcome } from './bsd.js';
import { checkTime, compareSegment, fmtS, formatSegment, newSeqMap, timeWindow, type CompareOptions, type SeqMap } from './comparator.js';
import { CaptureLink, type StackFactory } from './harness.js';
import { FdMap } from './fds.js';
import { buildInboundAll, checkNonTcp } from './inbound.js';
import { decodeDatagram } from './packet.js';
import type { Profile } from './profile.js';
import { ECN_FIELD, type PacketSpec, type Script, type ScriptEvent, type SyscallSpec } from './script.js';

/** The IP ECN field's values as packetdrill writes them. */
const ECN_NAMES = ['[noecn]', '[ect1]', '[ect0]', '[ce]'];
import { checkResult, startSyscall, type SyscallOp } from './syscalls.js';
import { evalTcpInfoBlock } from './tcpinfo.js';
import { resolveTime, type ResolvedTime } from './trace.js';

/** A connection as the script sees it (packetdrill's per-socket script/live mapping). */
export interface Flow {
  localPort: number;
  remotePort: number;
  map: SeqMap;
  passive: boolean;
  accepted: boolean;
  /** Sequence number of the peer SYN that created the flow (a retransmitted SYN reuses it). */
  synSeq?: number;
  sock?: BsdSocket;
  /** The socket's descriptor in the wire agent (wire mode has no local BsdSocket). */
  fd?: number;
}

export class ScriptFailure extends Error {}

interface Pending {
  ev: ScriptEvent;
  call: SyscallSpec;
  op: SyscallOp;
  start: number;
  end: number;
}

/** How long to wait for a `*` outbound packet before calling it missing. */
const ANY_TIME_WAIT_MS = 600_000;
/** packetdrill: a missing outbound packet fails 2 s after its scripted time. */
export const MISSING_GRACE_MS = 2_000;
const MAX_TIMER_STEPS = 1_000_000;
/** packetdrill waits this long for a blocking call to go idle (run_system_call.c MAX_WAIT_SECS). */
const AWAIT_IDLE_MS = 1_000;

export class Interpreter {
  readonly clock = new VirtualClock();
  readonly link: CaptureLink;
  readonly bsd: BsdLayer;
  private readonly flows: FlowTable;
  private last = 0;
  private outIdx = 0;
  private pending: Pending | undefined;
  private readonly fds = new FdMap();

  constructor(
    private readonly script: Script,
    private readonly profile: Profile,
    private readonly cmp: CompareOptions,
    factory: StackFactory,
    seed: number,
  ) {
    this.link = new CaptureLink(this.clock, profile.mtu);
    const stack = factory({ link: this.link, clock: this.clock, rng: new SeededRng(seed), profile });
    this.bsd = new BsdLayer(stack.tcp, profile.localAddr);
    this.flows = new FlowTable(profile, cmp);
  }

  /** Run to the end; throws ScriptFailure on the first mismatch, ScriptUnsupported for a SKIP. */
  run(): void {
    for (const ev of this.script.events) {
      const t = resolveTime(ev.time, this.last);
      const b = ev.body;
      if (b.type === 'packet') {
        if (b.packet.dir === '<') this.inbound(ev, b.packet, t);
        else this.outbound(ev, b.packet, t);
      } else if (b.type === 'syscall') this.syscall(ev, b.call, t);
      else if (b.type === 'code') {
        this.advanceTo(t.at);
        const why = evalTcpInfoBlock(b.code, this.flows.cur?.sock?.conn?.info());
        if (why) this.fail(ev, why);
        this.last = t.at;
      } else this.last = t.at; // commands were applied before the run (setup.ts)
    }
    if (this.pending) this.awaitIdle('exiting while a blocking system call is in progress');
    // packetdrill never reads what the stack sends after the script's last line (its time or later);
    // a packet sent before that which no line matched is a failure.
    const p = this.link.sent[this.outIdx];
    if (p && p.time < this.last) {
      throw new ScriptFailure(`unexpected extra outbound packet at ${fmtS(p.time)}: ${this.flows.describe(p.bytes)}`);
    }
  }

  private fail(ev: ScriptEvent, msg: string): never {
    throw new ScriptFailure(`line ${ev.line} at ${fmtS(this.clock.now())}: ${msg}\n    script: ${ev.text.replace(/\s+/g, ' ')}`);
  }

  /** Move virtual time to `t`, firing timers in order and completing a pending blocking call as soon as it can. */
  private advanceTo(t: number): void {
    for (let spins = 0; ; spins++) {
      this.guard(spins);
      this.pollPending();
      const next = this.nextWake();
      if (next === undefined || next > t) break;
      this.clock.runUntil(next);
    }
    this.clock.runUntil(Math.max(t, this.clock.now()));
    this.pollPending();
  }

  /** A stack that re-arms a timer at the same instant forever would hang the runner: fail instead. */
  private guard(spins: number): void {
    if (spins > MAX_TIMER_STEPS) throw new ScriptFailure(`the stack fired over ${MAX_TIMER_STEPS} timers without time reaching the next event (at ${fmtS(this.clock.now())})`);
  }

  private nextWake(): number | undefined {
    const a = this.clock.nextAt();
    const b = this.pending?.op.timeoutAt;
    if (a === undefined) return b;
    return b === undefined ? a : Math.min(a, b);
  }

  private pollPending(): void {
    const p = this.pending;
    if (!p) return;
    const r = p.op.poll(true);
    if (r === WOULD_BLOCK) return;
    this.pending = undefined;
    this.finishCall(p.ev, p.call, r, p.start, p.end);
  }

  private finishCall(ev: ScriptEvent, call: SyscallSpec, live: Exclude<SysOutcome, typeof WOULD_BLOCK>, start: number, end: number): void {
    const r = this.fds.fromLive(call, live);
    if (typeof r === 'string') this.fail(ev, r);
    if (call.name === 'socket' && r.ret >= 0) this.flows.noteSocketCreated();
    const bad = checkResult(call, r);
    if (bad) this.fail(ev, bad);
    const late = checkTime({ kind: 'absolute', at: end }, end, undefined, this.clock.now(), start, this.cmp);
    if (late) this.fail(ev, `${call.name}() returned at the wrong time: ${late}`);
  }

  /**
   * packetdrill's await_idle_thread (run_system_call.c): at the next system
   * call, and at the end of the script, a blocking call still in progress gets
   * at most 1 s more to return; then the script fails with packetdrill's message.
   */
  private awaitIdle(why: string): void {
    const p = this.pending;
    if (!p) return;
    this.advanceTo(this.clock.now() + AWAIT_IDLE_MS);
    if (this.pending) this.fail(p.ev, `${why}: ${p.call.name}() still blocked at ${fmtS(this.clock.now())}; expected it to return at ${fmtS(p.end)}`);
  }

  private syscall(ev: ScriptEvent, call: SyscallSpec, t: ResolvedTime): void {
    this.advanceTo(t.at);
    if (this.pending) this.awaitIdle('blocking system call while another blocking system call is already in progress');
    const live = this.fds.toLive(call);
    if (typeof live === 'string') this.fail(ev, live);
    const op = startSyscall(live, {
      bsd: this.bsd,
      profile: this.profile,
      now: () => this.clock.now(),
      noteSocket: (kind, s) => this.noteSocket(kind, s),
    });
    const r = op.poll(false);
    const end = t.blockingEnd ?? t.at;
    if (r === WOULD_BLOCK) this.pending = { ev, call, op, start: t.at, end };
    else this.finishCall(ev, call, r, t.at, end);
    this.last = t.at;
  }

  private noteSocket(kind: 'listen' | 'accept' | 'connect', s: BsdSocket): void {
    if (kind === 'listen') this.flows.noteListen(s.listener?.localPort);
    else if (s.conn) this.flows.noteConnection(kind, s.conn.localPort, s.conn.remotePort).sock = s;
  }

  private inbound(ev: ScriptEvent, spec: PacketSpec, t: ResolvedTime): void {
    this.advanceTo(t.at);
    const flow = this.flows.inboundFlow(spec);
    if (typeof flow === 'string') this.fail(ev, flow);
    if (!this.link.inject(...buildInboundAll(spec, flow, this.profile))) this.fail(ev, 'the stack registered no receive handler on its link');
    this.pollPending();
    this.last = t.at;
  }

  private outbound(ev: ScriptEvent, spec: PacketSpec, t: ResolvedTime): void {
    const [, hi] = timeWindow(ev.time, t.at, t.rangeEnd, this.last, this.cmp);
    const deadline = ev.time.kind === 'any' ? this.clock.now() + ANY_TIME_WAIT_MS : Math.max(hi, t.rangeEnd ?? t.at) + MISSING_GRACE_MS;
    let progress = 0;
    let done = spec.proto !== 'tcp';
    for (;;) {
      const p = this.awaitPacket(deadline);
      if (!p) this.fail(ev, `missing outbound packet (waited until ${fmtS(this.clock.now())})`);
      this.outIdx++;
      const r = this.flows.matchOutbound(spec, p, progress);
      if (typeof r === 'string') this.fail(ev, r);
      progress += r.consumed;
      done = r.done;
      const late = checkTime(ev.time, t.at, t.rangeEnd, p.time, this.last, this.cmp);
      if (late) this.fail(ev, `${late}; actual: ${this.flows.describe(p.bytes)}`);
      if (done) {
        this.last = ev.time.kind === 'any' || t.rangeEnd !== undefined ? p.time : t.at;
        return;
      }
    }
  }

  private awaitPacket(deadline: number): { time: number; bytes: Buffer } | undefined {
    for (let spins = 0; ; spins++) {
      this.guard(spins);
      const p = this.link.sent[this.outIdx];
      if (p) return p;
      const next = this.nextWake();
      if (next === undefined || next > deadline) {
        this.advanceTo(deadline);
        return this.link.sent[this.outIdx];
      }
      this.clock.runUntil(next);
      this.pollPending();
    }
  }
}

/**
 * The script's connections and their script/live mappings, shared by the
 * in-process interpreter and wire mode (src/conformance/wire/): which flow an
 * inbound line belongs to, which flow an outbound datagram maps through, and
 * the per-datagram outbound check.
 */
export class FlowTable {
  readonly all: Flow[] = [];
  cur: Flow | undefined;
  private listenPort: number | undefined;
  private nextRemotePort = 40_000;
  /** The socket under test listens: the next inbound TCP packet opens a new connection. */
  private listening = false;
  private sockets = 0;

  constructor(
    private readonly profile: Profile,
    private readonly cmp: CompareOptions,
  ) {}

  noteListen(localPort: number | undefined): void {
    this.listenPort = localPort ?? this.profile.port;
    this.listening = true;
  }

  /** accept() returned or connect() sent its SYN: that connection becomes the current flow. */
  noteConnection(kind: 'accept' | 'connect', localPort: number, remotePort: number): Flow {
    let f = this.all.find((x) => x.localPort === localPort && x.remotePort === remotePort);
    if (!f) {
      f = { localPort, remotePort, map: newSeqMap(), passive: kind === 'accept', accepted: false };
      this.all.push(f);
    }
    if (kind === 'accept') f.accepted = true;
    else this.listening = false;
    this.cur = f;
    return f;
  }

  /** socket() returned: packetdrill's socket under test is now that (unconnected) socket. */
  noteSocketCreated(): void {
    this.sockets++;
    this.listening = false;
    this.cur = undefined;
  }

  /**
   * The flow an inbound packet belongs to, as packetdrill's single "socket
   * under test" (run_packet.c find_or_create_socket_for_script_packet): a TCP
   * packet while that socket listens (or before any socket) creates a new
   * child connection that becomes the socket under test; every other packet
   * goes to the socket under test, a second SYN included. A UDP or ICMP
   * packet before any socket exists has no socket to belong to: a string,
   * packetdrill's error.
   */
  inboundFlow(spec: PacketSpec): Flow | string {
    const c = this.cur;
    if (spec.proto !== 'tcp') {
      if (c) return c;
      return this.sockets === 0 ? 'no matching socket for script packet' : this.newFlow();
    }
    if (!c || this.listening) {
      const f = this.newFlow();
      if ((spec.flags & 0x12) === 0x02) f.synSeq = spec.seq;
      return f;
    }
    if ((spec.flags & 0x12) === 0x02 && !c.passive && c.synSeq === undefined) c.synSeq = spec.seq;
    return c;
  }

  private newFlow(): Flow {
    this.listening = false;
    const f: Flow = {
      localPort: this.listenPort ?? this.profile.port,
      remotePort: this.nextRemotePort++,
      map: newSeqMap(),
      passive: true,
      accepted: false,
    };
    this.all.push(f);
    this.cur = f;
    return f;
  }

  outboundFlow(srcPort: number, dstPort: number): Flow {
    const f = this.all.find((x) => x.localPort === srcPort && x.remotePort === dstPort);
    if (f) return f;
    // A reply to no connection (e.g. RST to a closed port) still maps through the current flow.
    return this.cur ?? { localPort: srcPort, remotePort: dstPort, map: newSeqMap(), passive: false, accepted: false };
  }

  /** Check one outbound datagram against a scripted `>` line of which `progress` bytes already matched; a string is the mismatch. */
  matchOutbound(spec: PacketSpec, p: { time: number; bytes: Buffer }, progress: number): { consumed: number; done: boolean } | string {
    const d = decodeDatagram(p.bytes);
    if (typeof d === 'string') return `malformed outbound datagram: ${d}`;
    if (d.src !== this.profile.localAddr || d.dst !== this.profile.remoteAddr) {
      return `outbound packet addressed ${d.src >>> 0}->${d.dst >>> 0}, expected local->remote: ${this.describe(p.bytes)}`;
    }
    if (spec.proto !== 'tcp') {
      const bad = checkNonTcp(spec, d);
      return bad ? `${bad}; actual: ${this.describe(p.bytes)}` : { consumed: 0, done: true };
    }
    if (!d.tcp) return `expected a TCP segment, got ${d.error ?? `IP protocol ${d.protocol}`}`;
    const seg = d.tcp;
    const flow = this.outboundFlow(seg.srcPort, seg.dstPort);
    if (spec.ecn !== undefined && !ECN_FIELD[spec.ecn].includes(d.ecn)) {
      return `IP ECN field: expected [${spec.ecn}] vs actual ${ECN_NAMES[d.ecn]}\n    actual: ${formatSegment(seg, flow.map)} at ${fmtS(p.time)}`;
    }
    const r = compareSegment(spec, seg, flow.map, this.cmp, progress, p.time);
    if (r.error) return `${r.error}\n    actual: ${formatSegment(seg, flow.map)} at ${fmtS(p.time)}`;
    return r;
  }

  describe(bytes: Buffer): string {
    const d = decodeDatagram(bytes);
    if (typeof d === 'string') return d;
    if (!d.tcp) return `IP protocol ${d.protocol}, ${d.payload.length} bytes${d.error ? ` (${d.error})` : ''}`;
    return formatSegment(d.tcp, this.outboundFlow(d.tcp.srcPort, d.tcp.dstPort).map);
  }
}
