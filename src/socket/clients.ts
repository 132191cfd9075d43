/**
 * Outbound clients over our TCP: Node's own http/https/tls, `undici` and `ws`
 * take a "create a connection" hook; these give them one that dials through a
 * Stack instead of the kernel. IPv4 literals are dialled at once; names are
 * looked up first with the stack's stub resolver when a DNS server is given
 * (`dns: { server }`), since the stack has no system resolver.
 *
 *   http.get({ host: '10.77.0.1', agent: new StackHttpAgent(stack) }, ...)
 *   https.get('https://web.test/', { agent: new StackHttpsAgent(stack, { ca, dns: { server: '10.77.0.1' } }) }, ...)
 *   new undici.Agent({ connect: undiciConnector(stack, { ca }, { server: '10.77.0.1' }) })
 *   new WebSocket('wss://10.77.0.1/ws', { createConnection: stackConnection(stack, { ca }) })
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { buildConnector } from 'undici';
import type { ResolveOptions } from '../dns/resolver.js';
import { parseIpv4 } from '../wire/ip-address.js';
import type { ConnectOptions } from './connect.js';
import type { TcpSocket } from './socket.js';

/** What dialling needs from a stack: `Stack#connect`, and `Stack#resolve4` for names. */
export interface Dialer {
  connect(options: ConnectOptions, listener?: () => void): TcpSocket;
  resolve4?(name: string, options: ResolveOptions): Promise<string[]>;
}

/** The options http.Agent/ws pass to createConnection (a subset of net/tls connect options). */
export interface ClientConnectOptions extends Omit<tls.ConnectionOptions, 'host' | 'port'> {
  host?: string | null;
  hostname?: string | null;
  port?: number | string | null;
  /** Set by ws for wss:// URLs and by https.Agent. */
  protocol?: string | null;
}

type OnCreate = (err: Error | null, socket: Duplex) => void;

function hostOf(o: ClientConnectOptions): string {
  return (o.hostname ?? o.host ?? '127.0.0.1').replace(/^\[|\]$/g, '');
}

function dial(stack: Dialer, addr: string, o: ClientConnectOptions, defaultPort: number): TcpSocket {
  const port = o.port === undefined || o.port === null || o.port === '' ? defaultPort : Number(o.port);
  return stack.connect({ host: addr, port, noDelay: true });
}

/**
 * Dial `o`'s host: an IPv4 literal at once (the socket is returned), a name
 * after a lookup (undefined is returned and `oncreate` called later, which
 * http.Agent, http.request and ws all accept). `wrap` adds TLS.
 */
function open(stack: Dialer, o: ClientConnectOptions, defaultPort: number, dns: ResolveOptions | undefined, oncreate: OnCreate | undefined, wrap: (raw: TcpSocket) => Duplex): Duplex | undefined {
  const host = hostOf(o);
  if (parseIpv4(host) !== undefined) return wrap(dial(stack, host, o, defaultPort));
  if (dns === undefined || stack.resolve4 === undefined || oncreate === undefined) {
    const err = Object.assign(new Error(`cannot dial '${host}': not an IPv4 address, and no DNS server was given to resolve it (dns: { server })`), { code: 'ENOTFOUND', hostname: host });
    if (oncreate === undefined) throw err;
    // As a failed lookup: the request's 'error' event, not a throw from http.request().
    process.nextTick(() => oncreate(err, undefined as unknown as Duplex));
    return undefined;
  }
  stack.resolve4(host, dns).then(
    ([addr]) => oncreate(null, wrap(dial(stack, addr, o, defaultPort))),
    (err: Error) => oncreate(err, undefined as unknown as Duplex),
  );
  return undefined;
}

/**
 * TLS on top of one of our sockets. `servername` (SNI, RFC 6066 §3) is sent
 * only for names, never for IP literals (as Node's own tls.connect).
 */
export function tlsOver(raw: Duplex, o: ClientConnectOptions): tls.TLSSocket {
  const host = o.hostname ?? o.host ?? undefined;
  const name = o.servername || host;
  const servername = name && parseIpv4(name) === undefined && !name.includes(':') ? name : undefined;
  const { host: _h, hostname: _hn, port: _p, protocol: _pr, ...rest } = o;
  // `host` is what the certificate is checked against when there is no SNI name (an IP literal).
  return tls.connect({ ...rest, socket: raw, host: host ?? undefined, servername });
}

/**
 * `createConnection` for http.request, ws and friends: TLS over our TCP when
 * `tlsOptions` are given (pass `{}` for defaults) or the options name an
 * https:/wss: protocol, plain TCP otherwise. (ws does not tell a wss:// URL
 * apart in what it passes, hence the explicit choice.)
 */
export function stackConnection(stack: Dialer, tlsOptions?: tls.ConnectionOptions, dns?: ResolveOptions): (o: ClientConnectOptions, oncreate?: OnCreate) => Duplex | undefined {
  return (o, oncreate) => {
    const secure = tlsOptions !== undefined || o.protocol === 'https:' || o.protocol === 'wss:';
    return open(stack, o, secure ? 443 : 80, dns, oncreate, (raw) => (secure ? tlsOver(raw, { ...tlsOptions, ...o }) : raw));
  };
}

export interface StackAgentOptions {
  /** The DNS server (and retry settings) for names; without it only IPv4 literals are dialled. */
  dns?: ResolveOptions;
}

/** An http.Agent (keep-alive pooling and all) whose connections are ours. */
export class StackHttpAgent extends http.Agent {
  private readonly dns?: ResolveOptions;

  constructor(
    private readonly stack: Dialer,
    options: http.AgentOptions & StackAgentOptions = {},
  ) {
    super(options);
    this.dns = options.dns;
  }

  override createConnection(options: ClientConnectOptions, oncreate?: OnCreate): Duplex | undefined {
    return open(this.stack, options, 80, this.dns, oncreate, (raw) => raw);
  }
}

/** An https.Agent whose TLS runs over our connections (its options: ca, rejectUnauthorized, session cache, ...). */
export class StackHttpsAgent extends https.Agent {
  private readonly dns?: ResolveOptions;

  constructor(
    private readonly stack: Dialer,
    options: https.AgentOptions & StackAgentOptions = {},
  ) {
    super(options);
    this.dns = options.dns;
  }

  override createConnection(options: ClientConnectOptions, oncreate?: OnCreate): Duplex | undefined {
    return open(this.stack, options, 443, this.dns, oncreate, (raw) => tlsOver(raw, options));
  }
}

/** The connector undici.Agent/Client/Pool take as `connect` (undici types it with net.Socket; ours is a Duplex with the same surface). */
export type UndiciConnector = buildConnector.connector;

/**
 * undici's connector over our sockets: TCP, then TLS with ALPN http/1.1 for
 * https: URLs. The callback fires once the connection (and handshake) is up,
 * with the error otherwise, as undici's own buildConnector does.
 */
export function undiciConnector(stack: Dialer, tlsOptions: tls.ConnectionOptions = {}, dns?: ResolveOptions): UndiciConnector {
  return (opts, callback) => {
    const secure = opts.protocol === 'https:';
    const wrap = (raw: TcpSocket): Duplex =>
      secure ? tlsOver(raw, { ALPNProtocols: ['http/1.1'], ...tlsOptions, hostname: opts.hostname, servername: opts.servername ?? undefined }) : raw;
    const ready = (err: Error | null, socket: Duplex | undefined): void => {
      if (err || !socket) {
        callback(err ?? new Error('no socket'), null);
        return;
      }
      let done = false;
      const finish = (e: Error | null): void => {
        if (done) return;
        done = true;
        socket.off('error', finish);
        if (e) callback(e, null);
        else callback(null, socket as unknown as Socket);
      };
      socket.once('error', finish);
      socket.once(secure ? 'secureConnect' : 'connect', () => finish(null));
    };
    let socket: Duplex | undefined;
    try {
      socket = open(stack, { hostname: opts.hostname, port: opts.port }, secure ? 443 : 80, dns, ready, wrap);
    } catch (err) {
      callback(err as Error, null);
      return;
    }
    if (socket) ready(null, socket);
  };
}
