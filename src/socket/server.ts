/**
 * A listening socket as a Node `net.Server`: 'listening', 'connection',
 * 'close', 'error', address(), close(), getConnections(), maxConnections.
 * Accepting drains the whole accept queue on each wake-up, as libuv's
 * uv__server_io loops accept(2) until EAGAIN.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../time/clock.js';
import type { TcpApi, TcpConnection, TcpListener } from '../tcp/api.js';
import { formatIpv4 } from '../wire/ip-address.js';
import { errorCodeOf, socketError } from './errors.js';
import { TcpSocket, type SocketOwner } from './socket.js';

export interface TcpServerOptions {
  allowHalfOpen?: boolean;
  /** Accepted sockets start paused: nothing is read until resume(). */
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

export interface ListenOptions {
  port?: number;
  backlog?: number;
}

/** Linux's default somaxconn, which Node's listen() backlog defaults to (511). */
const DEFAULT_BACKLOG = 511;

function emitConnection(server: TcpServer, socket: TcpSocket): void {
  server.emit('connection', socket);
}

export class TcpServer extends EventEmitter implements SocketOwner {
  /** New connections beyond this are closed at once (net.Server#maxConnections). */
  maxConnections = Infinity;

  private listener: TcpListener | null = null;
  private readonly sockets = new Set<TcpSocket>();
  private closing = false;

  constructor(
    private readonly tcp: TcpApi,
    private readonly clock: Clock,
    private readonly opts: TcpServerOptions = {},
  ) {
    super();
  }

  get listening(): boolean {
    return this.listener !== null;
  }

  /** listen(port, [backlog], [cb]) | listen({ port, backlog }, [cb]) | listen([cb]). */
  listen(...args: Array<number | ListenOptions | (() => void) | undefined>): this {
    let port = 0;
    let backlog = DEFAULT_BACKLOG;
    let cb: (() => void) | undefined;
    let numbers = 0;
    for (const a of args) {
      if (typeof a === 'function') cb = a;
      else if (typeof a === 'number') {
        if (numbers++ === 0) port = a;
        else backlog = a;
      } else if (a && typeof a === 'object') {
        port = a.port ?? 0;
        backlog = a.backlog ?? DEFAULT_BACKLOG;
      }
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw Object.assign(new RangeError(`options.port should be >= 0 and < 65536. Received ${String(port)}.`), {
        code: 'ERR_SOCKET_BAD_PORT',
      });
    }
    if (this.listener) throw Object.assign(new Error('Listen method has been called more than once'), { code: 'ERR_SERVER_ALREADY_LISTEN' });
    if (cb) this.once('listening', cb);
    this.closing = false;
    try {
      this.listener = this.tcp.listen(port, backlog, () => this.acceptAll());
    } catch (e) {
      const err = socketError(errorCodeOf(e) ?? 'EADDRINUSE', 'listen', '0.0.0.0', port);
      process.nextTick(() => this.emit('error', err));
      return this;
    }
    process.nextTick(() => this.emit('listening'));
    return this;
  }

  /**
   * Called synchronously from packet processing. Taking the connections and
   * setting their handlers is cheap and must happen now (the contract says
   * immediately); announcing them is deferred out of TCP.
   */
  private acceptAll(): void {
    const l = this.listener;
    if (!l) return;
    for (let conn = l.accept(); conn !== null; conn = l.accept()) this.adopt(conn);
  }

  private adopt(conn: TcpConnection): void {
    if (this.sockets.size >= this.maxConnections) {
      // As Node: close the new connection and drop it (net.js onconnection).
      conn.handler = { onConnect() {}, onReadable() {}, onWritable() {}, onError() {}, onClose() {} };
      conn.close();
      process.nextTick(() => this.emit('drop', { remoteAddress: formatIpv4(conn.remoteAddr), remotePort: conn.remotePort }));
      return;
    }
    const socket = new TcpSocket({ clock: this.clock, conn, allowHalfOpen: this.opts.allowHalfOpen ?? false, owner: this });
    if (this.opts.noDelay) socket.setNoDelay(true);
    if (this.opts.keepAlive) socket.setKeepAlive(true, this.opts.keepAliveInitialDelay ?? 0);
    if (this.opts.pauseOnConnect) socket.pause();
    this.sockets.add(socket);
    process.nextTick(emitConnection, this, socket);
  }

  /** @internal SocketOwner: an accepted socket is about to emit 'close'. */
  socketClosed(socket: TcpSocket): void {
    this.sockets.delete(socket);
    this.emitCloseIfDrained();
  }

  /** The accepted sockets not yet closed (for services that end them all on shutdown). */
  get openSockets(): ReadonlySet<TcpSocket> {
    return this.sockets;
  }

  address(): { address: string; family: 'IPv4'; port: number } | null {
    const l = this.listener;
    return l ? { address: formatIpv4(l.localAddr), family: 'IPv4', port: l.localPort } : null;
  }

  /**
   * Stop accepting; 'close' follows once every accepted connection has closed
   * (net.Server#close). Unaccepted connections are reset by TCP.
   */
  close(cb?: (err?: Error) => void): this {
    if (cb) {
      if (this.listener) this.once('close', () => cb());
      else {
        const err = Object.assign(new Error('Server is not running.'), { code: 'ERR_SERVER_NOT_RUNNING' });
        this.once('close', () => cb(err));
      }
    }
    if (this.listener) {
      this.listener.close();
      this.listener = null;
    }
    this.closing = true;
    this.emitCloseIfDrained();
    return this;
  }

  private emitCloseIfDrained(): void {
    if (!this.closing || this.listener || this.sockets.size > 0) return;
    this.closing = false;
    process.nextTick(() => this.emit('close'));
  }

  getConnections(cb: (err: Error | null, count: number) => void): this {
    const n = this.sockets.size;
    process.nextTick(() => cb(null, n));
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}
