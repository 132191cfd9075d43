/**
 * Echo (RFC 862, TCP port 7): send back whatever arrives. Half-open is
 * allowed so echoes still in flight go out after the peer's FIN; the pipe
 * then ends our side, closing the connection once the peer has closed.
 */
import { runService, type RunningService, type ServerFactory } from './service.js';

export function startEcho(stack: ServerFactory, port = 7): RunningService {
  // pipe() gives backpressure both ways: a peer that does not read stops us reading it.
  return runService(stack, port, { allowHalfOpen: true }, (socket) => socket.pipe(socket));
}
