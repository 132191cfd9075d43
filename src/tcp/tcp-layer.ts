/**
 * The TCP layer: parses segments, demultiplexes them (established 4-tuple →
 * TIME_WAIT → listener → no connection, RFC 9293 §3.10.7), builds outgoing
 * packets, and is the TcpEnv every Connection sees.
 */
import type { Logger } from 'pino';
import type { Clock } from '../time/clock.js';
import { randInt, type Rng } from '../util/random.js';
import type { IpSender, TransportInput } from '../ip/types.js';
import { IPV4_HEADROOM, IPPROTO_TCP } from '../ip/types.js';
import { TCP_RST, detachTcpRepr, emitTcpSegment, newTcpReprScratch, parseTcpSegment, tcpHeaderLen, type TcpRepr } from '../wire/tcp.js';
import {
  DEFAULT_TCP_OPTIONS,
  type ConnectionHandler,
  type SocketParams,
  type TcpApi,
  type TcpConnection,
  type TcpInfo,
  type TcpListener,
  type TcpOptions,
} from './api.js';
import { Connection } from './connection.js';
import { newTxScratch } from './output.js';
import { TupleTable, allocateEphemeralPort } from './demux.js';
import type { FourTuple, HandshakeResult, TcpEnv, TimeWaitRecord } from './env.js';
import { TcpMemory } from './memory.js';
import { HalfSipHash, IsnGenerator } from './isn.js';
import { Listener, placeholderInfo } from './listener.js';
import { resetFor } from './reset.js';
import { bump, makeTcpStats, type TcpStats } from './stats.js';
import { SynCookies } from './syn-cookies.js';
import { TimeWaitTable } from './time-wait.js';
import { tcpIcmpError } from './icmp-errors.js';
import type { IcmpErrorHandler } from '../ip/icmp.js';
import type { TraceSink } from './trace.js';

export interface TcpLayerConfig {
  ip: IpSender;
  clock: Clock;
  rng: Rng;
  options?: Partial<TcpOptions>;
  log?: Logger;
  /** Per-connection congestion trace (trace.ts). */
  trace?: TraceSink;
}

function apiError(code: string, msg: string): Error {
  return Object.assign(new Error(`${code}: ${msg}`), { code });
}

/** What the receive scratch holds between segments (no slice of a received batch). */
const NO_PAYLOAD = Buffer.alloc(0);

export class TcpLayer implements TcpApi, TcpEnv {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly options: TcpOptions;
  readonly stats: TcpStats = makeTcpStats();
  readonly trace: TraceSink | undefined;
  /** TcpEnv.txScratch: sendSegment writes the packet before it returns. */
  readonly txScratch = newTxScratch();
  /** Received segments for connections are parsed into this (parseTcpSegment's scratch). */
  private readonly rxScratch = newTcpReprScratch();
  readonly cookies: SynCookies;
  /** tcp_mem accounting shared by every connection (TcpEnv.memory). */
  readonly memory: TcpMemory;
  private readonly ip: IpSender;
  private readonly log: Logger | undefined;
  private readonly isn: IsnGenerator;
  private readonly tsKey: HalfSipHash;
  private readonly conns = new TupleTable<Connection>();
  private readonly listeners = new Map<number, Listener>();
  private readonly timeWait: TimeWaitTable;
  /** Connections whose ACK or output waits for the end of the current receive batch (deferAck, deferOutput). */
  private readonly deferred = new Set<{ flushDeferredAck(): void }>();
  /** Closed by the application, still finishing (tcp_max_orphans). */
  private readonly orphans = new Set<object>();
  /** Between the first segment of a received batch and batchEnd(). */
  private inBatch = false;
  /** Set by the owner when it calls batchEnd() after every received batch (Stack does). */
  batching = false;
  /** RFC 5961 §7 budget for the current second (Linux tcp_challenge_count / tcp_challenge_timestamp). */
  private challengeCount = 0;
  private challengeSecond = -1;

  constructor(cfg: TcpLayerConfig) {
    this.ip = cfg.ip;
    this.clock = cfg.clock;
    this.rng = cfg.rng;
    this.log = cfg.log;
    this.trace = cfg.trace;
    this.options = { ...DEFAULT_TCP_OPTIONS, ...cfg.options };
    this.isn = new IsnGenerator(cfg.clock, cfg.rng);
    this.cookies = new SynCookies(cfg.rng);
    this.tsKey = HalfSipHash.fromRng(cfg.rng);
    const options = this.options;
    this.memory = new TcpMemory(() => options.tcpMem, this.stats);
    this.timeWait = new TimeWaitTable({
      clock: cfg.clock,
      stats: this.stats,
      twDurationMs: 2 * this.options.msl,
      get rfc1337() {
        return options.rfc1337;
      },
      sendSegment: (seg, l, r) => this.sendSegment(seg, l, r),
    });
  }

  get localMss(): number {
    return this.options.mss ?? this.ip.mtu - 40;
  }

  // ---- receive ----------------------------------------------------------

  deferAck(c: { flushDeferredAck(): void }): boolean {
    if (!this.inBatch) return false;
    this.deferred.add(c);
    return true;
  }

  deferOutput(c: { flushDeferredAck(): void }): boolean {
    if (!this.inBatch) return false;
    this.deferred.add(c);
    return true;
  }

  /** End of a received batch: each connection marked during it produces its output once (TcpEnv.deferOutput). */
  batchEnd(): void {
    this.inBatch = false;
    if (this.deferred.size === 0) return;
    for (const c of this.deferred) c.flushDeferredAck();
    this.deferred.clear();
  }

  readonly input: TransportInput = (src, dst, payload, datagram, checksumVerified) => {
    if (this.batching) this.inBatch = true;
    this.stats.InSegs++;
    // RFC 1122 §4.2.3.10 (SYNs) and Linux tcp_v4_rcv (`pkt_type != PACKET_HOST`,
    // any segment): TCP is unicast only. Answering one addressed to a broadcast
    // would also forge its source (found by the stack fuzz target).
    if (dst !== this.ip.localAddr) {
      bump(this.stats, 'dropBroadcast');
      return;
    }
    // Parsed into the layer's scratch: a connection is done with it when input returns.
    const seg = parseTcpSegment(payload, src, dst, checksumVerified, this.rxScratch);
    if (typeof seg === 'string') {
      bump(this.stats, seg);
      this.stats.InErrs++;
      if (seg === 'badChecksum') this.stats.InCsumErrors++;
      return;
    }
    // A GSO super-packet counts as the segments it stands for, as Linux
    // counts gso_segs in tcp_v4_rcv's InSegs.
    const mss = this.localMss;
    if (seg.payload.length > mss) this.stats.InSegs += Math.ceil(seg.payload.length / mss) - 1;
    const conn = this.conns.get(dst, seg.dstPort, src, seg.srcPort);
    if (conn) {
      conn.input(seg, datagram.length > 1 ? datagram[1] & 3 : 0); // the IP ECN field (RFC 3168 §5)
      seg.payload = NO_PAYLOAD; // do not pin the received batch
      return;
    }
    this.inputUnconnected(src, dst, detachTcpRepr(seg));
    seg.payload = NO_PAYLOAD;
  };

  /** TIME_WAIT, listeners and RSTs may keep the segment: they get their own Repr (detachTcpRepr). */
  private inputUnconnected(src: number, dst: number, seg: TcpRepr): void {
    if (this.timeWait.contains(dst, seg.dstPort, src, seg.srcPort)) {
      if (this.timeWait.input(dst, src, seg) === 'done') return;
    }
    const l = this.listeners.get(seg.dstPort);
    if (l) {
      l.input(dst, src, seg);
      return;
    }
    // RFC 9293 §3.10.7.1: CLOSED — reset unless it is a RST.
    const rst = resetFor(seg);
    if (rst) this.sendSegment(rst, dst, src);
    else bump(this.stats, 'dropNoPortRst');
  }

  /** ICMP errors quoting our segments (registered with IPv4 by the stack; icmp-errors.ts). */
  readonly icmpError: IcmpErrorHandler = (type, code, quoted, _from, nextHopMtu) => {
    tcpIcmpError(this, type, code, quoted, nextHopMtu);
  };

  findConnection(localAddr: number, localPort: number, remoteAddr: number, remotePort: number): Connection | undefined {
    return this.conns.get(localAddr, localPort, remoteAddr, remotePort);
  }

  learnPathMtu(dst: number, mtu: number, minPmtu: number, expiresMs: number): number | undefined {
    return this.ip.learnPathMtu?.(dst, mtu, minPmtu, expiresMs);
  }

  // ---- TcpEnv -----------------------------------------------------------

  pathMtu(remoteAddr: number): number {
    return this.ip.pathMtu?.(remoteAddr) ?? this.ip.mtu;
  }

  /** Largest TCP super-packet the link cuts for us; 0 without GSO (TcpEnv.gsoMaxSize). */
  get gsoMaxSize(): number {
    return this.ip.gsoMaxSize ?? 0;
  }

  sendSegment(seg: TcpRepr, localAddr: number, remoteAddr: number, gsoSize = 0, ecnField = 0): void {
    const hl = tcpHeaderLen(seg);
    const len = IPV4_HEADROOM + hl + seg.payload.length;
    const packet = this.ip.allocPacket ? this.ip.allocPacket(len) : Buffer.allocUnsafe(len);
    const partial = this.ip.txChecksumOffload === true;
    emitTcpSegment(seg, packet, IPV4_HEADROOM, localAddr, remoteAddr, partial);
    // OutSegs in MSS units, as Linux counts tcp_skb_pcount for a TSO skb.
    this.stats.OutSegs += gsoSize > 0 ? Math.max(1, Math.ceil(seg.payload.length / gsoSize)) : 1;
    if (seg.flags & TCP_RST) this.stats.OutRsts++;
    // DF on everything while path MTU discovery is on (RFC 1191 §3; Linux ip_no_pmtu_disc = 0).
    this.ip.output(packet, remoteAddr, IPPROTO_TCP, 64, this.options.pmtuDisc, gsoSize, partial, ecnField);
  }

  unregister(key: FourTuple): void {
    const c = this.conns.take(key);
    if (c) this.orphans.delete(c);
  }

  enterTimeWait(tw: TimeWaitRecord): void {
    const c = this.conns.take(tw);
    if (c) this.orphans.delete(c);
    // Linux tcp_time_wait: with tcp_max_tw_buckets records, the socket just closes.
    if (this.timeWait.size >= this.options.maxTwBuckets && !this.timeWait.has(tw)) {
      bump(this.stats, 'TCPTimeWaitOverflow');
      return;
    }
    this.timeWait.add(tw);
  }

  adoptOrphan(c: object): boolean {
    if (this.orphans.size >= this.options.maxOrphans) return false;
    this.orphans.add(c);
    return true;
  }

  /** Live connections (not TIME_WAIT), for maxConnections. */
  get connectionCount(): number {
    return this.conns.size;
  }

  /** TIME_WAIT records held. */
  get timeWaitCount(): number {
    return this.timeWait.size;
  }

  /** Connections closed by the application and still finishing. */
  get orphanCount(): number {
    return this.orphans.size;
  }

  /**
   * RFC 5961 §7 for the whole layer, as Linux tcp_send_challenge_ack does it
   * since CVE-2016-5696: each second gets a budget drawn uniformly from
   * [half, limit + half - 1] (half = ceil(limit / 2)), so how many challenge
   * ACKs one connection provokes says nothing certain about the others.
   */
  challengeAckAllowed(): boolean {
    const limit = this.options.challengeAckLimit;
    if (limit === Infinity) return true;
    const second = Math.floor(this.clock.now() / 1000);
    if (second !== this.challengeSecond) {
      const half = (limit + 1) >>> 1;
      this.challengeSecond = second;
      this.challengeCount = half + randInt(this.rng, Math.max(1, limit));
    }
    if (this.challengeCount > 0) {
      this.challengeCount--;
      return true;
    }
    // TCPChallengeACKLimited is counted once, by the caller (output.ts sendChallengeAck).
    return false;
  }

  allocateIss(tuple: FourTuple): number {
    return this.isn.iss(tuple);
  }

  /** Stateless per-tuple timestamp offset (RFC 7323 §5.4 / Linux tsoffset), so cookie ACKs can recompute it. */
  tsOffset(t: FourTuple): number {
    return this.tsKey.tuple(t);
  }

  // ---- TcpApi -----------------------------------------------------------

  listen(localPort: number, backlog: number, onAcceptable: () => void, buffers?: SocketParams): TcpListener {
    if (this.listeners.has(localPort)) throw apiError('EADDRINUSE', `port ${localPort} has a listener`);
    const l = new Listener(
      {
        clock: this.clock,
        options: this.options,
        stats: this.stats,
        localMss: this.localMss,
        cookies: this.cookies,
        sendSegment: (seg, la, ra) => this.sendSegment(seg, la, ra),
        allocateIss: (t) => this.allocateIss(t),
        tsOffset: (t) => this.tsOffset(t),
        establish: (r, ack) => this.establish(r, ack),
        atConnectionLimit: () => this.conns.size >= this.options.maxConnections,
        listenerClosed: (x) => {
          if (this.listeners.get(x.localPort) === x) this.listeners.delete(x.localPort);
        },
      },
      this.ip.localAddr,
      localPort,
      backlog,
      onAcceptable,
      buffers,
    );
    this.listeners.set(localPort, l);
    return l;
  }

  private establish(r: HandshakeResult, ack: TcpRepr): TcpConnection {
    const tuple: FourTuple = { localAddr: r.localAddr, localPort: r.localPort, remoteAddr: r.remoteAddr, remotePort: r.remotePort };
    const conn = Connection.fromHandshake(this, r, ack);
    // fromHandshake may already have closed it (e.g. RST-worthy data); only register a live one.
    if (conn.state !== 'CLOSED' && conn.state !== 'TIME_WAIT') this.conns.set(tuple, conn);
    return conn;
  }

  connect(remoteAddr: number, remotePort: number, handler: ConnectionHandler, localPort?: number, buffers?: SocketParams): TcpConnection {
    const localAddr = this.ip.localAddr;
    const inUse = (p: number): boolean => {
      const t = { localAddr, localPort: p, remoteAddr, remotePort };
      return this.conns.has(t) || this.timeWait.has(t);
    };
    if (this.conns.size >= this.options.maxConnections) throw apiError('EADDRNOTAVAIL', `maxConnections (${this.options.maxConnections}) reached`);
    let port = localPort;
    if (port !== undefined) {
      if (inUse(port)) throw apiError('EADDRINUSE', `${port} is in use for that peer`);
    } else {
      port = allocateEphemeralPort(
        this.rng,
        this.options.ephemeralPortMin,
        this.options.ephemeralPortMax,
        (p) => this.listeners.has(p) || inUse(p),
      );
      if (port === undefined) throw apiError('EADDRNOTAVAIL', 'no free ephemeral port');
    }
    const tuple: FourTuple = { localAddr, localPort: port, remoteAddr, remotePort };
    const conn = Connection.connect(this, tuple, this.allocateIss(tuple), handler, buffers);
    // Inserted right after the SYN is handed to IPv4: links deliver asynchronously, so no answer can precede this.
    if (conn.state !== 'CLOSED') this.conns.set(tuple, conn);
    this.stats.ActiveOpens++;
    this.log?.debug({ localPort: port, remotePort }, 'tcp connect');
    return conn;
  }

  connections(): TcpInfo[] {
    const out: TcpInfo[] = [];
    for (const l of this.listeners.values()) out.push(...l.infos());
    for (const c of this.conns.values()) out.push(c.info());
    for (const { rec: r, deadline } of this.timeWait.entries()) {
      out.push(placeholderInfo('TIME_WAIT', r, { sndNxt: r.sndNxt, sndUna: r.sndNxt, rcvNxt: r.rcvNxt, timers: { timeWait: deadline } }));
    }
    return out;
  }
}
