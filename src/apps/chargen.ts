/**
 * Character generator (RFC 864, TCP port 19): stream the 95 printable ASCII
 * characters in 72-character lines, each line starting one character later
 * than the one before, until the peer closes or resets. Input is discarded.
 * Writes honour backpressure (write until false, continue on 'drain'), so a
 * slow reader holds us to its window instead of filling memory.
 */
import type { TcpSocket } from '../socket/socket.js';
import { runService, type RunningService, type ServerFactory } from './service.js';

const FIRST = 0x20;
const COUNT = 95;
export const CHARGEN_LINE = 72;

/** One full rotation: 95 lines of 72 characters + CRLF (RFC 864 "one popular pattern"). */
export function chargenCycle(): Buffer {
  const lineLen = CHARGEN_LINE + 2;
  const buf = Buffer.allocUnsafe(COUNT * lineLen);
  for (let line = 0; line < COUNT; line++) {
    const base = line * lineLen;
    for (let i = 0; i < CHARGEN_LINE; i++) buf[base + i] = FIRST + ((line + i) % COUNT);
    buf[base + CHARGEN_LINE] = 0x0d;
    buf[base + CHARGEN_LINE + 1] = 0x0a;
  }
  return buf;
}

export function startChargen(stack: ServerFactory, port = 19): RunningService {
  const cycle = chargenCycle();
  return runService(stack, port, {}, (socket) => generate(socket, cycle));
}

function generate(socket: TcpSocket, cycle: Buffer): void {
  let stopped = false;
  const stop = (): void => {
    stopped = true;
  };
  // The peer's FIN ends our side as well (allowHalfOpen false); a reset destroys the socket.
  socket.on('end', stop);
  socket.on('close', stop);
  socket.resume();
  const pump = (): void => {
    // The cycle buffer is shared and never modified, so handing it to TCP by reference is safe.
    while (!stopped && socket.writable) {
      if (!socket.write(cycle)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
}
