/**
 * HTTPS (TCP port 443): node:tls over our sockets, with node:http2's secure
 * server so ALPN (RFC 7301) picks `h2` (RFC 9113 §3.2) or, with
 * `allowHTTP1`, `http/1.1`; both reach the same request handler as port 80.
 * WebSocket upgrades arrive on the HTTP/1.1 side and get the `/ws` echo.
 * Session resumption is Node's: TLS 1.3 session tickets (RFC 8446 §4.6.1)
 * and TLS 1.2 tickets (RFC 5077), keys made per server at start.
 *
 * Each of our TCP sockets is handed to the TLS server with
 * `emit('connection')`; tls.Server wraps it in a TLSSocket (Node adapts a
 * non-net Duplex with its JSStreamSocket), which is how node:tls runs on any
 * stream.
 */
import http2 from 'node:http2';
import { runService, type RunningService, type ServerFactory } from './service.js';
import { webHandler } from './http.js';
import { attachWebSocketEcho, type WebSocketEcho } from './websocket.js';
import type { TlsCredentials } from './tls-cert.js';

export interface HttpsServiceOptions {
  port?: number;
  root?: string;
  credentials: TlsCredentials;
}

export interface RunningHttps extends RunningService {
  readonly https: http2.Http2SecureServer;
  readonly websocket: WebSocketEcho;
}

export function startHttps(stack: ServerFactory, opts: HttpsServiceOptions): RunningHttps {
  const server = http2.createSecureServer(
    { key: opts.credentials.key, cert: opts.credentials.cert, allowHTTP1: true, ALPNProtocols: ['h2', 'http/1.1'] },
    webHandler(opts.root),
  );
  // A client that fails the handshake (curl without -k) must not take the process down.
  server.on('tlsClientError', () => {});
  server.on('sessionError', () => {});
  const websocket = attachWebSocketEcho(server as unknown as Parameters<typeof attachWebSocketEcho>[0]);
  const svc = runService(stack, opts.port ?? 443, { allowHalfOpen: true, noDelay: true }, (socket) => {
    server.emit('connection', socket);
  });
  return {
    ...svc,
    https: server,
    websocket,
    close: async () => {
      websocket.close();
      await svc.close();
    },
  };
}
