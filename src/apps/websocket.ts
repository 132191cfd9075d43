/**
 * WebSocket echo at `/ws` (RFC 6455) with `ws` in `noServer` mode, attached
 * to an HTTP/1.1 server's `upgrade` event (node:http on port 80, and the
 * HTTP/1.1 side of the HTTPS server on 443). Text comes back as text, binary
 * as binary; fragmented messages are reassembled by `ws` and echoed whole;
 * pings are answered with pongs by `ws` (§5.5.2); the peer's close code is
 * echoed in our close frame (§5.5.1).
 *
 * Backpressure: `ws` keeps reading while its sends queue up, so a client that
 * pushes faster than it reads would grow our memory without bound. Once more
 * than HIGH_WATER bytes wait to be written we pause reading the socket
 * (`ws.pause()`), so our TCP receive window closes on the sender, and resume
 * on the transport's 'drain'.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export const WS_PATH = '/ws';
const HIGH_WATER = 1 << 20;
/** Largest message we accept (ws's default is 100 MiB); larger ones close with 1009. */
export const WS_MAX_PAYLOAD = 64 << 20;

export interface WebSocketEcho {
  readonly wss: WebSocketServer;
  close(): void;
}

export function attachWebSocketEcho(server: http.Server | { on(event: 'upgrade', fn: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void): unknown }): WebSocketEcho {
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD, perMessageDeflate: false });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.url ?? '').split('?')[0] !== WS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    socket.on('error', () => {});
    wss.handleUpgrade(req, socket, head, (ws) => echo(ws, socket));
  });
  return {
    wss,
    close: () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };
}

function echo(ws: WebSocket, transport: Duplex): void {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    ws.send(data as Buffer, { binary: isBinary });
    if (ws.bufferedAmount > HIGH_WATER && !ws.isPaused) {
      ws.pause();
      transport.once('drain', () => ws.resume());
    }
  });
  // Echo the peer's close code (1005 "no status" cannot be sent, RFC 6455 §7.4.1).
  ws.on('close', (code, reason) => {
    if (ws.readyState === ws.CLOSING) ws.close(code === 1005 ? 1000 : code, reason);
  });
}
