/**
 * A deterministic in-memory stand-in for src/tcp behind the TcpApi contract
 * (src/tcp/api.ts), for testing the socket layer before and apart from the
 * real TCP. Two connections are piped to each other; every "segment" takes
 * `latency` ms of virtual time, and handler callbacks run synchronously from
 * those clock timers exactly as real TCP calls them from packet processing.
 *
 * Flow control is modelled as bytes: data moves from the sender's send
 * buffer (sndBuf) to the receiver's read queue only while the receiver has
 * free receive buffer (rcvBuf) — the advertised window. Unread data therefore
 * stops the sender, and read() reopens the window.
 */
import type {
  ConnectionHandler,
  TcpApi,
  TcpConnection,
  TcpErrorCode,
  TcpInfo,
  TcpListener,
  TcpState,
  SocketParams,
} from '../../src/tcp/api.js';
import type { Clock } from '../../src/time/clock.js';

export interface FakeTcpOptions {
  sndBuf?: number;
  rcvBuf?: number;
}

const NOOP: ConnectionHandler = {
  onConnect() {},
  onReadable() {},
  onWritable() {},
  onError() {},
  onClose() {},
};

export class FakeNet {
  readonly listeners = new Map<string, FakeListener>();
  /** Every connection ever made, for inspecting state in tests. */
  readonly conns: FakeConn[] = [];
  /** RSTs sent, by the address:port that sent them. */
  readonly resets: string[] = [];

  constructor(
    readonly clock: Clock,
    readonly latency = 1,
  ) {}

  later(fn: () => void): void {
    this.clock.setTimer(this.clock.now() + this.latency, fn);
  }

  host(addr: number, opts: FakeTcpOptions = {}): FakeTcp {
    return new FakeTcp(this, addr, opts);
  }
}

export class FakeTcp implements TcpApi {
  private nextPort = 40000;

  constructor(
    readonly net: FakeNet,
    readonly addr: number,
    readonly opts: FakeTcpOptions,
  ) {}

  listen(localPort: number, backlog: number, onAcceptable: () => void): TcpListener {
    const key = `${this.addr}:${localPort}`;
    if (this.net.listeners.has(key)) throw Object.assign(new Error('EADDRINUSE'), { code: 'EADDRINUSE' });
    const l = new FakeListener(this, localPort, backlog, onAcceptable);
    this.net.listeners.set(key, l);
    return l;
  }

  connect(remoteAddr: number, remotePort: number, handler: ConnectionHandler, localPort?: number): TcpConnection {
    const c = new FakeConn(this, localPort ?? this.nextPort++, remoteAddr, remotePort, 'SYN_SENT');
    c.handler = handler;
    this.net.conns.push(c);
    this.net.later(() => {
      const l = this.net.listeners.get(`${remoteAddr}:${remotePort}`);
      if (l) l.syn(c);
      else c.reset();
    });
    return c;
  }

  connections(): TcpInfo[] {
    return this.net.conns.filter((c) => c.tcp === this).map((c) => c.info());
  }
}

export class FakeListener implements TcpListener {
  readonly queue: FakeConn[] = [];
  closed = false;

  constructor(
    readonly tcp: FakeTcp,
    readonly localPort: number,
    readonly backlog: number,
    readonly onAcceptable: () => void,
  ) {}

  get localAddr(): number {
    return this.tcp.addr;
  }

  /** Options set after listen(), kept as given (the fake handshake has no MSS or window to apply them to). */
  params: SocketParams = {};
  setParams(p: SocketParams): void {
    this.params = { ...this.params, ...p };
  }

  /** The client's SYN arrives; the handshake completes in one round trip. */
  syn(client: FakeConn): void {
    if (this.closed || client.state !== 'SYN_SENT') return client.reset();
    const s = new FakeConn(this.tcp, this.localPort, client.tcp.addr, client.localPort, 'ESTABLISHED');
    s.handler = NOOP;
    s.peer = client;
    client.peer = s;
    this.tcp.net.conns.push(s);
    this.queue.push(s);
    this.onAcceptable();
    this.tcp.net.later(() => client.established());
  }

  accept(): TcpConnection | null {
    return this.queue.shift() ?? null;
  }

  close(): void {
    this.closed = true;
    this.tcp.net.listeners.delete(`${this.tcp.addr}:${this.localPort}`);
    for (const c of this.queue.splice(0)) c.abort();
  }
}

export class FakeConn implements TcpConnection {
  handler: ConnectionHandler = NOOP;
  peer: FakeConn | null = null;
  readonly sndBuf: number;
  readonly rcvBuf: number;
  private readonly sendQ: Buffer[] = [];
  private sendQLen = 0;
  private readonly recvQ: Buffer[] = [];
  private recvQLen = 0;
  private wasFull = false;
  private finQueued = false;
  private finSent = false;
  private peerFin = false;
  private userClosed = false;
  private closeReported = false;
  private pumpQueued = false;
  noDelay = false;
  keepAlive = false;
  /** Total bytes this side has delivered to its peer. */
  delivered = 0;

  constructor(
    readonly tcp: FakeTcp,
    readonly localPort: number,
    readonly remoteAddr: number,
    readonly remotePort: number,
    public state: TcpState,
  ) {
    this.sndBuf = tcp.opts.sndBuf ?? 64 * 1024;
    this.rcvBuf = tcp.opts.rcvBuf ?? 64 * 1024;
  }

  get localAddr(): number {
    return this.tcp.addr;
  }

  get sendSpace(): number {
    return this.sndBuf - this.sendQLen;
  }

  get recvQueue(): number {
    return this.recvQLen;
  }

  get readEnded(): boolean {
    return this.peerFin && this.recvQLen === 0;
  }

  established(): void {
    if (this.state !== 'SYN_SENT') return;
    this.state = 'ESTABLISHED';
    this.handler.onConnect();
    this.schedulePump();
  }

  send(data: Buffer): number {
    if (this.finQueued || !['ESTABLISHED', 'CLOSE_WAIT', 'SYN_SENT', 'SYN_RECEIVED'].includes(this.state)) return 0;
    const n = Math.min(data.length, this.sendSpace);
    if (n < data.length) this.wasFull = true;
    if (n > 0) {
      this.sendQ.push(n === data.length ? data : data.subarray(0, n));
      this.sendQLen += n;
      this.schedulePump();
    }
    return n;
  }

  peek(max: number): Buffer {
    return Buffer.concat(this.recvQ).subarray(0, max);
  }

  get outQueue(): number {
    return this.sendQLen + (this.finQueued ? 1 : 0);
  }

  read(): Buffer | null {
    const b = this.recvQ.shift();
    if (!b) return null;
    this.recvQLen -= b.length;
    // The window reopens: the peer may send more.
    this.peer?.schedulePump();
    return b;
  }

  shutdownWrite(): void {
    if (this.finQueued) return;
    this.finQueued = true;
    if (this.state === 'ESTABLISHED') this.state = 'FIN_WAIT_1';
    else if (this.state === 'CLOSE_WAIT') this.state = 'LAST_ACK';
    this.schedulePump();
  }

  close(): void {
    this.userClosed = true;
    if (this.recvQLen > 0) return this.abort();
    this.shutdownWrite();
  }

  abort(): void {
    if (this.state === 'CLOSED' || this.state === 'TIME_WAIT') return;
    this.state = 'CLOSED';
    this.handler = NOOP;
    this.tcp.net.resets.push(`${this.tcp.addr}:${this.localPort}`);
    const peer = this.peer;
    if (peer) this.tcp.net.later(() => peer.reset());
  }

  /** An RST arrived (or our SYN found no listener). */
  reset(): void {
    if (this.state === 'CLOSED' || this.state === 'TIME_WAIT') return;
    const code: TcpErrorCode = this.state === 'SYN_SENT' ? 'ECONNREFUSED' : 'ECONNRESET';
    this.state = 'CLOSED';
    this.handler.onError(code);
    this.reportClose();
  }

  cork(): void {}
  uncork(): void {}
  setNoDelay(noDelay: boolean): void {
    this.noDelay = noDelay;
  }

  setKeepAlive(enable: boolean): void {
    this.keepAlive = enable;
  }

  setUserTimeout(): void {}

  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    this.tcp.net.later(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** Move what the peer's window allows; then the FIN once the queue is empty. */
  private pump(): void {
    const peer = this.peer;
    if (!peer || this.state === 'CLOSED' || this.state === 'SYN_SENT') return;
    let moved = 0;
    while (this.sendQ.length > 0 && peer.recvQLen < peer.rcvBuf) {
      const room = peer.rcvBuf - peer.recvQLen;
      let b = this.sendQ[0];
      if (b.length > room) {
        this.sendQ[0] = b.subarray(room);
        b = b.subarray(0, room);
      } else this.sendQ.shift();
      this.sendQLen -= b.length;
      moved += b.length;
      if (!peer.receive(b)) return;
    }
    this.delivered += moved;
    if (moved > 0) peer.handler.onReadable();
    if (moved > 0 && this.wasFull) {
      this.wasFull = false;
      this.handler.onWritable();
    }
    if (this.sendQLen === 0 && this.finQueued && !this.finSent) {
      this.finSent = true;
      peer.receiveFin();
      this.checkDone();
    }
  }

  /** Data arrived; after close() it is answered with RST (RFC 9293 §3.10.4, Linux). */
  private receive(b: Buffer): boolean {
    if (this.state === 'CLOSED') return false;
    if (this.userClosed) {
      this.abort();
      return false;
    }
    this.recvQ.push(b);
    this.recvQLen += b.length;
    return true;
  }

  private receiveFin(): void {
    if (this.state === 'CLOSED') return;
    this.peerFin = true;
    if (this.state === 'ESTABLISHED') this.state = 'CLOSE_WAIT';
    this.handler.onReadable();
    this.checkDone();
  }

  private checkDone(): void {
    if (!(this.finSent && this.peerFin) || this.state === 'CLOSED' || this.state === 'TIME_WAIT') return;
    // The side that sent its FIN first holds TIME_WAIT (RFC 9293 §3.6).
    this.state = this.state === 'LAST_ACK' ? 'CLOSED' : 'TIME_WAIT';
    this.reportClose();
  }

  private reportClose(): void {
    if (this.closeReported) return;
    this.closeReported = true;
    this.handler.onClose();
  }

  info(): TcpInfo {
    return {
      state: this.state,
      localAddr: this.localAddr,
      localPort: this.localPort,
      remoteAddr: this.remoteAddr,
      remotePort: this.remotePort,
      sndUna: 0,
      sndNxt: 0,
      sndWnd: this.peer ? this.peer.rcvBuf - this.peer.recvQLen : 0,
      rcvNxt: 0,
      rcvWnd: this.rcvBuf - this.recvQLen,
      sendQueue: this.sendQLen,
      recvQueue: this.recvQLen,
      cwnd: 0,
      ssthresh: 0,
      srtt: 0,
      rttvar: 0,
      rto: 0,
      mss: 1460,
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
    };
  }
}

/**
 * Let streams and virtual time run together: advance the clock in small steps
 * and yield to Node's event loop (nextTicks, promises, immediates) between
 * them, since the socket layer defers its events.
 */
export async function settle(clock: { advance(ms: number): void }, ms = 50, step = 1): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await new Promise<void>((r) => setImmediate(r));
  }
  await new Promise<void>((r) => setImmediate(r));
}

/** settle() until `cond` holds; fails loudly after `maxMs` of virtual time. */
export async function settleUntil(
  clock: { advance(ms: number): void },
  cond: () => boolean,
  maxMs = 10_000,
  step = 1,
): Promise<void> {
  for (let t = 0; t < maxMs; t += step) {
    if (cond()) return;
    clock.advance(step);
    await new Promise<void>((r) => setImmediate(r));
  }
  if (!cond()) throw new Error(`condition not reached within ${maxMs} ms of virtual time`);
}
