/**
 * How TCP's reports reach a TcpSocket (socket.ts) without a closure per
 * socket: the handler is a small class on one prototype, what happened is a
 * bit set, and the deferred work runs through shared functions.
 */
import type { ConnectionHandler, TcpConnection, TcpErrorCode } from '../tcp/api.js';
import type { TcpSocket } from './socket.js';

/**
 * What TCP reports, recorded for the socket's next service run. A class, so
 * its methods live on one prototype: an object of five arrow functions cost
 * each socket about 350 bytes (bench/scale.ts).
 */
export class SocketEvents implements ConnectionHandler {
  constructor(private readonly s: TcpSocket) {}
  onConnect(): void {
    this.s.noteTcpEvent(EV_CONNECT);
  }
  onReadable(): void {
    this.s.noteTcpEvent(EV_READABLE);
  }
  onWritable(): void {
    this.s.noteTcpEvent(EV_WRITABLE);
  }
  onError(code: TcpErrorCode): void {
    this.s.noteTcpError(code);
  }
  onClose(): void {
    this.s.noteTcpEvent(EV_CLOSE);
  }
}

// Bits of TcpSocket.events.
export const EV_CONNECT = 1;
export const EV_READABLE = 2;
export const EV_WRITABLE = 4;
export const EV_CLOSE = 8;

// Shared callbacks for nextTick/setImmediate(fn, socket): no closure per call.

export function emitTimeout(s: TcpSocket): void {
  s.emit('timeout');
}

export function emitClose(s: TcpSocket, hadError: boolean): void {
  s.reportClosed(hadError);
}

/**
 * Sockets corked in this event-loop turn (socket.ts corkForTurn), uncorked in
 * order by one setImmediate for all of them: an Immediate per socket per
 * turn was a measurable share of a short connection (bench/conn-lifecycle.ts).
 */
let corkedNow: Array<TcpSocket | TcpConnection> = [];

export function uncorkLater(s: TcpSocket, conn: TcpConnection): void {
  if (corkedNow.length === 0) setImmediate(uncorkAll);
  corkedNow.push(s, conn);
}

function uncorkAll(): void {
  const list = corkedNow;
  corkedNow = [];
  for (let i = 0; i < list.length; i += 2) {
    const s = list[i] as TcpSocket;
    try {
      s.uncorkTurn(list[i + 1] as TcpConnection);
    } catch (e) {
      // As separate Immediates would: one socket's failure must not leave the others corked.
      corkedNow = list.slice(i + 2).concat(corkedNow);
      if (corkedNow.length > 0) setImmediate(uncorkAll);
      throw e;
    }
  }
}

export function serviceSocket(s: TcpSocket): void {
  s.runService();
}
