/**
 * The `net.connect` / `net.createServer` entry points, taking the stack's
 * TcpApi and Clock explicitly (no module-level state: two stacks can share a
 * process). src/stack.ts binds them as `stack.connect` / `stack.createServer`.
 */
import type { Clock } from '../time/clock.js';
import type { TcpApi } from '../tcp/api.js';
import { TcpServer, type TcpServerOptions } from './server.js';
import { TcpSocket, type SocketConnectOptions } from './socket.js';

export interface ConnectOptions extends SocketConnectOptions {
  allowHalfOpen?: boolean;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
}

/** net.connect(options, [connectListener]): errors arrive as an async 'error' event. */
export function connect(tcp: TcpApi, clock: Clock, options: ConnectOptions, connectListener?: () => void): TcpSocket {
  const socket = new TcpSocket({
    tcp,
    clock,
    allowHalfOpen: options.allowHalfOpen,
    readableHighWaterMark: options.readableHighWaterMark,
    writableHighWaterMark: options.writableHighWaterMark,
  });
  return socket.connect(options, connectListener);
}

export const createConnection = connect;

/** net.createServer([options], [connectionListener]). */
export function createServer(
  tcp: TcpApi,
  clock: Clock,
  options?: TcpServerOptions | ((socket: TcpSocket) => void),
  connectionListener?: (socket: TcpSocket) => void,
): TcpServer {
  if (typeof options === 'function') {
    connectionListener = options;
    options = undefined;
  }
  const server = new TcpServer(tcp, clock, options ?? {});
  if (connectionListener) server.on('connection', connectionListener);
  return server;
}
