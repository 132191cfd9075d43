/**
 * A listening socket: RFC 9293 §3.10.7.2 (LISTEN) and the passive half of
 * §3.10.7.4 (SYN-RECEIVED) kept as compact request entries, as Linux keeps
 * request_socks instead of full connections, plus the accept queue.
 *
 * Two queues, as Linux has them:
 *  - the SYN (half-open) queue, bounded by min(backlog, maxSynBacklog); when
 *    full, SYNs are answered with SYN cookies (syn-cookies.ts) or dropped;
 *  - the accept queue of established connections, bounded by backlog; when it
 *    is full Linux drops new SYNs and the handshake-completing ACK
 *    (tcp_abort_on_overflow = 0), leaving the request entry so the SYN-ACK
 *    retransmission gives the peer another chance. We do the same.
 */
import type { Clock, Timer } from '../time/clock.js';
import { TCP_ACK, TCP_ECE, TCP_RST, TCP_SYN, type TcpOptionsRepr, type TcpRepr } from '../wire/tcp.js';
import type { SocketParams, TcpConnection, TcpInfo, TcpListener, TcpOptions, TcpState } from './api.js';
import type { FourTuple, HandshakeResult } from './env.js';
import { TupleTable } from './demux.js';
import { resetFor } from './reset.js';
import { seqAdd, seqInRange } from './seq.js';
import { bump } from './stats.js';
import { initialWindow, TS_ALIGNED } from './initial-window.js';
import { synRequestsEcn } from './ecn.js';
import { COOKIE_PERIOD_MS, decodeCookieTs, encodeCookieTs, type SynCookies } from './syn-cookies.js';

const EMPTY = Buffer.alloc(0);
/** RFC 9293 §3.7.1: the MSS assumed when the peer sends no MSS option. */
export const DEFAULT_PEER_MSS = 536;

/** What a listener needs from the layer that owns it. */
export interface ListenerHost {
  readonly clock: Clock;
  readonly options: TcpOptions;
  readonly stats: Record<string, number>;
  readonly localMss: number;
  readonly cookies: SynCookies;
  sendSegment(seg: TcpRepr, localAddr: number, remoteAddr: number): void;
  allocateIss(t: FourTuple): number;
  /** Our per-tuple timestamp offset (stateless, so cookie ACKs recompute it). */
  tsOffset(t: FourTuple): number;
  /** Create the Connection (Connection.fromHandshake) and put it in the demux table. */
  establish(result: HandshakeResult, ack: TcpRepr): TcpConnection;
  /** The layer holds options.maxConnections connections already (optional: unbounded without it). */
  atConnectionLimit?(): boolean;
  /** The listener was closed: remove it from the port table. */
  listenerClosed(l: Listener): void;
}

/** Half-open connection state: what the SYN-ACK promised (Linux request_sock). */
interface RequestEntry extends FourTuple {
  iss: number;
  irs: number;
  peerMss: number;
  wsOk: boolean;
  sndWscale: number;
  rcvWscale: number;
  sackOk: boolean;
  tsOk: boolean;
  tsRecent: number;
  tsOffset: number;
  /** The SYN asked for ECN and tcp_ecn allows it (RFC 3168 §6.1.1). */
  ecnOk: boolean;
  retransmits: number;
  sentAt: number;
  /** Next SYN-ACK retransmission (or expiry after the last one). */
  deadline: number;
  timer: Timer | undefined;
}

/** Smallest shift with which 65535 << shift covers `rcvBuf` (RFC 7323 §2.3), at most 14. */
export function windowScaleFor(rcvBuf: number): number {
  let s = 0;
  while (s < 14 && 65535 * 2 ** s < rcvBuf) s++;
  return s;
}

/** A TcpInfo for entries that are not full connections (LISTEN, SYN_RECEIVED, TIME_WAIT). */
export function placeholderInfo(state: TcpState, t: FourTuple, extra: Partial<TcpInfo> = {}): TcpInfo {
  return {
    state,
    localAddr: t.localAddr,
    localPort: t.localPort,
    remoteAddr: t.remoteAddr,
    remotePort: t.remotePort,
    sndUna: 0,
    sndNxt: 0,
    sndWnd: 0,
    rcvNxt: 0,
    rcvWnd: 0,
    sendQueue: 0,
    recvQueue: 0,
    cwnd: 0,
    ssthresh: 0,
    srtt: 0,
    rttvar: 0,
    rto: 0,
    mss: 0,
    sndWscale: 0,
    rcvWscale: 0,
    unacked: 0,
    retransmits: 0,
    totalRetrans: 0,
    caState: 'open',
    sacked: 0,
    lost: 0,
    reordering: 0,
    timestamps: false,
    sackOk: false,
    advmss: 0,
    rcvMss: 0,
    ...extra,
  };
}

export class Listener implements TcpListener {
  private readonly requests = new TupleTable<RequestEntry>();
  private readonly acceptQueue: TcpConnection[] = [];
  private readonly synQueueLimit: number;
  private readonly acceptLimit: number;
  private closed = false;
  /** When this listener last answered a SYN with a cookie (Linux last_overflow). */
  private lastCookieAt = -Infinity;

  constructor(
    private readonly host: ListenerHost,
    readonly localAddr: number,
    readonly localPort: number,
    backlog: number,
    private readonly onAcceptable: () => void,
    /** SO_RCVBUF/SO_SNDBUF of the listening socket: SYN-ACK window and scale, inherited by connections. */
    private readonly buffers: SocketParams = {},
  ) {
    this.acceptLimit = Math.max(1, Math.floor(backlog));
    this.synQueueLimit = Math.max(1, Math.min(this.acceptLimit, host.options.maxSynBacklog));
  }

  private get rcvBuf(): number {
    return this.buffers.rcvBuf ?? this.host.options.rcvBuf;
  }

  /**
   * setsockopt on the listening socket after listen() (SO_RCVBUF, TCP_MAXSEG):
   * Linux keeps them on the listener, and SYNs answered from then on use them
   * (tcp_openreq_init_rwin, tcp_mss_clamp with user_mss).
   */
  setParams(p: SocketParams): void {
    if (p.rcvBuf !== undefined) this.buffers.rcvBuf = p.rcvBuf;
    if (p.sndBuf !== undefined) this.buffers.sndBuf = p.sndBuf;
    if (p.maxSeg !== undefined) this.buffers.maxSeg = p.maxSeg;
  }

  get synQueueLength(): number {
    return this.requests.size;
  }

  get acceptQueueLength(): number {
    return this.acceptQueue.length;
  }

  accept(): TcpConnection | null {
    // A connection reset while queued is skipped: its owner could never hear about it.
    for (;;) {
      const c = this.acceptQueue.shift();
      if (!c) return null;
      if (c.state !== 'CLOSED') return c;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.requests.values()) r.timer?.cancel();
    for (const r of [...this.requests.values()]) this.requests.delete(r);
    // RFC 9293 §3.10.4 / Linux inet_csk_listen_stop: queued, unaccepted connections are reset.
    for (const c of this.acceptQueue.splice(0)) c.abort();
    this.host.listenerClosed(this);
  }

  infos(): TcpInfo[] {
    const out = [placeholderInfo('LISTEN', { localAddr: this.localAddr, localPort: this.localPort, remoteAddr: 0, remotePort: 0 })];
    for (const r of this.requests.values()) {
      out.push(
        placeholderInfo('SYN_RECEIVED', r, {
          sndUna: r.iss,
          sndNxt: seqAdd(r.iss, 1),
          rcvNxt: seqAdd(r.irs, 1),
          mss: r.peerMss,
          sndWscale: r.sndWscale,
          rcvWscale: r.rcvWscale,
          retransmits: r.retransmits,
          timestamps: r.tsOk,
          sackOk: r.sackOk,
          iss: r.iss,
          irs: r.irs,
          timers: { retransmit: r.deadline },
        }),
      );
    }
    return out;
  }

  /** A segment to our port from `remoteAddr` that matched no connection and no TIME_WAIT record. */
  input(localAddr: number, remoteAddr: number, seg: TcpRepr): void {
    if (this.closed) return;
    const req = this.requests.get(localAddr, seg.dstPort, remoteAddr, seg.srcPort);
    if (req) {
      this.synReceived(req, seg);
      return;
    }
    // RFC 9293 §3.10.7.2, in its order: RST, ACK, SYN, anything else.
    if (seg.flags & TCP_RST) {
      bump(this.host.stats, 'dropListenRst');
      return;
    }
    const t: FourTuple = { localAddr, localPort: seg.dstPort, remoteAddr, remotePort: seg.srcPort };
    if (seg.flags & TCP_ACK) {
      if (!(seg.flags & TCP_SYN) && this.cookiesRecent() && this.cookieAck(t, seg)) return;
      this.sendReset(t, seg);
      return;
    }
    if (seg.flags & TCP_SYN) {
      this.syn(t, seg);
      return;
    }
    bump(this.host.stats, 'dropListenOther');
  }

  // ---- LISTEN: SYN -------------------------------------------------------

  private syn(t: FourTuple, seg: TcpRepr): void {
    const s = this.host.stats;
    if (this.host.atConnectionLimit?.()) {
      bump(s, 'TCPMaxConnDrop');
      bump(s, 'ListenDrops');
      return;
    }
    if (this.acceptQueue.length >= this.acceptLimit) {
      // Linux tcp_conn_request: a full accept queue drops SYNs, cookies or not.
      bump(s, 'ListenOverflows');
      bump(s, 'ListenDrops');
      return;
    }
    const mode = this.host.options.synCookies;
    const full = this.requests.size >= this.synQueueLimit;
    if (mode === 'always' || (full && mode === 'auto')) {
      if (full) bump(s, 'TCPReqQFullDoCookies');
      this.sendCookieSynAck(t, seg);
      return;
    }
    if (full) {
      bump(s, 'TCPReqQFullDrop');
      bump(s, 'ListenDrops');
      return;
    }
    const r = this.newRequest(t, seg);
    this.requests.set(t, r);
    this.sendSynAck(r);
    this.armTimer(r);
  }

  private newRequest(t: FourTuple, seg: TcpRepr): RequestEntry {
    const o = this.host.options;
    const so = seg.options;
    const wsOk = o.windowScaling && so.wscale !== undefined;
    const tsOk = o.timestamps && so.timestamp !== undefined;
    const now = this.host.clock.now();
    // Fields spelled out, not `...t`: a spread into a literal costs a slow
    // property add per field (about 5% of a Connection: close run, bench/conn-rate.ts).
    return {
      localAddr: t.localAddr,
      localPort: t.localPort,
      remoteAddr: t.remoteAddr,
      remotePort: t.remotePort,
      iss: this.host.allocateIss(t),
      irs: seg.seq,
      peerMss: so.mss ?? DEFAULT_PEER_MSS,
      wsOk,
      sndWscale: wsOk ? (so.wscale ?? 0) : 0,
      rcvWscale: wsOk ? windowScaleFor(this.rcvBuf) : 0,
      sackOk: o.sack && so.sackPermitted === true,
      tsOk,
      tsRecent: so.timestamp?.val ?? 0,
      tsOffset: tsOk ? this.host.tsOffset(t) : 0,
      ecnOk: synRequestsEcn(o.ecn, seg),
      retransmits: 0,
      sentAt: now,
      deadline: now + o.rtoInitial,
      timer: undefined,
    };
  }

  /** Our SYN-ACK options, only those the SYN offered (RFC 7323 §2.2/§3.2, RFC 2018 §2). */
  private sendSynAck(r: RequestEntry): void {
    const options: TcpOptionsRepr = { mss: Math.min(this.host.localMss, this.buffers.maxSeg ?? Infinity) };
    if (r.sackOk) options.sackPermitted = true;
    if (r.tsOk) options.timestamp = { val: this.tsNow(r.tsOffset), ecr: r.tsRecent };
    if (r.wsOk) options.wscale = r.rcvWscale;
    this.sendSynAckRepr(r, r.iss, r.irs, options, r.ecnOk);
  }

  /** `ecn`: answer an ECN-setup SYN with ECE (RFC 3168 §6.1.1); a cookie keeps it in the TSval bits (Linux TS_OPT_ECN). */
  private sendSynAckRepr(t: FourTuple, iss: number, irs: number, options: TcpOptionsRepr, ecn = false): void {
    this.host.sendSegment(
      {
        srcPort: t.localPort,
        dstPort: t.remotePort,
        seq: iss,
        ack: seqAdd(irs, 1),
        flags: TCP_SYN | TCP_ACK | (ecn ? TCP_ECE : 0),
        // RFC 7323 §2.2: the window in a SYN segment is never scaled (Linux tcp_select_initial_window).
        window: initialWindow(this.rcvBuf, (options.mss ?? 536) - (options.timestamp ? TS_ALIGNED : 0)),
        urgent: 0,
        options,
        payload: EMPTY,
      },
      t.localAddr,
      t.remoteAddr,
    );
  }

  private tsNow(offset: number): number {
    return (this.host.clock.now() + offset) >>> 0;
  }

  // ---- SYN-ACK retransmission (RFC 6298 §5 backoff; Linux tcp_synack_retries) ----

  private armTimer(r: RequestEntry): void {
    if (!r.timer) r.timer = this.host.clock.setTimer(r.deadline, () => this.onTimer(r));
  }

  private onTimer(r: RequestEntry): void {
    r.timer = undefined;
    if (this.closed || this.requests.getTuple(r) !== r) return;
    const o = this.host.options;
    const now = this.host.clock.now();
    if (now < r.deadline) {
      this.armTimer(r);
      return;
    }
    if (r.retransmits >= o.synAckRetries) {
      // The last SYN-ACK's timeout has run out too: give up on the peer.
      this.requests.delete(r, r);
      bump(this.host.stats, 'TCPTimeouts');
      return;
    }
    r.retransmits++;
    this.sendSynAck(r);
    bump(this.host.stats, 'RetransSegs');
    bump(this.host.stats, 'TCPSynRetrans');
    r.deadline = now + Math.min(o.rtoInitial * 2 ** r.retransmits, o.rtoMax);
    this.armTimer(r);
  }

  // ---- SYN-RECEIVED for a request entry (RFC 9293 §3.10.7.4) ------------

  private synReceived(r: RequestEntry, seg: TcpRepr): void {
    const s = this.host.stats;
    // A retransmitted SYN: the SYN-ACK was lost; answer again as Linux does (tcp_check_req).
    if (seg.flags & TCP_SYN && !(seg.flags & (TCP_RST | TCP_ACK)) && seg.seq === r.irs) {
      this.sendSynAck(r);
      bump(s, 'RetransSegs');
      return;
    }
    // First: sequence acceptability against RCV.NXT = IRS+1 and our SYN-ACK window.
    const rcvNxt = seqAdd(r.irs, 1);
    const wnd = initialWindow(this.rcvBuf, Math.min(this.host.localMss, this.buffers.maxSeg ?? Infinity) - (r.tsOk ? TS_ALIGNED : 0));
    if (!seqInRange(seg.seq, rcvNxt, seqAdd(rcvNxt, wnd))) {
      bump(s, 'dropSynRecvOutOfWindow');
      return;
    }
    if (seg.flags & TCP_RST) {
      // Second: RST from a passive open returns to LISTEN (the entry goes).
      r.timer?.cancel();
      this.requests.delete(r, r);
      bump(s, 'EmbryonicRsts');
      return;
    }
    if (seg.flags & TCP_SYN) {
      bump(s, 'dropSynRecvBadSyn');
      return;
    }
    if (!(seg.flags & TCP_ACK)) {
      bump(s, 'dropListenOther');
      return;
    }
    // Fifth: the ACK must acknowledge exactly our SYN (SND.UNA < SEG.ACK =< SND.NXT), else <SEQ=SEG.ACK><CTL=RST>.
    if (seg.ack !== seqAdd(r.iss, 1)) {
      this.sendReset(r, seg);
      return;
    }
    if (this.acceptQueue.length >= this.acceptLimit) {
      bump(s, 'ListenOverflows');
      bump(s, 'ListenDrops');
      return;
    }
    r.timer?.cancel();
    this.requests.delete(r, r);
    this.complete(this.resultOf(r, seg), seg);
  }

  private resultOf(r: RequestEntry, seg: TcpRepr): HandshakeResult {
    return {
      localAddr: r.localAddr,
      localPort: r.localPort,
      remoteAddr: r.remoteAddr,
      remotePort: r.remotePort,
      iss: r.iss,
      irs: r.irs,
      peerMss: r.peerMss,
      sndWscale: r.sndWscale,
      rcvWscale: r.rcvWscale,
      sackOk: r.sackOk,
      tsOk: r.tsOk,
      tsRecent: r.tsOk ? (seg.options.timestamp?.val ?? r.tsRecent) : 0,
      tsOffset: r.tsOffset,
      ecnOk: r.ecnOk,
      synAckRetransmits: r.retransmits,
      synAckSentAt: r.sentAt,
      buffers: this.buffers,
    };
  }

  private complete(result: HandshakeResult, seg: TcpRepr): void {
    const conn = this.host.establish(result, seg);
    bump(this.host.stats, 'PassiveOpens');
    this.acceptQueue.push(conn);
    // Called on every enqueue (a superset of "became non-empty"): a lost wake-up would strand connections.
    this.onAcceptable();
  }

  // ---- SYN cookies (RFC 4987 §3.6) ---------------------------------------

  private sendCookieSynAck(t: FourTuple, seg: TcpRepr): void {
    const o = this.host.options;
    const so = seg.options;
    const iss = this.host.cookies.make(t, seg.seq, so.mss ?? DEFAULT_PEER_MSS, this.host.clock.now());
    const options: TcpOptionsRepr = { mss: Math.min(this.host.localMss, this.buffers.maxSeg ?? Infinity) };
    // Without timestamps there is nowhere to keep wscale, SACK and ECN: offer none (Linux).
    let ecnOk = false;
    if (o.timestamps && so.timestamp) {
      const wscale = o.windowScaling ? so.wscale : undefined;
      const sackOk = o.sack && so.sackPermitted === true;
      // Linux cookie_init_timestamp: TS_OPT_ECN, so the cookie ACK can restore it (cookie_ecn_ok).
      ecnOk = synRequestsEcn(o.ecn, seg);
      const val = encodeCookieTs(this.tsNow(this.host.tsOffset(t)), { wscale, sackOk, ecnOk });
      options.timestamp = { val, ecr: so.timestamp.val };
      if (sackOk) options.sackPermitted = true;
      if (wscale !== undefined) options.wscale = windowScaleFor(this.rcvBuf);
    }
    this.sendSynAckRepr(t, iss, seg.seq, options, ecnOk);
    this.lastCookieAt = this.host.clock.now();
    bump(this.host.stats, 'SyncookiesSent');
  }

  /**
   * Only look for a cookie in an ACK if we handed out cookies recently, as
   * Linux does (tcp_synq_no_recent_overflow): a cookie lives at most
   * 2 * COOKIE_PERIOD_MS, and outside a flood a bare ACK to a listener is just
   * answered with RST — no chance to guess cookies at leisure (RFC 4987 §3.6).
   */
  private cookiesRecent(): boolean {
    if (this.host.options.synCookies === 'never') return false;
    return this.host.clock.now() - this.lastCookieAt <= 2 * COOKIE_PERIOD_MS;
  }

  /** A bare ACK in LISTEN: is it the third step of a cookie handshake? Creates the connection if so. */
  private cookieAck(t: FourTuple, seg: TcpRepr): boolean {
    const now = this.host.clock.now();
    const iss = seqAdd(seg.ack, -1);
    const irs = seqAdd(seg.seq, -1);
    const peerMss = this.host.cookies.check(t, irs, iss, now);
    if (peerMss === undefined) {
      bump(this.host.stats, 'SyncookiesFailed');
      return false;
    }
    if (this.acceptQueue.length >= this.acceptLimit) {
      bump(this.host.stats, 'ListenOverflows');
      bump(this.host.stats, 'ListenDrops');
      return true;
    }
    bump(this.host.stats, 'SyncookiesRecv');
    this.complete(this.cookieResult(t, seg, iss, irs, peerMss, now), seg);
    return true;
  }

  private cookieResult(t: FourTuple, seg: TcpRepr, iss: number, irs: number, peerMss: number, now: number): HandshakeResult {
    const o = this.host.options;
    const ts = o.timestamps ? seg.options.timestamp : undefined;
    const opts = ts ? decodeCookieTs(ts.ecr) : { wscale: undefined, sackOk: false };
    const wsOk = o.windowScaling && opts.wscale !== undefined;
    const tsOffset = ts ? this.host.tsOffset(t) : 0;
    // With timestamps the echoed TSval dates our SYN-ACK (to within the 6 option bits); without, we cannot know.
    const elapsed = ts ? ((this.tsNow(tsOffset) & ~0x3f) - (ts.ecr & ~0x3f)) >>> 0 : 0;
    const dated = ts !== undefined && elapsed < 0x7fffffff;
    return {
      ...t,
      iss,
      irs,
      peerMss,
      sndWscale: wsOk ? (opts.wscale ?? 0) : 0,
      rcvWscale: wsOk ? windowScaleFor(this.rcvBuf) : 0,
      sackOk: o.sack && opts.sackOk,
      // Linux cookie_ecn_ok: the bit we set in the SYN-ACK's TSval, while tcp_ecn still allows ECN.
      ecnOk: opts.ecnOk === true && o.ecn !== 0,
      tsOk: ts !== undefined,
      tsRecent: ts?.val ?? 0,
      tsOffset,
      // Karn (RFC 6298 §3): an undatable SYN-ACK is reported as retransmitted so no RTT sample is taken from it.
      synAckRetransmits: dated ? 0 : 1,
      synAckSentAt: dated ? now - elapsed : now,
      buffers: this.buffers,
    };
  }

  private sendReset(t: FourTuple, seg: TcpRepr): void {
    const rst = resetFor(seg);
    if (rst) this.host.sendSegment(rst, t.localAddr, t.remoteAddr);
  }
}
