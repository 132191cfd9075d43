/**
 * Wire mode's event loop: the same script model, flow table, inbound builder
 * and comparator as the in-process interpreter (../interpreter.ts), but in
 * REAL time against a separate tunstack process. Inbound packets are sent
 * through the peer (a packet socket on the TUN's kernel side) at their
 * scripted time; outbound ones are timestamped when the peer receives them
 * and compared in order; system calls go to the agent inside the process.
 * Times in messages are script time: ms since the run started.
 */
import type { Clock } from '../../time/clock.js';
import { formatIpv4 } from '../../wire/ip-address.js';
import { checkTime, flagText, fmtS, timeWindow, type CompareOptions } from '../comparator.js';
import { buildInboundAll } from '../inbound.js';
import { FlowTable, MISSING_GRACE_MS, ScriptFailure } from '../interpreter.js';
import { decodeDatagram } from '../packet.js';
import { ScriptUnsupported } from '../parser.js';
import type { Profile } from '../profile.js';
import type { PacketSpec, Script, ScriptEvent, SyscallSpec } from '../script.js';
import { checkResult } from '../syscalls.js';
import { FdMap } from '../fds.js';
import { evalTcpInfoBlock } from '../tcpinfo.js';
import { resolveTime, type ResolvedTime, type TracePacket } from '../trace.js';
import type { AgentClient, CallAnswer, Stamped } from './agent-client.js';

/** How long to wait for a `*` outbound packet before calling it missing (wire mode: bounded by the run). */
const ANY_TIME_WAIT_MS = 10_000;
/** After the last event, how long outbound packets still count as "sent during the script" for the extra-packet check. */
const END_SETTLE_MS = 10;

/** A datagram the kernel transmitted, in plain terms (it is in nobody's script sequence space). */
function describeKernel(bytes: Buffer): string {
  const d = decodeDatagram(bytes);
  if (typeof d === 'string') return `a malformed datagram (${d})`;
  const from = formatIpv4(d.src);
  const to = formatIpv4(d.dst);
  if (d.tcp) return `TCP ${from}:${d.tcp.srcPort} > ${to}:${d.tcp.dstPort} flags ${flagText(d.tcp.flags)} seq ${d.tcp.seq >>> 0}`;
  return `IP protocol ${d.protocol} ${from} > ${to}`;
}

export interface Peer {
  send(datagram: Buffer): void;
}

interface Pending {
  ev: ScriptEvent;
  call: SyscallSpec;
  start: number;
  end: number;
  done?: Stamped<CallAnswer>;
}

export class WireInterpreter {
  private readonly flows: FlowTable;
  private readonly captured: TracePacket[] = [];
  private readonly kernelPackets: Buffer[] = [];
  private outIdx = 0;
  private last = 0;
  private t0 = 0;
  private pending: Pending | undefined;
  private readonly fds = new FdMap();
  /** Datagrams injected so far (the agent's ordering barrier, see protocol.ts). */
  private injected = 0;
  private wake: (() => void) | undefined;

  constructor(
    private readonly script: Script,
    private readonly profile: Profile,
    private readonly cmp: CompareOptions,
    private readonly peer: Peer,
    private readonly agent: AgentClient,
    private readonly clock: Clock,
  ) {
    this.flows = new FlowTable(profile, cmp);
    agent.onNote = (n) => {
      if (n.note === 'listen') this.flows.noteListen(n.localPort);
      else this.flows.noteConnection(n.note, n.localPort, n.remotePort).fd = n.fd;
    };
    agent.onActivity = () => this.poke();
  }

  /** Feed datagrams the peer captured (call from the packet socket's callback). */
  capture(packets: Buffer[]): void {
    const time = this.now();
    for (const bytes of packets) this.captured.push({ time, bytes });
    this.poke();
  }

  /** The kernel itself transmitted on the TUN: its TCP/ICMP answered tunstack, so the peer is not the script alone. */
  kernelSent(packets: Buffer[]): void {
    this.kernelPackets.push(...packets);
    this.poke();
  }

  private now(): number {
    return this.clock.now() - this.t0;
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Resolve when something arrives (packet, agent line) or at script time `at`, whichever is first. */
  private waitEvent(at: number): Promise<void> {
    if (this.now() >= at) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(this.t0 + at, () => {
        this.wake = undefined;
        resolve();
      });
      this.wake = () => {
        timer.cancel();
        resolve();
      };
    });
  }

  private async sleepUntil(at: number): Promise<void> {
    while (this.now() < at) {
      await this.waitEvent(at);
      this.checkPending();
    }
  }

  /** Run to the end; throws ScriptFailure on the first mismatch, ScriptUnsupported for a SKIP. */
  async run(): Promise<void> {
    this.t0 = this.clock.now();
    if (this.captured.length > 0) throw new ScriptFailure(`tunstack sent ${this.captured.length} packet(s) before the script started: ${this.flows.describe(this.captured[0].bytes)}`);
    for (const ev of this.script.events) {
      this.checkPending();
      const t = resolveTime(ev.time, this.last);
      const b = ev.body;
      if (b.type === 'packet') {
        if (b.packet.dir === '<') await this.inbound(b.packet, t);
        else await this.outbound(ev, b.packet, t);
      } else if (b.type === 'syscall') await this.syscall(ev, b.call, t);
      else if (b.type === 'code') {
        await this.sleepUntil(t.at);
        const fd = this.flows.cur?.fd;
        const why = evalTcpInfoBlock(b.code, fd === undefined ? undefined : await this.agent.info(fd, this.injected));
        if (why) this.fail(ev, why);
        this.last = t.at;
      } else this.last = t.at; // commands were applied to the profile before tunstack started (setup.ts)
    }
    if (this.pending) await this.awaitPending();
    await this.sleepUntil(this.now() + END_SETTLE_MS);
    this.checkPending();
    // packetdrill never reads what the stack sends after the last line; what it sent before that and nobody matched is a failure.
    const p = this.captured[this.outIdx];
    if (p && p.time < this.last) throw new ScriptFailure(`unexpected extra outbound packet at ${fmtS(p.time)}: ${this.flows.describe(p.bytes)}`);
  }

  private fail(ev: ScriptEvent, msg: string): never {
    throw new ScriptFailure(`line ${ev.line} at ${fmtS(this.now())}: ${msg}\n    script: ${ev.text.replace(/\s+/g, ' ')}`);
  }

  private async inbound(spec: PacketSpec, t: ResolvedTime): Promise<void> {
    await this.sleepUntil(t.at);
    const flow = this.flows.inboundFlow(spec);
    if (typeof flow === 'string') throw new ScriptFailure(flow);
    for (const d of buildInboundAll(spec, flow, this.profile)) {
      this.peer.send(d);
      this.injected++;
    }
    this.last = t.at;
  }

  private async outbound(ev: ScriptEvent, spec: PacketSpec, t: ResolvedTime): Promise<void> {
    const [, hi] = timeWindow(ev.time, t.at, t.rangeEnd, this.last, this.cmp);
    const deadline = ev.time.kind === 'any' ? this.now() + ANY_TIME_WAIT_MS : Math.max(hi, t.rangeEnd ?? t.at) + MISSING_GRACE_MS;
    let progress = 0;
    for (;;) {
      const p = await this.awaitPacket(deadline);
      if (!p) this.fail(ev, `missing outbound packet (waited until ${fmtS(this.now())})`);
      this.outIdx++;
      const r = this.flows.matchOutbound(spec, p, progress);
      if (typeof r === 'string') this.fail(ev, r);
      progress += r.consumed;
      const late = checkTime(ev.time, t.at, t.rangeEnd, p.time, this.last, this.cmp);
      if (late) this.fail(ev, `${late}; actual: ${this.flows.describe(p.bytes)}`);
      if (r.done) {
        this.last = ev.time.kind === 'any' || t.rangeEnd !== undefined ? p.time : t.at;
        return;
      }
    }
  }

  private async awaitPacket(deadline: number): Promise<TracePacket | undefined> {
    for (;;) {
      this.checkPending();
      const p = this.captured[this.outIdx];
      if (p || this.now() >= deadline) return p;
      await this.waitEvent(deadline);
    }
  }

  private async syscall(ev: ScriptEvent, call: SyscallSpec, t: ResolvedTime): Promise<void> {
    if (this.pending) await this.awaitPending();
    await this.sleepUntil(t.at);
    const issued = this.now();
    const live = this.fds.toLive(call);
    if (typeof live === 'string') this.fail(ev, live);
    const { first, final } = this.agent.call(live, this.injected);
    const r = await first;
    const end = t.blockingEnd ?? t.at;
    if (r.kind === 'unsupported') throw new ScriptUnsupported(r.reason);
    if (r.kind === 'error') this.fail(ev, `agent: ${r.message}`);
    if (r.kind === 'blocked') {
      const p: Pending = { ev, call, start: t.at, end };
      this.pending = p;
      void final.then((done) => {
        p.done = done;
        this.poke();
      });
    } else {
      // packetdrill checks a call that does not block at the time it was made
      // (run_system_call.c), so the agent's round trip is not counted against it.
      this.finishCall(ev, call, t.blockingEnd === undefined ? { ...r, at: this.t0 + issued } : r, t.at, end);
    }
    this.last = t.at;
  }

  /** A blocking call that completed: check its result and when it returned (and that the kernel kept out of the way). */
  private checkPending(): void {
    const k = this.kernelPackets[0];
    if (k) throw new ScriptFailure(`wire setup broken: the namespace's kernel itself sent tunstack ${describeKernel(k)}; is forwarding on, or the remote address local?`);
    const p = this.pending;
    if (!p?.done) return;
    this.pending = undefined;
    this.finishCall(p.ev, p.call, p.done, p.start, p.end);
  }

  private finishCall(ev: ScriptEvent, call: SyscallSpec, r: Stamped<CallAnswer>, start: number, end: number): void {
    if (r.kind === 'unsupported') throw new ScriptUnsupported(r.reason);
    if (r.kind === 'error') this.fail(ev, `agent: ${r.message}`);
    if (r.kind !== 'result') this.fail(ev, `agent answered ${r.kind} for a completed call`);
    const mapped = this.fds.fromLive(call, r);
    if (typeof mapped === 'string') this.fail(ev, mapped);
    if (call.name === 'socket' && mapped.ret >= 0) this.flows.noteSocketCreated();
    const bad = checkResult(call, mapped);
    if (bad) this.fail(ev, bad);
    const late = checkTime({ kind: 'absolute', at: end }, end, undefined, r.at - this.t0, start, this.cmp);
    if (late) this.fail(ev, `${call.name}() returned at the wrong time: ${late}`);
  }

  private async awaitPending(): Promise<void> {
    const p = this.pending;
    if (!p) return;
    const [, hi] = timeWindow({ kind: 'absolute', at: p.end }, p.end, undefined, p.start, this.cmp);
    const deadline = hi + MISSING_GRACE_MS;
    while (!p.done && this.now() < deadline) await this.waitEvent(deadline);
    if (!p.done) this.fail(p.ev, `${p.call.name}() still blocked at ${fmtS(this.now())}; expected it to return at ${fmtS(p.end)}`);
    this.checkPending();
  }
}
