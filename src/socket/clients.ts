/**
 * Outbound clients over our TCP: Node's own http/https/tls, `undici` and `ws`
 * take a "create a connection" hook; these give them one that dials through a
 * Stack instead of the kernel. Only IPv4 literals are dialled (the stack has
 * no system resolver): resolve names first with `stack.resolve4()`.
 *
 *   http.get({ host: '10.77.0.1', agent: new StackHttpAgent(stack) }, ...)
 *   https.get({ host: '10.77.0.1', agent: new StackHttpsAgent(stack, { ca }) }, ...)
 *   new undici.Agent({ connect: undiciConnector(stack, { ca }) })
 *   new WebSocket('wss://10.77.0.1/ws', { createConnection: stackConnection(stack, { ca }) })
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { ConnectOptions } from './connect.js';
import type { TcpSocket } from './socket.js';

/** What dialling needs from a stack: `Stack#connect`. */
export interface Dialer {
  connect(options: ConnectOptions, listener?: () => void): TcpSocket;
}

/** The options http.Agent/ws pass to createConnection (a subset of net/tls connect options). */
export interface ClientConnectOptions extends Omit<tls.ConnectionOptions, 'host' | 'port'> {
  host?: string | null;
  hostname?: string | null;
  port?: number | string | null;
  /** Set by ws for wss:// URLs and by https.Agent. */
  protocol?: string | null;
}

function dial(stack: Dialer, o: ClientConnectOptions, defaultPort: number): TcpSocket {
  const host = o.hostname ?? o.host ?? '127.0.0.1';
  const port = o.port === undefined || o.port === null || o.port === '' ? defaultPort : Number(o.port);
  return stack.connect({ host: host.replace(/^\[|\]$/g, ''), port, noDelay: true });
}

/**
 * TLS on top of one of our sockets. `servername` (SNI, RFC 6066 §3) is sent
 * only for names, never for IP literals (as Node's own tls.connect).
 */
export function tlsOver(raw: Duplex, o: ClientConnectOptions): tls.TLSSocket {
  const host = o.hostname ?? o.host ?? undefined;
  const name = o.servername || host;
  const servername = name && !/^[\d.]+$/.test(name) && !name.includes(':') ? name : undefined;
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
export function stackConnection(stack: Dialer, tlsOptions?: tls.ConnectionOptions): (o: ClientConnectOptions) => Duplex {
  return (o) => {
    const secure = tlsOptions !== undefined || o.protocol === 'https:' || o.protocol === 'wss:';
    const raw = dial(stack, o, secure ? 443 : 80);
    return secure ? tlsOver(raw, { ...tlsOptions, ...o }) : raw;
  };
}

/** An http.Agent (keep-alive pooling and all) whose connections are ours. */
export class StackHttpAgent extends http.Agent {
  constructor(
    private readonly stack: Dialer,
    options?: http.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(options: ClientConnectOptions): Duplex {
    return dial(this.stack, options, 80);
  }
}

/** An https.Agent whose TLS runs over our connections (its options: ca, rejectUnauthorized, session cache, ...). */
export class StackHttpsAgent extends https.Agent {
  constructor(
    private readonly stack: Dialer,
    options?: https.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(options: ClientConnectOptions): Duplex {
    return tlsOver(dial(this.stack, options, 443), options);
  }
}

/** The connector undici.Agent/Client/Pool take as `connect`. */
export type UndiciConnector = (
  opts: { hostname: string; host?: string; protocol: string; port: string; servername?: string | null },
  callback: (err: Error | null, socket: Duplex | null) => void,
) => void;

/**
 * undici's connector over our sockets: TCP, then TLS with ALPN http/1.1 for
 * https: URLs. The callback fires once the connection (and handshake) is up,
 * with the error otherwise, as undici's own buildConnector does.
 */
export function undiciConnector(stack: Dialer, tlsOptions: tls.ConnectionOptions = {}): UndiciConnector {
  return (opts, callback) => {
    const secure = opts.protocol === 'https:';
    const raw = dial(stack, { hostname: opts.hostname, port: opts.port }, secure ? 443 : 80);
    const socket: Duplex = secure
      ? tlsOver(raw, { ALPNProtocols: ['http/1.1'], ...tlsOptions, hostname: opts.hostname, servername: opts.servername ?? undefined })
      : raw;
    let done = false;
    const finish = (err: Error | null): void => {
      if (done) return;
      done = true;
      socket.off('error', finish);
      callback(err, err ? null : socket);
    };
    socket.once('error', finish);
    socket.once(secure ? 'secureConnect' : 'connect', () => finish(null));
  };
}
