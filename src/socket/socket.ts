/**
 * A TCP connection as a Node `stream.Duplex`, behaving like `net.Socket`
 * (lib/net.js, lib/internal/stream_base_commons.js) so that `http.Server`,
 * `tls.TLSSocket` and ordinary Node code run over it unchanged.
 *
 * - Writing: the `_write` callback fires once TCP has accepted every byte
 *   into its send buffer (not when ACKed), as libuv's write completes once
 *   the kernel has the data. A full send buffer therefore delays the
 *   callback, the Writable buffer fills, `write()` returns false and
 *   `'drain'` follows `onWritable`.
 * - Reading is pulled: data stays in TCP until the Readable asks for it, so a
 *   slow reader shrinks the advertised window and the peer stops (lwIP's
 *   `tcp_recved`; RFC 9293 §3.8.6.2.2 decides when the window reopens).
 * - TCP calls the handler synchronously from packet processing; the handler
 *   only records what happened and everything user-visible runs from one
 *   `process.nextTick`, so no user code ever runs inside TCP and errors are
 *   emitted asynchronously, as Node's are.
 */
import { WriteArena } from './write-arena.js';
import { Duplex } from 'node:stream';
import type { Clock } from '../time/clock.js';
import type { ConnectionHandler, TcpApi, TcpConnection, TcpErrorCode, TcpState } from '../tcp/api.js';
import { formatIpv4, parseIpv4 } from '../wire/ip-address.js';
import { errorCodeOf, socketError, syscallFor } from './errors.js';
import { IdleTimer } from './idle-timer.js';
import { EV_CLOSE, EV_CONNECT, EV_READABLE, EV_WRITABLE, SocketEvents, emitClose, emitTimeout, serviceSocket, uncorkLater } from './socket-events.js';

export interface TcpSocketOptions {
  /** The stack's clock, for `setTimeout` (never the global timers). */
  clock: Clock;
  /** Needed by `connect()`; accepted sockets do without. */
  tcp?: TcpApi;
  /** An accepted, established connection to wrap. */
  conn?: TcpConnection;
  /** Node's default for net.Socket is false: a peer FIN ends our side too. */
  allowHalfOpen?: boolean;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
  /** Told just before 'close' is emitted (the accepting server's bookkeeping; a listener per socket costs more). */
  owner?: SocketOwner;
}

export interface SocketOwner {
  socketClosed(socket: TcpSocket): void;
}

export interface SocketConnectOptions {
  /** Dotted IPv4 text; there is no resolver. */
  host?: string;
  port: number;
  localPort?: number;
  /** Idle timeout in ms, as `socket.setTimeout` (Node's `timeout` option). */
  timeout?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

type WriteCallback = (error?: Error | null) => void;

/** States in which TCP still takes new data (RFC 9293 §3.10.2 SEND). */
function canSend(state: TcpState): boolean {
  return state === 'ESTABLISHED' || state === 'CLOSE_WAIT' || state === 'SYN_SENT' || state === 'SYN_RECEIVED';
}

/** Installed on a connection we have let go of, so TCP can report into nothing. */
const DETACHED: ConnectionHandler = Object.freeze({
  onConnect() {},
  onReadable() {},
  onWritable() {},
  onError() {},
  onClose() {},
});

/** Segments smaller than this are joined into one 'data' chunk of at most COALESCE_MAX bytes. */
const COALESCE_SMALL = 4096;
const COALESCE_MAX = 64 * 1024;

export class TcpSocket extends Duplex {
  /** True between `connect()` and ESTABLISHED, as net.Socket#connecting. */
  connecting = false;

  private readonly clock: Clock;
  private readonly tcp: TcpApi | undefined;
  private readonly owner: SocketOwner | undefined;
  private conn: TcpConnection | null = null;
  /** TCP has called onClose (or we detached): the connection may not be used. */
  private connGone = false;
  /** Created by the first setTimeout(ms > 0): most sockets never have one. */
  private idle: IdleTimer | null = null;

  // What TCP reported since the last service run: EV_* bits, and the error.
  private events = 0;
  private evError: TcpErrorCode | null = null;
  private serviceQueued = false;
  /** Writes of this event-loop turn are corked in TCP (corkForTurn). */
  private corked = false;

  /** The Readable asked for data and has not yet been refused by push(). */
  private wantRead = false;
  private eofPushed = false;
  /** Chunks of the current write not yet accepted by TCP, and its callback. */
  private unsent: Buffer[] | null = null;
  /** Where written chunks are copied (write-arena.ts); created by the first write, an idle socket has none. */
  private arena: WriteArena | null = null;
  /** A chunk read while coalescing that did not fit: delivered next (readCoalesced). */
  private carry: Buffer | null = null;
  private pendingCb: WriteCallback | null = null;
  private resetOnDestroy = false;

  private bytesAccepted = 0;
  private bytesReceived = 0;
  private noDelay: boolean | undefined;
  private keepAlive: { enable: boolean; delay: number } | undefined;
  /** The connection's addresses may be reported (accepted, or connect() completed). */
  private addressesKnown = false;
  /** Where connect() was aimed, for error messages. */
  private target: { address: string; port: number } | undefined;

  readonly remoteFamily = 'IPv4';

  /** Recorded synchronously by TCP; acted on in one nextTick. */
  private readonly handler: ConnectionHandler = new SocketEvents(this);

  constructor(opts: TcpSocketOptions) {
    super({
      allowHalfOpen: opts.allowHalfOpen ?? false,
      // net.Socket emits 'close' itself, with hadError, after the handle closes.
      emitClose: false,
      autoDestroy: true,
      // As net.Socket: strings reach _write as they are and are encoded once,
      // straight into the write arena (no intermediate Buffer per write).
      decodeStrings: false,
      readableHighWaterMark: opts.readableHighWaterMark,
      writableHighWaterMark: opts.writableHighWaterMark,
    });
    this.clock = opts.clock;
    this.tcp = opts.tcp;
    this.owner = opts.owner;
    if (opts.conn) {
      this.conn = opts.conn;
      opts.conn.handler = this.handler;
      this.cacheAddresses();
    }
  }

  // ---- connecting -------------------------------------------------------

  /** Active open (net.Socket#connect). Failures arrive as an async 'error'. */
  connect(opts: SocketConnectOptions, connectListener?: () => void): this {
    if (!this.tcp) throw new Error('this socket has no TcpApi to connect with');
    if (this.conn || this.connecting) throw Object.assign(new Error('Socket is already connected'), { code: 'ERR_SOCKET_CONNECTING' });
    const port = opts.port;
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw Object.assign(new RangeError(`Port should be > 0 and < 65536. Received ${String(port)}.`), { code: 'ERR_SOCKET_BAD_PORT' });
    }
    const host = opts.host ?? '127.0.0.1';
    this.target = { address: host, port };
    if (connectListener) this.once('connect', connectListener);
    if (opts.timeout !== undefined) this.setTimeout(opts.timeout);
    if (opts.noDelay !== undefined) this.setNoDelay(opts.noDelay);
    if (opts.keepAlive) this.setKeepAlive(true, opts.keepAliveInitialDelay ?? 0);
    this.connecting = true;
    const addr = parseIpv4(host);
    if (addr === undefined) {
      const err = socketError('EINVAL', 'getaddrinfo', host, undefined, 'tunstack has no resolver: use a dotted IPv4 address');
      process.nextTick(() => this.destroy(err));
      return this;
    }
    try {
      this.conn = this.tcp.connect(addr, port, this.handler, opts.localPort);
    } catch (e) {
      const err = socketError(errorCodeOf(e) ?? 'EADDRNOTAVAIL', 'connect', host, port);
      process.nextTick(() => this.destroy(err));
      return this;
    }
    this.applyOptions();
    // Writes made before connect() go to TCP now: it queues data in SYN_SENT (RFC 9293 §3.10.2).
    this.flushPending();
    return this;
  }

  // ---- TCP events, run outside packet processing ------------------------

  /** @internal Called by SocketEvents, synchronously from packet processing. */
  noteTcpEvent(bit: number): void {
    this.events |= bit;
    this.queueService();
  }

  /** @internal */
  noteTcpError(code: TcpErrorCode): void {
    this.evError = code;
    this.queueService();
  }

  private queueService(): void {
    if (this.serviceQueued) return;
    this.serviceQueued = true;
    process.nextTick(serviceSocket, this);
  }

  /** @internal Everything TCP reported since the last run, outside packet processing. */
  runService(): void {
    this.serviceQueued = false;
    if (this.destroyed) return;
    const ev = this.events;
    this.events = 0;
    if (ev & EV_CONNECT) this.established();
    if (ev & EV_READABLE) this.pull();
    if (ev & EV_WRITABLE) {
      this.idle?.touch();
      this.flushPending();
    }
    if (this.evError !== null) {
      const code = this.evError;
      this.evError = null;
      this.failed(code);
      return;
    }
    if (ev & EV_CLOSE) this.tcpClosed();
  }

  private established(): void {
    if (!this.connecting) return;
    this.connecting = false;
    this.cacheAddresses();
    this.idle?.touch();
    this.emit('connect');
    this.emit('ready');
    this.flushPending();
    this.pull();
  }

  private failed(code: TcpErrorCode): void {
    this.connGone = true;
    const connecting = this.connecting;
    const syscall = syscallFor(code, connecting);
    const err =
      syscall === 'connect' && this.target
        ? socketError(code, syscall, this.target.address, this.target.port)
        : socketError(code, syscall);
    this.destroy(err);
  }

  /** The connection finished normally (both FINs exchanged); deliver what is left. */
  private tcpClosed(): void {
    const conn = this.conn;
    this.connGone = true;
    if (conn && !this.eofPushed) {
      // The receive buffer is bounded by rcvBuf, so handing it all over ignores push()'s advice harmlessly.
      for (let chunk = this.readCoalesced(conn); chunk !== null; chunk = this.readCoalesced(conn)) this.deliver(chunk);
    }
    if (!this.eofPushed) {
      this.eofPushed = true;
      this.push(null);
    }
    // A write still waiting can never complete now.
    this.flushPending();
  }

  // ---- reading ----------------------------------------------------------

  override _read(): void {
    this.wantRead = true;
    this.pull();
  }

  private pull(): void {
    const conn = this.conn;
    if (!conn || this.eofPushed || this.connGone) return;
    while (this.wantRead) {
      const chunk = this.readCoalesced(conn);
      if (chunk === null) break;
      if (!this.deliver(chunk)) this.wantRead = false;
    }
    if (conn.readEnded && this.carry === null) {
      // RFC 9293 §3.10.7.4 eighth step: FIN means no more data — end of stream.
      this.eofPushed = true;
      this.push(null);
    }
  }

  /**
   * The next chunk for 'data': runs of MSS-sized segments that arrived in
   * one batch are joined (up to COALESCE_MAX) so the reader gets one event
   * instead of one per segment — a stream push costs more than copying a
   * segment. Large chunks (GSO super-packets) go as they are.
   */
  private readCoalesced(conn: TcpConnection): Buffer | null {
    const first = this.carry ?? conn.read();
    this.carry = null;
    if (first === null || first.length >= COALESCE_SMALL) return first;
    let parts: Buffer[] | null = null;
    let total = first.length;
    for (;;) {
      const b = conn.read();
      if (b === null) break;
      if (b.length >= COALESCE_SMALL || total + b.length > COALESCE_MAX) {
        this.carry = b; // goes out as the next chunk
        break;
      }
      (parts ??= [first]).push(b);
      total += b.length;
    }
    return parts === null ? first : Buffer.concat(parts, total);
  }

  private deliver(chunk: Buffer): boolean {
    this.bytesReceived += chunk.length;
    this.idle?.touch();
    return this.push(chunk);
  }

  // ---- writing ----------------------------------------------------------

  // Chunks are copied on the way in: TCP keeps sent bytes until they are
  // acknowledged (and a corked turn holds them a little longer), while Node's
  // contract lets the caller reuse a Buffer once its write callback has run —
  // the same copy the kernel makes for net.Socket.
  override _write(chunk: Buffer | string, encoding: BufferEncoding, callback: WriteCallback): void {
    this.releaseAcked();
    const arena = (this.arena ??= new WriteArena());
    (this.unsent ??= []).push(typeof chunk === 'string' ? arena.copyString(chunk, encoding) : arena.copy(chunk));
    this.pendingCb = callback;
    this.flushPending();
  }

  override _writev(chunks: Array<{ chunk: Buffer | string; encoding: BufferEncoding }>, callback: WriteCallback): void {
    this.releaseAcked();
    const arena = (this.arena ??= new WriteArena());
    const unsent = (this.unsent ??= []);
    for (const c of chunks) unsent.push(typeof c.chunk === 'string' ? arena.copyString(c.chunk, c.encoding) : arena.copy(c.chunk));
    this.pendingCb = callback;
    this.flushPending();
  }

  /** Let the arena reuse blocks TCP no longer needs: the stream is acknowledged up to bytesAccepted - sendQueued. */
  private releaseAcked(): void {
    const queued = this.conn?.sendQueued;
    if (queued !== undefined) this.arena?.release(this.bytesAccepted - queued);
  }

  /** Offer TCP what is pending; complete the write once all of it is taken. */
  private flushPending(): void {
    const cb = this.pendingCb;
    if (cb === null) return;
    const conn = this.conn;
    if (conn === null) return; // not connected yet: Node queues writes until connect
    if (this.connGone) return this.failWrite(cb);
    this.corkForTurn(conn);
    const unsent = this.unsent;
    while (unsent !== null && unsent.length > 0) {
      const head = unsent[0];
      const n = head.length === 0 ? 0 : conn.send(head);
      this.bytesAccepted += n;
      if (n === head.length) {
        unsent.shift();
        continue;
      }
      if (n > 0) unsent[0] = head.subarray(n);
      // Nothing taken outside a sending state: our FIN is out or the connection is gone.
      else if (!canSend(conn.state)) return this.failWrite(cb);
      return; // send buffer full: onWritable resumes
    }
    this.pendingCb = null;
    this.unsent = null; // drained: an idle socket keeps no array
    this.idle?.touch();
    cb();
  }

  /**
   * Autocork: hold this turn's writes (and an end() that follows them, as
   * node:http's Connection: close does) in TCP until the event loop moves on,
   * so the last data and the FIN leave as one segment and the peer sees our
   * close first. setImmediate runs after the nextTick/microtask chain that
   * node:http uses between res.end() and socket.end(). Full-sized segments are
   * not held (TCP_CORK semantics), so bulk transfer is unaffected.
   */
  private corkForTurn(conn: TcpConnection): void {
    if (this.corked) return;
    this.corked = true;
    conn.cork();
    uncorkLater(this, conn);
  }

  /** @internal The end of corkForTurn's event-loop turn. */
  uncorkTurn(conn: TcpConnection): void {
    this.corked = false;
    conn.uncork();
  }

  private failWrite(cb: WriteCallback): void {
    this.unsent = null;
    this.pendingCb = null;
    // A RST processed in this turn has its error event still queued (service
    // runs on nextTick); Linux tcp_sendmsg reports that pending error
    // (sk_err = ECONNRESET) before it reports EPIPE, and so does net.Socket.
    // Found by test/sim/stress-socket.test.ts (destroy mid-transfer, "seed 7").
    const pending = this.evError;
    cb(socketError(pending !== null ? pending : 'EPIPE', 'write'));
  }

  override _final(callback: WriteCallback): void {
    if (this.connecting) {
      // As net.Socket: the FIN waits for the handshake.
      this.once('connect', () => this._final(callback));
      return;
    }
    const conn = this.conn;
    if (conn && !this.connGone && canSend(conn.state)) conn.shutdownWrite();
    callback();
  }

  // ---- teardown ---------------------------------------------------------

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.connecting = false;
    this.idle?.cancel();
    const conn = this.conn;
    if (conn && !this.connGone) {
      this.connGone = true;
      conn.handler = DETACHED;
      if (err || this.resetOnDestroy || (this.unsent !== null && this.unsent.length > 0) || conn.recvQueue > 0) {
        // RFC 9293 §3.10.5 ABORT. Also Linux's close() with unread data (RFC 2525 §2.17).
        conn.abort();
      } else {
        // Nothing lost: close(2) semantics, FIN after queued data (RFC 9293 §3.10.4).
        conn.close();
      }
    }
    const cb = this.pendingCb;
    if (cb) {
      this.unsent = null;
      this.pendingCb = null;
      cb(Object.assign(new Error('Cannot call write after a stream was destroyed'), { code: 'ERR_STREAM_DESTROYED' }));
    }
    callback(err);
    // After any 'error' (queued by callback above), as Node's handle-close callback.
    process.nextTick(emitClose, this, err !== null && err !== undefined);
  }

  /** @internal The end of _destroy: the owner's bookkeeping, then 'close'. */
  reportClosed(hadError: boolean): void {
    this.owner?.socketClosed(this);
    this.emit('close', hadError);
  }

  /** Send RST and destroy (net.Socket#resetAndDestroy, Node 16.17+). */
  resetAndDestroy(): this {
    this.resetOnDestroy = true;
    this.destroy();
    return this;
  }

  /** End, then destroy once everything is handed to TCP (net.Socket#destroySoon). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    // As net.Socket: the method itself, no closure per socket ('finish' passes no error).
    else this.once('finish', this.destroy);
  }

  // ---- options ----------------------------------------------------------

  setTimeout(ms: number, callback?: () => void): this {
    if (callback) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    if (this.idle === null) {
      if (!(ms > 0)) return this;
      this.idle = new IdleTimer(this.clock, () => process.nextTick(emitTimeout, this));
    }
    this.idle.set(ms);
    return this;
  }

  get timeout(): number {
    return this.idle?.timeout ?? 0;
  }

  setNoDelay(noDelay = true): this {
    this.noDelay = noDelay;
    if (this.conn && !this.connGone) this.conn.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable = false, initialDelay = 0): this {
    this.keepAlive = { enable, delay: initialDelay };
    if (this.conn && !this.connGone) this.conn.setKeepAlive(enable, initialDelay > 0 ? initialDelay : undefined);
    return this;
  }

  private applyOptions(): void {
    if (this.noDelay !== undefined) this.setNoDelay(this.noDelay);
    if (this.keepAlive !== undefined) this.setKeepAlive(this.keepAlive.enable, this.keepAlive.delay);
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  // ---- state and addresses ----------------------------------------------

  /** net.Socket#pending: not yet connected. */
  get pending(): boolean {
    return this.conn === null || this.connecting;
  }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  get bytesRead(): number {
    return this.bytesReceived;
  }

  /** As Node: bytes handed to TCP plus bytes still waiting in our buffers. */
  get bytesWritten(): number {
    let queued = 0;
    for (const b of this.unsent ?? []) queued += b.length;
    return this.bytesAccepted + queued + this.writableLength;
  }

  get remoteAddress(): string | undefined {
    return this.peer?.address;
  }

  get remotePort(): number | undefined {
    return this.peer?.port;
  }

  get localAddress(): string | undefined {
    return this.local?.address;
  }

  get localPort(): number | undefined {
    return this.local?.port;
  }

  address(): { address: string; family: string; port: number } | Record<string, never> {
    return this.local ? { address: this.local.address, family: 'IPv4', port: this.local.port } : {};
  }

  /** The TCP state, for diagnostics (`ss`-style tables). */
  get tcpState(): TcpState | 'CLOSED' {
    return this.conn && !this.connGone ? this.conn.state : 'CLOSED';
  }

  private cacheAddresses(): void {
    // The connection object outlives its TCP state, so the addresses are read
    // from it when asked (as Node caches _peername/_sockname on first use):
    // two objects and two strings per socket otherwise (bench/scale.ts).
    this.addressesKnown = this.conn !== null;
  }

  private get peer(): { address: string; port: number } | undefined {
    const c = this.conn;
    return this.addressesKnown && c ? { address: formatIpv4(c.remoteAddr), port: c.remotePort } : undefined;
  }

  private get local(): { address: string; port: number } | undefined {
    const c = this.conn;
    return this.addressesKnown && c ? { address: formatIpv4(c.localAddr), port: c.localPort } : undefined;
  }
}
