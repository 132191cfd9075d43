/**
 * One TCP connection: owns the TCB, buffers, estimator, congestion control
 * and timers, and implements the application contract (TcpConnection).
 * The work is split by role (gVisor tcp/{connect,snd,rcv}.go): lifecycle.ts
 * (open, state changes, close), sender.ts (send buffer, window, MSS, RTT
 * samples), receiver.ts (reads, window updates, deferred ACKs),
 * timer-slots.ts (arming and the wake-up); segment processing is input.ts,
 * emission output.ts.
 *
 * Timers are deadline fields (one slot for retransmit/persist/FIN_WAIT_2,
 * one for delayed ACK, one for keepalive) with at most one clock wake-up
 * armed: moving a deadline later does not touch it, an earlier deadline
 * re-arms, and a wake-up that finds nothing due just re-arms (gVisor
 * tcp/timer.go, smoltcp's Timer).
 */
import { RcvWindow, lockRcvBuf } from './rcv-window.js';
import type { Timer } from '../time/clock.js';
import type { TcpRepr } from '../wire/tcp.js';
import type { ConnectionHandler, SocketParams, TcpConnection, TcpErrorCode, TcpInfo, TcpState } from './api.js';
import type { FourTuple, HandshakeResult, TcpEnv } from './env.js';
import { createController } from './congestion/index.js';
import { DeliveryRate } from './delivery-rate.js';
import { Pacer } from './pacing.js';
import type { CongestionController } from './congestion/types.js';
import { connectionInfo } from './info.js';
import { segmentArrives } from './input.js';
import {
  abortConnection,
  becomeEstablished,
  closeConnection,
  enterState,
  failConnection,
  finishConnection,
  resetAndClose,
  resetOnData,
  shutdownWrite,
  startActiveOpen,
  startFromHandshake,
} from './lifecycle.js';
import { sendRst, transmit } from './output.js';
import { ReceiveBuffer } from './reassembly/receive-buffer.js';
import { flushDeferredAck, noteReceived, readData, setQuickAck } from './receiver.js';
import { LossRecovery } from './recovery.js';
import { RttEstimator, RttTiming } from './rtt.js';
import { SackScoreboard } from './sack-scoreboard.js';
import { SendBuffer } from './send-buffer.js';
import { seqGt } from './seq.js';
import { pathMtuChanged, sampleHandshakeRtt, sampleTs, sendData, setCongestionControl, setMss, setSendWindow } from './sender.js';
import { AckState } from './ack-policy.js';
import { Tcb } from './tcb.js';
import { armPersist, armRetransmit, fireDueTimers } from './timer-slots.js';
import { ConnectionTrace } from './trace.js';
import { CompactFields } from './compact-fields.js';
import { EcnState, ecnOnSegment } from './ecn.js';
import { SND_BUF_FLOOR, TCP_MEM_PAGE } from './memory.js';

const NOOP_HANDLER: ConnectionHandler = Object.freeze({
  onConnect() {},
  onReadable() {},
  onWritable() {},
  onError() {},
  onClose() {},
});

type SlotKind = 'none' | 'rtx' | 'persist' | 'finwait2';

/** Shared empty payload: a Buffer per idle connection would cost a few hundred bytes (bench:scale). */
const NO_DATA = Buffer.alloc(0);

export class Connection extends CompactFields implements TcpConnection {
  readonly tcb = new Tcb();
  readonly snd = new SendBuffer();
  readonly rcv = new ReceiveBuffer();
  readonly rtt: RttEstimator;
  readonly timing = new RttTiming();
  readonly recovery = new LossRecovery(this.tcb);
  readonly sack = new SackScoreboard();
  /** RFC 3168 state (ecn.ts). */
  readonly ecn = new EcnState();
  /** Delivery-rate samples and pacing, used when the controller has congControl (BBR; cong-control.ts). */
  readonly rate = new DeliveryRate();
  readonly pacer = new Pacer();
  cc: CongestionController;
  /** [start, end) pairs a path MTU drop deemed lost and not yet resent (pmtu-retransmit.ts). */
  pmtuLost: number[] | undefined;
  /** Segments retransmitted on this connection (the per-connection RetransSegs; D-SACK undo counts against it). */
  retransSegs = 0;
  /** Congestion trace of this connection, when the stack asked for one (trace.ts). */
  readonly trace: ConnectionTrace | undefined;
  handler: ConnectionHandler;

  noDelay = false;
  /**
   * Ends of sent data segments that carried PSH for being the tail of a write
   * or a forced push, ascending, above SND.UNA: Linux keeps that PSH in the
   * skb (tcp_mark_push), so a retransmission covering one carries it again.
   */
  pushEnds: number[] = [];
  /** An ACK is owed now (out-of-order data, FIN, second full segment...). */
  ackPending = false;
  /** TCP_CORK: hold runts and the FIN until uncork() (output.ts transmit). */
  corked = false;
  /** The pending ACK is only the every-second-segment one for in-order data (may wait for the batch end). */
  ackDeferrable = false;
  /** Already queued on the layer's batch-end list. */
  ackDeferred = false;
  /** Output owed at the end of the current receive batch (TcpEnv.deferOutput, output.ts transmitSoon). */
  outputDeferred = false;
  /** Delayed-ACK engine state (Linux icsk_ack; ack-policy.ts). */
  readonly acks = new AckState();
  /** Estimated size of the peer's full segments (Linux rcv_mss), for delayed ACK. */
  rcvMss = 536;
  /** How far the receive window may open: rcv_ssthresh and the autotuned buffer (rcv-window.ts). */
  readonly rwin = new RcvWindow();
  peerOfferedWscale = false;
  /** Segment being processed, trimmed to the window (input.ts scratch, no per-segment object): inSeq, inAck (below), */
  inData: Buffer = NO_DATA;
  inFin = false;
  /** TSval carried by our latest retransmission (RTT samples must echo it or later). */
  lastRtxTsVal: number | undefined;
  /** Sequence number of a FIN received beyond a hole, or -1. */
  oooFinSeq = -1;

  // Timer deadlines (ms, absolute; Infinity = off): rtxAt, delackAt, kaAt (below).
  rtxKind: SlotKind = 'none';
  private armed: Timer | undefined;
  persistBackoff = 0;
  probesOut = 0;
  /** When the first zero-window probe of this episode went out, -1 if none (Linux icsk_probes_tstamp). */
  probesStartedAt = -1;
  keepAlive = false;
  keepAliveIdle: number;
  /** TCP_KEEPINTVL / TCP_KEEPCNT (Linux per-socket overrides of the sysctls), ms and count. */
  keepAliveInterval: number;
  keepAliveProbes: number;
  kaProbes = 0;
  userTimeout = 0;
  lastRecvAt: number;
  synSentAt = 0;
  /** The 'rtx' slot holds a tail loss probe due before the RTO deadline `rtoAt`; whether one is out (loss-probe.ts). */
  probeArmed = false;
  /** rtoAt, and reoAt: the RACK reordering timer deadline (RFC 8985 §6.3), served from the same slot before the RTO (rack.ts); below. */
  probeOut = false;
  /** When the oldest unacknowledged data was (about) first sent: the user timeout's origin. */
  headSentAt = 0;
  wantWritable = false;
  /** Receive and send buffer sizes (options.rcvBuf/sndBuf unless SO_RCVBUF/SO_SNDBUF set them). */
  rcvBuf: number;
  sndBuf: number;
  /** TCP_MAXSEG before the handshake (Linux user_mss), if set. */
  maxSeg: number | undefined;
  /** An ICMP error seen on a synchronized connection (Linux sk_err_soft): reported instead of ETIMEDOUT. */
  softError: TcpErrorCode | undefined;
  private closed = false;

  private constructor(
    readonly env: TcpEnv,
    tuple: FourTuple,
    handler: ConnectionHandler,
  ) {
    super();
    const o = env.options;
    this.handler = handler;
    this.tcb.localAddr = tuple.localAddr;
    this.tcb.localPort = tuple.localPort;
    this.tcb.remoteAddr = tuple.remoteAddr;
    this.tcb.remotePort = tuple.remotePort;
    this.rtt = new RttEstimator(o.rtoMin, o.rtoMax, o.rtoInitial);
    this.cc = createController(o.congestionControl, o.initialCwndSegments, env.rng);
    this.rcvBuf = o.rcvBuf;
    this.sndBuf = o.sndBuf;
    this.keepAliveIdle = o.keepAliveIdle;
    this.keepAliveInterval = o.keepAliveInterval;
    this.keepAliveProbes = o.keepAliveProbes;
    this.lastRecvAt = env.clock.now();
    this.trace = env.trace ? new ConnectionTrace(env.trace, this) : undefined;
    this.snd.account = env.memory;
    this.rcv.account = env.memory;
  }

  /** Active open (RFC 9293 §3.10.1): send SYN with our options, return in SYN_SENT. */
  static connect(env: TcpEnv, tuple: FourTuple, iss: number, handler: ConnectionHandler, buffers?: SocketParams): Connection {
    const c = new Connection(env, tuple, handler);
    if (buffers) c.setBuffers(buffers);
    c.maxSeg = buffers?.maxSeg;
    startActiveOpen(c, tuple, iss);
    return c;
  }

  /**
   * Passive open completed by the listener (lifecycle.ts startFromHandshake).
   * Until the owner sets `handler` after accept(), data is only queued.
   */
  static fromHandshake(env: TcpEnv, r: HandshakeResult, ack: TcpRepr): Connection {
    const c = new Connection(env, r, NOOP_HANDLER);
    if (r.buffers) c.setBuffers(r.buffers);
    c.maxSeg = r.buffers?.maxSeg;
    startFromHandshake(c, r, ack);
    return c;
  }

  // ---- identity -----------------------------------------------------------

  /** The demultiplexing four-tuple, fixed for the connection's life; built when asked (unregister), not kept per connection. */
  get key(): FourTuple {
    const t = this.tcb;
    return { localAddr: t.localAddr, localPort: t.localPort, remoteAddr: t.remoteAddr, remotePort: t.remotePort };
  }
  get localAddr(): number {
    return this.tcb.localAddr;
  }
  get localPort(): number {
    return this.tcb.localPort;
  }
  get remoteAddr(): number {
    return this.tcb.remoteAddr;
  }
  get remotePort(): number {
    return this.tcb.remotePort;
  }
  get state(): TcpState {
    return this.tcb.state;
  }
  get isClosed(): boolean {
    return this.closed;
  }

  // ---- segment input (input.ts, receiver.ts) --------------------------------

  /** A parsed, checksum-verified segment for this connection; `ecnField`: its IP ECN codepoint (RFC 3168 §5). */
  input(seg: TcpRepr, ecnField = 0): void {
    if (this.closed) return;
    if (this.ecn.ok) ecnOnSegment(this, seg, ecnField);
    segmentArrives(this, seg);
    // Let go of the segment: a slice kept here would pin the whole received
    // batch (the device's read slab) for as long as the connection sits idle.
    this.inData = NO_DATA;
  }

  noteReceived(): void {
    noteReceived(this);
  }

  /** Batch end (TcpEnv.deferAck): send the ACK held back during the batch, if still owed. */
  flushDeferredAck(): void {
    flushDeferredAck(this);
  }

  // ---- sender side (sender.ts) ----------------------------------------------

  /** The MSS we advertise: the link's (env.localMss) unless TCP_MAXSEG lowered it (Linux tp->advmss). */
  get advMss(): number {
    return Math.min(this.env.localMss, this.maxSeg ?? Infinity);
  }

  setMss(): void {
    setMss(this);
  }

  /** The congestion window in bytes, as the sender uses it (the controller counts segments). */
  get cwndBytes(): number {
    return Math.floor(this.cc.cwnd * this.tcb.mss);
  }

  setCongestionControl(name: string): void {
    setCongestionControl(this, name);
  }

  pathMtuChanged(): void {
    pathMtuChanged(this);
  }

  sampleHandshakeRtt(seg: TcpRepr): void {
    sampleHandshakeRtt(this, seg);
  }

  sampleTs(ecr: number): void {
    sampleTs(this, ecr);
  }

  setSendWindow(wnd: number, seq: number, ack: number): void {
    setSendWindow(this, wnd, seq, ack);
  }

  // ---- state changes (lifecycle.ts) -----------------------------------------

  enter(next: TcpState): void {
    enterState(this, next);
  }

  becomeEstablished(): void {
    becomeEstablished(this);
  }

  // ---- application API ------------------------------------------------------

  get sendSpace(): number {
    // With no page left under tcp_mem's hard limit, only the tcp_wmem[0] floor (memory.ts): writes wait for ACKs.
    const limit = this.env.memory?.overHigh(TCP_MEM_PAGE) ? Math.min(this.sndBuf, SND_BUF_FLOOR) : this.sndBuf;
    return Math.max(0, limit - this.snd.length);
  }

  get sendQueued(): number {
    return this.snd.length;
  }

  send(data: Buffer): number {
    return sendData(this, data);
  }

  read(): Buffer | null {
    return readData(this);
  }

  setQuickAck(on: boolean): void {
    setQuickAck(this, on);
  }

  peek(max: number): Buffer {
    return this.rcv.peek(max);
  }

  get outQueue(): number {
    const t = this.tcb;
    if (this.closed || t.state === 'SYN_SENT' || t.state === 'SYN_RECEIVED') return 0;
    const finUnacked = t.finQueued && !(t.finSeq >= 0 && seqGt(t.sndUna, t.finSeq));
    return this.snd.length + (finUnacked ? 1 : 0);
  }

  get readEnded(): boolean {
    return this.tcb.finReceived && this.rcv.queued === 0;
  }

  get recvQueue(): number {
    return this.rcv.queued;
  }

  shutdownWrite(): void {
    shutdownWrite(this);
  }

  close(): void {
    closeConnection(this);
  }

  abort(): void {
    abortConnection(this);
  }

  setNoDelay(noDelay: boolean): void {
    this.noDelay = noDelay;
    if (noDelay && !this.closed) transmit(this);
  }

  cork(): void {
    this.corked = true;
  }

  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    if (!this.closed) transmit(this);
  }

  setKeepAlive(enable: boolean, idleMs?: number): void {
    this.keepAlive = enable;
    if (idleMs !== undefined && idleMs > 0) this.keepAliveIdle = idleMs;
    this.kaProbes = 0;
    this.kaAt = enable ? this.lastRecvAt + this.keepAliveIdle : Infinity;
    this.schedule();
  }

  setKeepAliveProbes(intervalMs?: number, count?: number): void {
    if (intervalMs !== undefined && intervalMs > 0) this.keepAliveInterval = intervalMs;
    if (count !== undefined && count > 0) this.keepAliveProbes = count;
  }

  setBuffers(b: SocketParams): void {
    if (b.rcvBuf !== undefined && b.rcvBuf > 0) {
      this.rcvBuf = b.rcvBuf;
      lockRcvBuf(this);
    }
    if (b.sndBuf !== undefined && b.sndBuf > 0) this.sndBuf = b.sndBuf;
  }

  setUserTimeout(ms: number): void {
    this.userTimeout = Math.max(0, ms);
  }

  // ---- leaving (lifecycle.ts) -----------------------------------------------

  isSynchronized(): boolean {
    const s = this.tcb.state;
    return s !== 'CLOSED' && s !== 'SYN_SENT' && s !== 'LISTEN';
  }

  resetAndClose(): void {
    resetAndClose(this);
  }

  resetOnData(): void {
    resetOnData(this);
  }

  /** RST for an unacceptable ACK in SYN-SENT/SYN-RECEIVED: <SEQ=SEG.ACK><CTL=RST>. */
  sendRstFor(ack: number): void {
    sendRst(this, ack);
  }

  fail(code: TcpErrorCode): void {
    failConnection(this, code);
  }

  finishTimeWait(): void {
    finishConnection(this, undefined, true);
  }

  finish(err: TcpErrorCode | undefined, timeWait: boolean): void {
    finishConnection(this, err, timeWait);
  }

  /** Closed for good (lifecycle.ts finishConnection): no deadline and no wake-up survive. */
  markClosed(): void {
    this.closed = true;
    this.rtxAt = this.delackAt = this.kaAt = Infinity;
    this.rtxKind = 'none';
    this.armed?.cancel();
    this.armed = undefined;
    this.armedAt = Infinity;
  }

  // ---- timers (timer-slots.ts) ----------------------------------------------

  setSlot(kind: SlotKind, at: number): void {
    this.rtxKind = kind;
    this.rtxAt = at;
    this.schedule();
  }

  armRetransmit(restart = false): void {
    armRetransmit(this, restart);
  }

  armPersist(): void {
    armPersist(this);
  }

  /** Make sure one wake-up is armed no later than the earliest deadline. */
  schedule(): void {
    if (this.closed) return;
    const at = Math.min(this.rtxAt, this.delackAt, this.kaAt, this.pacer.timerAt);
    if (at === Infinity || at >= this.armedAt) return;
    this.armed?.cancel();
    this.armedAt = at;
    // A closure per arming, not one per connection: an idle connection with
    // nothing armed then holds none (bench/scale.ts).
    this.armed = this.env.clock.setTimer(at, () => this.onWake());
  }

  private onWake(): void {
    this.armed = undefined;
    this.armedAt = Infinity;
    if (this.closed) return;
    fireDueTimers(this);
    this.schedule();
  }

  // ---- observation ----------------------------------------------------------

  info(): TcpInfo {
    return connectionInfo(this);
  }
}
