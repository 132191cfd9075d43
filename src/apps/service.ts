/**
 * What the TCP services need from a stack: just `createServer`, so they run
 * on a Stack, on a bare TcpApi (via src/socket/connect.ts) or on a fake.
 */
import type { TcpServer, TcpServerOptions } from '../socket/server.js';
import type { TcpSocket } from '../socket/socket.js';

export interface ServerFactory {
  createServer(options?: TcpServerOptions | ((socket: TcpSocket) => void), listener?: (socket: TcpSocket) => void): TcpServer;
}

export interface RunningService {
  readonly server: TcpServer;
  /** Stop listening and end every open connection; resolves once the server has closed. */
  close(): Promise<void>;
}

/** One shared 'error' listener (not a closure per connection). */
function ignoreError(): void {}

/**
 * Listen and track sockets so close() can end them (a service shutting down
 * should not wait for idle peers, unlike net.Server#close).
 */
export function runService(
  stack: ServerFactory,
  port: number,
  options: TcpServerOptions,
  onSocket: (socket: TcpSocket) => void,
): RunningService {
  const server = stack.createServer(options, (socket) => {
    // A peer's RST must not take the process down; the socket closes itself.
    socket.on('error', ignoreError);
    onSocket(socket);
  });
  server.listen(port);
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of [...server.openSockets]) s.destroy();
      }),
  };
}
