/**
 * A BSD-like socket layer over TcpApi, so that script system-call lines mean
 * what they mean on Linux: file descriptors from 3 upwards (lowest free, as
 * POSIX requires), errno results, blocking and O_NONBLOCK behaviour.
 *
 * Every call returns either a result or WOULD_BLOCK; the interpreter turns
 * WOULD_BLOCK into EAGAIN/EINPROGRESS for non-blocking sockets, or retries
 * the call as virtual time advances for blocking ones.
 */
import type { ConnectionHandler, TcpApi, TcpConnection, TcpErrorCode, TcpListener, SocketParams } from '../tcp/api.js';

export const ERRNO: Record<string, number> = {
  EPERM: 1, ENOENT: 2, EINTR: 4, EBADF: 9, EAGAIN: 11, EWOULDBLOCK: 11, ENOMEM: 12, EFAULT: 14, EINVAL: 22,
  EPIPE: 32, ENOTSOCK: 88, ENOPROTOOPT: 92, EPROTONOSUPPORT: 93, EOPNOTSUPP: 95, EAFNOSUPPORT: 97,
  EADDRINUSE: 98, EADDRNOTAVAIL: 99, ENETUNREACH: 101, ECONNABORTED: 103, ECONNRESET: 104, EISCONN: 106,
  ENOTCONN: 107, ETIMEDOUT: 110, ECONNREFUSED: 111, EHOSTUNREACH: 113, EALREADY: 114, EINPROGRESS: 115,
};

export interface SysResult {
  ret: number;
  errno?: string;
  /** Values written through pointer arguments (getsockopt's optval, poll's revents). */
  out?: number[];
}

export const WOULD_BLOCK = Symbol('would block');
export type SysOutcome = SysResult | typeof WOULD_BLOCK;

export const ok = (ret = 0): SysResult => ({ ret });
export const err = (errno: string): SysResult => ({ ret: -1, errno });

export interface SockOpts {
  reuseAddr: boolean;
  noDelay: boolean;
  /** TCP_CONGESTION set before connect()/on the listener (Linux children inherit the listener's icsk_ca_ops). */
  congestion?: string;
  keepAlive: boolean;
  userTimeout: number;
  /** SO_RCVBUF/SO_SNDBUF as getsockopt reports them: Linux doubles the value set (socket(7)). */
  rcvBuf?: number;
  sndBuf?: number;
  /** TCP_MAXSEG set before listen()/connect(). */
  maxSeg?: number;
  /** SO_LINGER (socket(7)): what close() does with a connection that still has data or a FIN in flight. */
  linger?: { on: boolean; seconds: number };
  /** TCP_INQ: recvmsg() reports the bytes left to read in a TCP_CM_INQ control message. */
  inq?: boolean;
}

/** What TCP gets from SO_RCVBUF/SO_SNDBUF/TCP_MAXSEG: Linux keeps half the doubled size for data (tcp_win_from_space, 50%). */
export function socketParams(o: SockOpts): SocketParams {
  return { rcvBuf: o.rcvBuf && o.rcvBuf / 2, sndBuf: o.sndBuf && o.sndBuf / 2, maxSeg: o.maxSeg };
}

export class BsdSocket implements ConnectionHandler {
  nonblock = false;
  boundPort?: number;
  listener?: TcpListener;
  conn?: TcpConnection;
  /** A connection handed to us by accept() or created by connect(). */
  connected = false;
  /** Accept queue may be non-empty (set by onAcceptable, cleared when accept() finds nothing). */
  acceptable = false;
  /** Pending error, reported once by the next call or SO_ERROR (Linux sk_err). */
  error?: TcpErrorCode;
  /** The error that ended the connection, kept for later calls (EPIPE after reset). */
  dead = false;
  shutRd = false;
  shutWr = false;
  /** Bytes taken from TCP but not yet returned to read() (a read smaller than a chunk). */
  pending: Buffer[] = [];
  /** connect() was called (active open in progress or done). */
  connecting = false;
  readonly opts: SockOpts = { reuseAddr: false, noDelay: false, keepAlive: false, userTimeout: 0 };

  constructor(readonly fd: number) {}

  onConnect(): void {
    this.connected = true;
  }
  onReadable(): void {}
  onWritable(): void {}
  onError(code: TcpErrorCode): void {
    this.error = code;
    this.dead = true;
  }
  onClose(): void {
    this.dead = true;
  }

  pendingBytes(): number {
    let n = 0;
    for (const b of this.pending) n += b.length;
    return n;
  }

  /** Pull up to `max` bytes of in-order data (TCP chunks plus what an earlier short read left). */
  take(max: number): number {
    let got = 0;
    while (got < max) {
      const b = this.pending.shift() ?? this.conn?.read() ?? null;
      if (!b) break;
      const use = Math.min(b.length, max - got);
      if (use < b.length) this.pending.unshift(b.subarray(use));
      got += use;
    }
    return got;
  }

  /** Would a read return now (data, EOF or an error)? */
  readable(): boolean {
    if (this.pendingBytes() > 0 || this.error || this.shutRd) return true;
    const c = this.conn;
    if (!c) return false;
    if (c.info().recvQueue > 0 || c.readEnded) return true;
    return false;
  }
}

/** The per-script socket table (one per stack under test). */
export class BsdLayer {
  private readonly socks = new Map<number, BsdSocket>();

  constructor(
    readonly tcp: TcpApi,
    readonly localAddr: number,
  ) {}

  get(fd: number): BsdSocket | undefined {
    return this.socks.get(fd);
  }

  all(): BsdSocket[] {
    return [...this.socks.values()];
  }

  /** Lowest free descriptor >= 3 (0-2 are stdio), as Linux allocates them. */
  private alloc(): BsdSocket {
    let fd = 3;
    while (this.socks.has(fd)) fd++;
    const s = new BsdSocket(fd);
    this.socks.set(fd, s);
    return s;
  }

  socket(nonblock: boolean): SysResult {
    const s = this.alloc();
    s.nonblock = nonblock;
    return ok(s.fd);
  }

  bind(fd: number, port: number): SysResult {
    const s = this.socks.get(fd);
    if (!s) return err('EBADF');
    if (s.boundPort !== undefined) return err('EINVAL');
    if (this.bindConflict(s, port)) return err('EADDRINUSE');
    s.boundPort = port;
    return ok();
  }

  /**
   * Linux inet_csk_bind_conflict: a port another socket of ours is bound to
   * is taken, unless both set SO_REUSEADDR and the other one is not listening.
   */
  private bindConflict(s: BsdSocket, port: number): boolean {
    for (const o of this.socks.values()) {
      if (o === s || o.boundPort !== port) continue;
      if (!(s.opts.reuseAddr && o.opts.reuseAddr) || o.listener) return true;
    }
    return false;
  }

  listen(fd: number, backlog: number, defaultPort: number): SysResult {
    const s = this.socks.get(fd);
    if (!s) return err('EBADF');
    if (s.conn) return err('EINVAL');
    if (s.listener) return ok();
    try {
      s.listener = this.tcp.listen(
        s.boundPort ?? defaultPort,
        Math.max(1, backlog),
        () => {
          s.acceptable = true;
        },
        socketParams(s.opts),
      );
    } catch (e) {
      return err(errnoOf(e, 'EADDRINUSE'));
    }
    return ok();
  }

  accept(fd: number): SysOutcome {
    const s = this.socks.get(fd);
    if (!s) return err('EBADF');
    if (!s.listener) return err('EINVAL');
    const c = s.listener.accept();
    if (!c) {
      s.acceptable = false;
      return s.nonblock ? err('EAGAIN') : WOULD_BLOCK;
    }
    const n = this.alloc();
    n.conn = c;
    n.connected = true;
    c.handler = n;
    // Linux sockets inherit TCP_NODELAY/keepalive set on the listener.
    if (s.opts.noDelay) c.setNoDelay(true);
    if (s.opts.keepAlive) c.setKeepAlive(true);
    if (s.opts.congestion) c.setCongestionControl(s.opts.congestion);
    Object.assign(n.opts, s.opts);
    return ok(n.fd);
  }

  /** connect(): the first call sends SYN; a blocking socket then waits (the interpreter re-polls with `again`). */
  connect(fd: number, addr: number, port: number, again: boolean): SysOutcome {
    const s = this.socks.get(fd);
    if (!s) return err('EBADF');
    if (!again) {
      if (s.connecting) return s.connected ? err('EISCONN') : s.error ? takeError(s) : err('EALREADY');
      s.connecting = true;
      try {
        s.conn = this.tcp.connect(addr, port, s, s.boundPort, socketParams(s.opts));
      } catch (e) {
        return err(errnoOf(e, 'EADDRNOTAVAIL'));
      }
      if (s.opts.noDelay) s.conn.setNoDelay(true);
      if (s.opts.keepAlive) s.conn.setKeepAlive(true);
      if (s.opts.userTimeout) s.conn.setUserTimeout(s.opts.userTimeout);
      if (s.opts.congestion) s.conn.setCongestionControl(s.opts.congestion);
    }
    if (s.connected || s.conn?.state === 'ESTABLISHED') {
      s.connected = true;
      return ok();
    }
    if (s.error) return takeError(s);
    return s.nonblock && !again ? err('EINPROGRESS') : WOULD_BLOCK;
  }

  read(fd: number, len: number): SysOutcome {
    const s = this.socks.get(fd);
    if (!s) return err('EBADF');
    if (!s.conn) return err('ENOTCONN');
    if (len === 0) return ok(0);
    const got = s.take(len);
    if (got > 0) return ok(got);
    if (s.error) return takeError(s);
    if (s.shutRd || s.conn.readEnded) return ok(0);
    if (s.dead) return ok(0);
    if (!s.connected && !s.connecting) return err('ENOTCONN');
    return s.nonblock ? err('EAGAIN') : WOULD_BLOCK;
  }

  /** write()/send(): `progress.sent` counts bytes accepted by earlier polls of this same blocking call. */
  write(fd: number, len: number, progress: { sent: number }): SysOutcome {
    const sent = progress.sent;
    const s = this.socks.get(fd);
    if (!s) return err('EBADF');
    if (s.error) return takeError(s);
    // Linux: writing after shutdown(SHUT_WR) or on a reset/unconnected socket is EPIPE.
    if (s.shutWr || s.dead || !s.conn) return sent > 0 ? ok(sent) : err('EPIPE');
    const st = s.conn.state;
    if (st === 'SYN_SENT' || st === 'SYN_RECEIVED') return s.nonblock ? err('EAGAIN') : WOULD_BLOCK;
    if (st !== 'ESTABLISHED' && st !== 'CLOSE_WAIT') return sent > 0 ? ok(sent) : err('EPIPE');
    let done = sent;
    while (done < len) {
      const space = s.conn.sendSpace;
      if (space <= 0) break;
      const n = s.conn.send(Buffer.alloc(Math.min(space, len - done)));
      if (n <= 0) break;
      done += n;
    }
    progress.sent = done;
    if (done === len) return ok(done);
    if (s.nonblock) return done > 0 ? ok(done) : err('EAGAIN');
    return WOULD_BLOCK;
  }

  shutdown(fd: number, how: number): SysResult {
    const s = this.socks.get(fd);
    if (!s) return err('EBADF');
    if (!s.conn || (!s.connected && s.conn.state !== 'ESTABLISHED')) return err('ENOTCONN');
    if (how === 0 || how === 2) s.shutRd = true;
    if ((how === 1 || how === 2) && !s.shutWr) {
      s.shutWr = true;
      s.conn.shutdownWrite();
    }
    return ok();
  }

  /** close(): Linux sends RST instead of FIN when unread data is discarded (RFC 2525 §2.17; RFC 9293 §3.10.4 leaves it open). */
  close(fd: number): SysResult {
    const s = this.socks.get(fd);
    if (!s) return err('EBADF');
    this.socks.delete(fd);
    if (s.listener) s.listener.close();
    const c = s.conn;
    if (c && !s.dead) {
      const unread = s.pendingBytes() > 0 || c.info().recvQueue > 0;
      if (unread) c.abort();
      else c.close();
    }
    return ok();
  }
}

function takeError(s: BsdSocket): SysResult {
  const e = s.error ?? 'EPIPE';
  s.error = undefined;
  return err(e);
}

function errnoOf(e: unknown, fallback: string): string {
  if (e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' && e.code in ERRNO) return e.code;
  return fallback;
}
