/**
 * One network interface's worth of stack: IPv4 (with ICMP) on a Link, UDP and
 * TCP on IPv4, and Node-style sockets on TCP. This is the public entry point
 * and the only file that knows every layer; each layer knows only the one
 * below it and the demultiplexing interface of the one above.
 *
 * Time and randomness are injected (smoltcp `poll(timestamp)`, gVisor
 * `stack.Options.Clock`/`RandSource`): a VirtualClock and SeededRng give a
 * reproducible stack for tests; the defaults are the real clock and crypto
 * randomness. There is no module-level state, so many stacks can share one
 * process (the simulation tests run two).
 */
import { pino, type Logger } from 'pino';
import type { Link } from './link/link.js';
import type { Clock } from './time/clock.js';
import { RealClock } from './time/real-clock.js';
import { CryptoRng, type Rng } from './util/random.js';
import { Ipv4Layer, type Ipv4LayerOptions } from './ip/ipv4.js';
import { IPPROTO_TCP } from './ip/types.js';
import { UdpLayer } from './udp/udp.js';
import type { UdpSocket } from './udp/socket.js';
import { TcpLayer } from './tcp/tcp-layer.js';
import type { TcpInfo, TcpOptions } from './tcp/api.js';
import type { TraceSink } from './tcp/trace.js';
import { connect, createServer, type ConnectOptions } from './socket/connect.js';
import type { TcpServer, TcpServerOptions } from './socket/server.js';
import type { TcpSocket } from './socket/socket.js';
import { ipv4 } from './wire/ip-address.js';
import { formatCounters } from './util/counters.js';
import { formatConnectionTable } from './tcp/format.js';
import { Sysctl } from './tcp/sysctl.js';
import { resolve4, type ResolveOptions } from './dns/resolver.js';

export interface StackOptions {
  link: Link;
  /** Our IPv4 address, dotted or as a uint32. */
  addr: string | number;
  /** Prefix length of the link's subnet (for the directed broadcast). Default 24. */
  prefixLen?: number;
  clock?: Clock;
  rng?: Rng;
  /** pino logger; silent by default (nothing is logged per packet). */
  logger?: Logger;
  tcp?: Partial<TcpOptions>;
  /** Receives every connection's congestion trace records (src/tcp/trace.ts). */
  tcpTrace?: TraceSink;
  ip?: Partial<Omit<Ipv4LayerOptions, 'link' | 'addr' | 'clock' | 'log' | 'prefixLen'>>;
}

export class Stack {
  readonly link: Link;
  readonly addr: number;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly log: Logger;
  readonly ip: Ipv4Layer;
  readonly udp: UdpLayer;
  readonly tcp: TcpLayer;
  /** Linux-named stack-wide settings over the live TCP options (src/tcp/sysctl.ts; README "Settings"). */
  readonly sysctl: Sysctl;
  private closed = false;

  constructor(opts: StackOptions) {
    this.link = opts.link;
    this.addr = typeof opts.addr === 'string' ? ipv4(opts.addr) : opts.addr >>> 0;
    this.clock = opts.clock ?? new RealClock();
    this.rng = opts.rng ?? new CryptoRng();
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.ip = new Ipv4Layer({
      ...opts.ip,
      link: this.link,
      addr: this.addr,
      clock: this.clock,
      log: this.log,
      prefixLen: opts.prefixLen,
      identStart: opts.ip?.identStart ?? (this.rng.u32() & 0xffff),
    });
    this.udp = new UdpLayer({ ip: this.ip, rng: this.rng });
    this.tcp = new TcpLayer({ ip: this.ip, clock: this.clock, rng: this.rng, options: opts.tcp, log: this.log, trace: opts.tcpTrace });
    this.sysctl = new Sysctl(this.tcp.options);
    this.ip.register(IPPROTO_TCP, this.tcp.input, this.tcp.icmpError);
    // One ACK per connection per received batch instead of one per two segments.
    this.tcp.batching = true;
    // The poll boundary: input over the whole batch, then each marked
    // connection's output once, then one flush to the link.
    this.ip.onBatchEnd(() => {
      this.tcp.batchEnd();
      this.link.flush?.();
    });
  }

  /** net.createServer() on this stack. */
  createServer(options?: TcpServerOptions | ((socket: TcpSocket) => void), listener?: (socket: TcpSocket) => void): TcpServer {
    return createServer(this.tcp, this.clock, options, listener);
  }

  /** net.connect() from this stack. */
  connect(options: ConnectOptions, listener?: () => void): TcpSocket {
    return connect(this.tcp, this.clock, options, listener);
  }

  /** dgram.createSocket('udp4') on this stack. */
  createUdpSocket(): UdpSocket {
    return this.udp.createSocket();
  }

  /**
   * A records of `name` from the DNS server `options.server`, asked over this
   * stack's UDP (TCP if truncated), with retries on the stack's clock
   * (src/dns/resolver.ts). Rejects with node:dns's codes (ENOTFOUND, ETIMEOUT, ...).
   */
  resolve4(name: string, options: ResolveOptions): Promise<string[]> {
    return resolve4(this, name, options);
  }

  /** All counter groups, as `netstat -s` groups them. */
  counters(): Record<string, Record<string, number>> {
    const ip = this.ip.stats;
    return { ...this.link.counterGroups, Ip: ip.ip, Icmp: ip.icmp, Tcp: this.tcp.stats, Udp: this.udp.stats };
  }

  connections(): TcpInfo[] {
    return this.tcp.connections();
  }

  /** Counters (non-zero) and the connection table, as `tunstack stat` prints them. */
  report(): string {
    return formatCounters(this.counters()) + '\n' + formatConnectionTable(this.connections());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ip.close();
    await this.link.close();
  }
}
