/**
 * One TCP connection: owns the TCB, buffers, estimator, congestion control
 * and timers, and implements the application contract (TcpConnection).
 * Segment processing is in input.ts, emission in output.ts.
 *
 * Timers are deadline fields (one slot for retransmit/persist/FIN_WAIT_2,
 * one for delayed ACK, one for keepalive) with at most one clock wake-up
 * armed: moving a deadline later does not touch it, an earlier deadline
 * re-arms, and a wake-up that finds nothing due just re-arms (gVisor
 * tcp/timer.go, smoltcp's Timer).
 */
import type { Timer } from '../time/clock.js';
import type { TcpRepr } from '../wire/tcp.js';
import type { ConnectionHandler, SocketParams, TcpConnection, TcpErrorCode, TcpInfo, TcpState } from './api.js';
import type { FourTuple, HandshakeResult, TcpEnv } from './env.js';
import { createController } from './congestion/index.js';
import type { CongestionController } from './congestion/types.js';
import { connectionInfo } from './info.js';
import { segmentArrives } from './input.js';
import { windowScaleFor } from './listener.js';
import { onKeepaliveTimeout, onPersistTimeout, onRetransmitTimeout } from './timers.js';
import { probeTimeout } from './loss-probe.js';
import { effectiveMss, rcvWnd, sendAck, sendRst, sendSyn, transmit, transmitSoon, updateRcvWindow } from './output.js';
import { ReceiveBuffer } from './reassembly/receive-buffer.js';
import { LossRecovery } from './recovery.js';
import { RttEstimator, RttTiming } from './rtt.js';
import { SackScoreboard } from './sack-scoreboard.js';
import { SendBuffer } from './send-buffer.js';
import { seqAdd, seqLt, seqSub } from './seq.js';
import { AckState, ackAfterRead, onDelayedAckTimeout, setQuickAck } from './ack-policy.js';
import { bump } from './stats.js';
import { Tcb } from './tcb.js';
import { ConnectionTrace } from './trace.js';
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

export class Connection implements TcpConnection {
  readonly tcb = new Tcb();
  readonly snd = new SendBuffer();
  readonly rcv = new ReceiveBuffer();
  readonly rtt: RttEstimator;
  readonly timing = new RttTiming();
  readonly recovery = new LossRecovery(this.tcb);
  readonly sack = new SackScoreboard();
  cc: CongestionController;
  /** Segments retransmitted on this connection (the per-connection RetransSegs; D-SACK undo counts against it). */
  retransSegs = 0;
  /** Congestion trace of this connection, when the stack asked for one (trace.ts). */
  readonly trace: ConnectionTrace | undefined;
  handler: ConnectionHandler;

  noDelay = false;
  /** End of the last runt (sub-MSS segment) sent, for Nagle/Minshall; starts at ISS (a sequence number, not 0). */
  sndSml = 0;
  /** End of the last segment sent with PSH (Linux pushed_seq, output.ts wantsPush). */
  pushedSeq = 0;
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
  peerOfferedWscale = false;
  /** Segment being processed, trimmed to the window (input.ts scratch, no per-segment object). */
  inSeq = 0;
  inAck = 0;
  inData: Buffer = NO_DATA;
  inFin = false;
  /** TSval carried by our latest retransmission (RTT samples must echo it or later). */
  lastRtxTsVal: number | undefined;
  /** Sequence number of a FIN received beyond a hole, or -1. */
  oooFinSeq = -1;

  // Timer deadlines (ms, absolute; Infinity = off).
  rtxAt = Infinity;
  rtxKind: SlotKind = 'none';
  delackAt = Infinity;
  kaAt = Infinity;
  private armedAt = Infinity;
  private armed: Timer | undefined;
  persistBackoff = 0;
  probesOut = 0;
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
  rtoAt = Infinity;
  /** RACK reordering timer deadline (RFC 8985 §6.3), served from the same slot before the RTO (rack.ts). */
  reoAt = Infinity;
  probeOut = false;
  /** When the oldest unacknowledged data was (about) first sent: the user timeout's origin. */
  headSentAt = 0;
  wantWritable = false;
  /** Receive and send buffer sizes (options.rcvBuf/sndBuf unless SO_RCVBUF/SO_SNDBUF set them). */
  rcvBuf: number;
  sndBuf: number;
  /** TCP_MAXSEG before the handshake (Linux user_mss), if set. */
  maxSeg: number | undefined;
  /** When we last answered an invalid segment (Linux last_oow_ack_time; output.ts oowRateLimited). */
  lastOowAckAt = -Infinity;
  /** An ICMP error seen on a synchronized connection (Linux sk_err_soft): reported instead of ETIMEDOUT. */
  softError: TcpErrorCode | undefined;
  private closed = false;

  private constructor(
    readonly env: TcpEnv,
    tuple: FourTuple,
    handler: ConnectionHandler,
  ) {
    const o = env.options;
    this.handler = handler;
    this.tcb.localAddr = tuple.localAddr;
    this.tcb.localPort = tuple.localPort;
    this.tcb.remoteAddr = tuple.remoteAddr;
    this.tcb.remotePort = tuple.remotePort;
    this.key = Object.freeze({
      localAddr: tuple.localAddr,
      localPort: tuple.localPort,
      remoteAddr: tuple.remoteAddr,
      remotePort: tuple.remotePort,
    });
    this.rtt = new RttEstimator(o.rtoMin, o.rtoMax, o.rtoInitial);
    this.cc = createController(o.congestionControl, o.initialCwndSegments);
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
    const t = c.tcb;
    t.iss = iss >>> 0;
    t.sndUna = t.iss;
    t.sndNxt = t.iss;
    t.sndMax = t.iss;
    c.sndSml = t.iss;
    c.pushedSeq = t.iss;
    // Per-tuple, not per-connection: a random offset would make a reconnect's TSval look older than
    // TS.Recent half the time, so the peer's TIME_WAIT answers it with an ACK instead (RFC 6191 §2).
    t.tsOffset = env.tsOffset ? env.tsOffset(tuple) : env.rng.u32();
    t.rcvWscale = env.options.windowScaling ? windowScaleFor(c.rcvBuf) : 0;
    t.state = 'SYN_SENT';
    c.synSentAt = env.clock.now();
    sendSyn(c);
    c.armRetransmit(true);
    c.schedule();
    return c;
  }

  /**
   * Passive open completed by the listener: start ESTABLISHED with what the
   * handshake negotiated, then process the handshake-completing ACK, which
   * may carry data and FIN (RFC 9293 §3.10.7.4). Until the owner sets
   * `handler` after accept(), data is only queued.
   */
  static fromHandshake(env: TcpEnv, r: HandshakeResult, ack: TcpRepr): Connection {
    const c = new Connection(env, r, NOOP_HANDLER);
    if (r.buffers) c.setBuffers(r.buffers);
    c.maxSeg = r.buffers?.maxSeg;
    const t = c.tcb;
    t.passive = true;
    t.iss = r.iss >>> 0;
    t.irs = r.irs >>> 0;
    t.sndUna = seqAdd(t.iss, 1);
    t.sndNxt = t.sndUna;
    t.sndMax = t.sndUna;
    c.sndSml = t.sndUna;
    c.pushedSeq = t.sndUna;
    t.rcvNxt = seqAdd(t.irs, 1);
    t.lastAckSent = t.rcvNxt;
    t.rcvAdv = seqAdd(t.rcvNxt, Math.min(65535, c.rcvBuf));
    t.peerMss = r.peerMss;
    t.sndWscale = r.sndWscale;
    t.rcvWscale = r.rcvWscale;
    t.sackOk = r.sackOk;
    t.tsOk = r.tsOk;
    t.tsRecent = r.tsRecent;
    t.tsRecentAt = env.clock.now();
    t.tsOffset = r.tsOffset;
    c.setMss();
    if (r.synAckRetransmits === 0) c.rtt.sample(env.clock.now() - r.synAckSentAt);
    else if (r.tsOk && ack.options.timestamp && ack.options.timestamp.ecr !== 0) c.sampleTs(ack.options.timestamp.ecr);
    // The listener validated ack.ack == ISS+1; the window it carries is scaled.
    c.setSendWindow(ack.window * 2 ** t.sndWscale, ack.seq, ack.ack);
    c.enter('ESTABLISHED');
    c.input(ack);
    return c;
  }

  // ---- identity -----------------------------------------------------------

  /** The demultiplexing four-tuple (a plain object, fixed for the connection's life). */
  readonly key: FourTuple;
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

  // ---- segment input --------------------------------------------------------

  /** A parsed, checksum-verified segment for this connection. */
  input(seg: TcpRepr): void {
    if (this.closed) return;
    segmentArrives(this, seg);
    // Let go of the segment: a slice kept here would pin the whole received
    // batch (the device's read slab) for as long as the connection sits idle.
    this.inData = NO_DATA;
  }

  noteReceived(): void {
    const now = this.env.clock.now();
    this.lastRecvAt = now;
    this.kaProbes = 0;
    this.probesOut = 0;
    if (this.keepAlive) this.kaAt = now + this.keepAliveIdle;
  }

  /** MSS option value our segments may use: the peer's, ours, and the path MTU's (RFC 1191 §3, RFC 9293 §3.7.1). */
  private mssLimit(): number {
    const pmtu = this.env.pathMtu?.(this.tcb.remoteAddr);
    return Math.min(this.tcb.peerMss, this.advMss, pmtu === undefined ? Infinity : pmtu - 40);
  }

  /** The MSS we advertise: the link's (env.localMss) unless TCP_MAXSEG lowered it (Linux tp->advmss). */
  get advMss(): number {
    return Math.min(this.env.localMss, this.maxSeg ?? Infinity);
  }

  /** Segment size and initial window once MSS and timestamps are known. */
  setMss(): void {
    const t = this.tcb;
    t.mss = effectiveMss(this.mssLimit(), t.tsOk);
    // RFC 5681 §3.1 / RFC 6928 initial window, in segments of the negotiated size.
    this.cc = createController(this.cc.name, this.env.options.initialCwndSegments);
  }

  /** The congestion window in bytes, as the sender uses it (the controller counts segments). */
  get cwndBytes(): number {
    return Math.floor(this.cc.cwnd * this.tcb.mss);
  }

  /**
   * TCP_CONGESTION (Linux tcp_set_congestion_control): switch controllers,
   * keeping cwnd and ssthresh. Throws naming the choices for an unknown name.
   */
  setCongestionControl(name: string): void {
    const next = createController(name, this.cc.cwnd);
    next.ssthresh = this.cc.ssthresh;
    this.cc = next;
  }

  /**
   * The path MTU went down (icmp-errors.ts): smaller segments from now on, and
   * what is in flight is resent in them at once without a congestion
   * response (Linux tcp_sync_mss + tcp_simple_retransmit; RFC 1191 §6.4).
   */
  pathMtuChanged(): void {
    const t = this.tcb;
    const mss = effectiveMss(this.mssLimit(), t.tsOk);
    if (mss >= t.mss) return;
    t.mss = mss;
    bump(this.env.stats, 'TCPPMTUShrunk');
    if (this.isSynchronized() && t.sndMax !== t.sndUna) {
      t.sndNxt = t.sndUna;
      transmit(this);
    }
  }

  /** RTT of the handshake: from TS echo, or by Karn only if the SYN was never retransmitted. */
  sampleHandshakeRtt(seg: TcpRepr): void {
    const ts = seg.options.timestamp;
    if (this.tcb.tsOk && ts && ts.ecr !== 0) this.sampleTs(ts.ecr);
    else if (this.tcb.retransmits === 0) this.rtt.sample(this.env.clock.now() - this.synSentAt);
  }

  /** RFC 7323 §4.1: RTT from the echoed timestamp. */
  sampleTs(ecr: number): void {
    // Karn's rule carried over to timestamps: an echo older than our latest
    // retransmission means the receiver echoed an earlier transmission (e.g.
    // it ACKed a duplicate without updating TS.Recent, RFC 7323 §4.3), so the
    // sample would span the backoff and inflate the RTO without bound.
    if (this.lastRtxTsVal !== undefined && seqLt(ecr, this.lastRtxTsVal)) return;
    const r = seqSub(Math.floor(this.env.clock.now()) + this.tcb.tsOffset, ecr);
    if (r >= 0) this.rtt.sample(r);
  }

  setSendWindow(wnd: number, seq: number, ack: number): void {
    const t = this.tcb;
    const opened = wnd > 0 && t.sndWnd === 0;
    t.sndWnd = wnd;
    t.sndWl1 = seq;
    t.sndWl2 = ack;
    if (wnd > t.maxSndWnd) t.maxSndWnd = wnd;
    if (opened && this.rtxKind === 'persist') {
      this.rtxKind = 'none';
      this.rtxAt = Infinity;
      this.persistBackoff = 0;
    }
  }

  /**
   * Change state, keeping the CurrEstab gauge as Linux's tcp_set_state does
   * (RFC 1213 tcpCurrEstab: connections in ESTABLISHED or CLOSE_WAIT).
   */
  /** Batch end (TcpEnv.deferAck): send the ACK held back during the batch, if still owed. */
  flushDeferredAck(): void {
    const owed = this.outputDeferred || this.ackPending;
    this.outputDeferred = false;
    this.ackDeferred = false;
    this.ackDeferrable = false;
    if (!this.closed && owed) transmit(this);
  }

  enter(next: TcpState): void {
    const t = this.tcb;
    const was = t.state === 'ESTABLISHED' || t.state === 'CLOSE_WAIT';
    const is = next === 'ESTABLISHED' || next === 'CLOSE_WAIT';
    t.state = next;
    if (is && !was) bump(this.env.stats, 'CurrEstab');
    else if (was && !is) this.env.stats.CurrEstab = Math.max(0, (this.env.stats.CurrEstab ?? 0) - 1);
  }

  becomeEstablished(): void {
    const t = this.tcb;
    this.enter('ESTABLISHED');
    t.retransmits = 0;
    this.rtt.resetBackoff();
    this.rtxKind = 'none';
    this.rtxAt = Infinity;
    if (t.finQueued) this.enter('FIN_WAIT_1');
    this.handler.onConnect();
  }

  // ---- application API ------------------------------------------------------

  get sendSpace(): number {
    // With no page left under tcp_mem's hard limit, only the tcp_wmem[0] floor (memory.ts): writes wait for ACKs.
    const limit = this.env.memory?.overHigh(TCP_MEM_PAGE) ? Math.min(this.sndBuf, SND_BUF_FLOOR) : this.sndBuf;
    return Math.max(0, limit - this.snd.length);
  }

  send(data: Buffer): number {
    const t = this.tcb;
    if (this.closed || t.finQueued || t.state === 'CLOSED') return 0;
    const n = Math.min(data.length, this.sendSpace);
    if (n < data.length) this.wantWritable = true;
    if (n === 0) return 0;
    this.snd.push(n < data.length ? data.subarray(0, n) : data);
    transmitSoon(this);
    return n;
  }

  read(): Buffer | null {
    const b = this.rcv.read();
    if (b === null || this.closed) return b;
    const t = this.tcb;
    const before = rcvWnd(this);
    updateRcvWindow(this);
    const after = rcvWnd(this);
    // Window update once the window has at least doubled (Linux tcp_cleanup_rbuf);
    // updateRcvWindow already applied the RFC 9293 §3.8.6.2.2 threshold.
    const windowOpened = after > before && (before === 0 || after >= 2 * before) && !t.finReceived;
    if ((windowOpened || ackAfterRead(this, b.length)) && this.isSynchronized()) {
      // Inside a receive batch the update rides on the batch-end ACK (TcpEnv.deferAck).
      if (!this.ackPending) this.ackDeferrable = true;
      this.ackPending = true;
      if (this.ackDeferrable && (this.ackDeferred || this.env.deferAck?.(this))) {
        this.ackDeferred = true;
        return b;
      }
      sendAck(this);
      this.schedule();
    }
    return b;
  }

  /** TCP_QUICKACK (Linux tcp(7)): 0 delays ACKs (interactive mode), 1 sends an owed ACK now. */
  setQuickAck(on: boolean): void {
    if (setQuickAck(this, on) && !this.closed && this.isSynchronized()) {
      sendAck(this);
      this.schedule();
    }
  }

  get readEnded(): boolean {
    return this.tcb.finReceived && this.rcv.queued === 0;
  }

  shutdownWrite(): void {
    const t = this.tcb;
    if (this.closed || t.finQueued) return;
    t.finQueued = true;
    if (t.state === 'ESTABLISHED') this.enter('FIN_WAIT_1');
    else if (t.state === 'CLOSE_WAIT') this.enter('LAST_ACK');
    // RFC 9293 §3.10.4 CLOSE in SYN-RECEIVED with nothing to send: FIN now,
    // FIN-WAIT-1 (Linux tcp_close_state), while our SYN may still be unacknowledged.
    else if (t.state === 'SYN_RECEIVED' && this.snd.length === 0) t.state = 'FIN_WAIT_1';
    transmit(this);
  }

  close(): void {
    const t = this.tcb;
    if (this.closed) return;
    if (t.state === 'SYN_SENT') {
      this.finish(undefined, false); // RFC 9293 §3.10.4: delete the TCB
      return;
    }
    if (this.rcv.queued > 0 || this.rcv.hasOutOfOrder) {
      // RFC 9293 §3.10.4 / RFC 2525 §2.17, Linux tcp_close: unread data means RST, not FIN.
      bump(this.env.stats, 'TCPAbortOnClose');
      this.resetAndClose();
      return;
    }
    if (this.env.adoptOrphan && !this.env.adoptOrphan(this)) {
      bump(this.env.stats, 'TCPAbortOnMemory');
      this.resetAndClose();
      return;
    }
    t.fullyClosed = true;
    if (t.state === 'FIN_WAIT_2') this.setSlot('finwait2', this.env.clock.now() + this.env.options.finWait2Timeout);
    this.shutdownWrite();
  }

  abort(): void {
    if (this.closed) return;
    const s = this.tcb.state;
    // RFC 9293 §3.10.5: no RST from SYN-SENT (nothing synchronized yet).
    if (s !== 'SYN_SENT') {
      this.resetAndClose();
      return;
    }
    this.rcv.clear();
    this.finish(undefined, false);
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
    if (b.rcvBuf !== undefined && b.rcvBuf > 0) this.rcvBuf = b.rcvBuf;
    if (b.sndBuf !== undefined && b.sndBuf > 0) this.sndBuf = b.sndBuf;
  }

  setUserTimeout(ms: number): void {
    this.userTimeout = Math.max(0, ms);
  }

  // ---- leaving --------------------------------------------------------------

  isSynchronized(): boolean {
    const s = this.tcb.state;
    return s !== 'CLOSED' && s !== 'SYN_SENT' && s !== 'LISTEN';
  }

  /**
   * <SEQ=SND.NXT><CTL=RST>, discard everything, CLOSED (RFC 9293 §3.10.5).
   * Linux's tcp_send_active_reset also sets ACK (ack = RCV.NXT); we follow
   * Linux so peers and packetdrill scripts see the same segment.
   */
  resetAndClose(): void {
    sendRst(this, this.tcb.sndMax, true);
    this.snd.clear();
    this.rcv.clear();
    this.finish(undefined, false);
  }

  /**
   * Data for a fully closed connection (Linux TCPAbortOnData): Linux resets the
   * socket and answers the segment itself via tcp_v4_send_reset, i.e. the
   * RFC 9293 §3.10.7.1 reply <SEQ=SEG.ACK><CTL=RST> (no ACK flag).
   */
  resetOnData(): void {
    sendRst(this, this.inAck);
    this.snd.clear();
    this.rcv.clear();
    this.finish(undefined, false);
  }

  /** RST for an unacceptable ACK in SYN-SENT/SYN-RECEIVED: <SEQ=SEG.ACK><CTL=RST>. */
  sendRstFor(ack: number): void {
    sendRst(this, ack);
  }

  fail(code: TcpErrorCode): void {
    const s = this.tcb.state;
    if (code === 'ECONNRESET' && (s === 'ESTABLISHED' || s === 'CLOSE_WAIT')) bump(this.env.stats, 'EstabResets');
    if (s === 'SYN_SENT' || s === 'SYN_RECEIVED') bump(this.env.stats, 'AttemptFails');
    this.snd.clear();
    this.rcv.clear();
    this.finish(code, false);
  }

  finishTimeWait(): void {
    this.finish(undefined, true);
  }

  /** Leave: tell the owner once, then the layer (CLOSED → unregister, TIME_WAIT → compact record). */
  finish(err: TcpErrorCode | undefined, timeWait: boolean): void {
    if (this.closed) return;
    const t = this.tcb;
    this.enter(timeWait ? 'TIME_WAIT' : 'CLOSED');
    this.closed = true;
    this.rtxAt = this.delackAt = this.kaAt = Infinity;
    this.rtxKind = 'none';
    this.armed?.cancel();
    this.armed = undefined;
    this.armedAt = Infinity;
    if (err) this.handler.onError(err);
    this.handler.onClose();
    if (timeWait) {
      this.env.enterTimeWait({
        localAddr: t.localAddr,
        localPort: t.localPort,
        remoteAddr: t.remoteAddr,
        remotePort: t.remotePort,
        sndNxt: t.sndMax,
        rcvNxt: t.rcvNxt,
        window: Math.min(65535, Math.floor(rcvWnd(this) / 2 ** t.rcvWscale)),
        ...(t.tsOk ? { tsRecent: t.tsRecent, tsOffset: t.tsOffset } : {}),
      });
    } else {
      this.env.unregister(this.key);
    }
  }

  // ---- timers ---------------------------------------------------------------

  setSlot(kind: SlotKind, at: number): void {
    this.rtxKind = kind;
    this.rtxAt = at;
    this.schedule();
  }

  /** RFC 6298 §5.1 (start if not running) / §5.3 (restart). */
  armRetransmit(restart = false): void {
    const now = this.env.clock.now();
    if (this.rtxKind !== 'rtx' || restart) {
      if (this.rtxKind !== 'rtx' && this.tcb.retransmits === 0) this.headSentAt = now;
      this.rtxKind = 'rtx';
      this.rtoAt = now + this.rtt.rto;
      // Linux tcp_clamp_rto_to_user_timeout: fire no later than the user timeout.
      if (this.userTimeout > 0) this.rtoAt = Math.max(now, Math.min(this.rtoAt, this.headSentAt + this.userTimeout));
      this.rtxAt = this.rtoAt;
      this.probeArmed = false;
    }
    // RFC 8985 §7.2: (re)start the tail loss probe after sending; it fires
    // first from the same slot while the RTO deadline keeps running (loss-probe.ts).
    const pto = probeTimeout(this);
    if (now + pto < this.rtoAt) {
      this.probeArmed = true;
      this.rtxAt = now + pto;
    }
    if (this.reoAt < this.rtxAt) this.rtxAt = this.reoAt;
  }

  /** RFC 9293 §3.8.6.1 persist timer, backing off like the RTO. */
  armPersist(): void {
    if (this.rtxKind === 'persist' || this.rtxKind === 'rtx') return;
    const wait = Math.min(this.env.options.rtoMax, this.rtt.rto * 2 ** this.persistBackoff);
    this.rtxKind = 'persist';
    this.rtxAt = this.env.clock.now() + wait;
  }

  /** Make sure one wake-up is armed no later than the earliest deadline. */
  schedule(): void {
    if (this.closed) return;
    const at = Math.min(this.rtxAt, this.delackAt, this.kaAt);
    if (at === Infinity || at >= this.armedAt) return;
    this.armed?.cancel();
    this.armedAt = at;
    this.armed = this.env.clock.setTimer(at, this.onWake);
  }

  private readonly onWake = (): void => {
    this.armed = undefined;
    this.armedAt = Infinity;
    if (this.closed) return;
    const now = this.env.clock.now();
    if (this.delackAt <= now) {
      this.delackAt = Infinity;
      bump(this.env.stats, 'DelayedACKs');
      onDelayedAckTimeout(this);
      if (this.isSynchronized()) sendAck(this);
    }
    if (!this.closed && this.rtxAt <= now) {
      const kind = this.rtxKind;
      this.rtxKind = 'none';
      this.rtxAt = Infinity;
      if (kind === 'rtx') onRetransmitTimeout(this, now);
      else if (kind === 'persist') onPersistTimeout(this);
      else if (kind === 'finwait2') this.finish(undefined, false);
    }
    if (!this.closed && this.kaAt <= now) onKeepaliveTimeout(this, now);
    this.schedule();
  };

  // ---- observation ----------------------------------------------------------

  info(): TcpInfo {
    return connectionInfo(this);
  }
}
