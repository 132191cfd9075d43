/**
 * Discard (RFC 863, TCP port 9): read and drop everything; when the peer
 * closes, close too.
 */
import { runService, type RunningService, type ServerFactory } from './service.js';

export function startDiscard(stack: ServerFactory, port = 9): RunningService {
  return runService(stack, port, { allowHalfOpen: true }, (socket) => {
    socket.on('end', () => socket.end());
    socket.resume();
  });
}
