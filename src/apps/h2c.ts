/**
 * HTTP/2 over cleartext TCP with prior knowledge (RFC 9113 §3.3): the client
 * opens with the connection preface (§3.4), a fixed 24-octet string that no
 * HTTP/1.x request can start with (its method token would be "PRI" with the
 * version "HTTP/2.0"). We read until the bytes either match the whole preface
 * or stop matching it, put them back with `unshift`, and hand the socket to
 * the right server, which then reads them itself. (Upgrade from HTTP/1.1 via
 * `Upgrade: h2c` was removed by RFC 9113 §3.1 and is not offered.)
 */
import type { Duplex } from 'node:stream';

/** A connection that sends nothing decidable for this long is closed (Node's servers time out only once they have it). */
export const PREFACE_TIMEOUT_MS = 30_000;

export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** 'h2' once `seen` is the whole preface, 'http1' once it cannot be, 'more' while it is a proper prefix. */
export function classifyPreface(seen: Buffer): 'h2' | 'http1' | 'more' {
  const n = Math.min(seen.length, H2_PREFACE.length);
  if (!seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) return 'http1';
  return seen.length >= H2_PREFACE.length ? 'h2' : 'more';
}

/** What routeByPreface needs: a Duplex with net.Socket's setTimeout (ours runs on the stack's clock). */
export type PeekableSocket = Duplex & { setTimeout(ms: number, cb?: () => void): unknown };

/** Peek at the first bytes of `socket` and call `route(isH2)` once, with the bytes unread again. */
export function routeByPreface(socket: PeekableSocket, route: (isH2: boolean) => void): void {
  const seen: Buffer[] = [];
  let decided = false;
  const decide = (isH2: boolean): void => {
    if (decided) return;
    decided = true;
    socket.setTimeout(0);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.pause();
    if (seen.length > 0) socket.unshift(Buffer.concat(seen));
    route(isH2);
    // node:http attaches a 'data' listener, which does not restart a stream paused explicitly.
    if (!isH2) socket.resume();
  };
  const onData = (chunk: Buffer): void => {
    seen.push(chunk);
    const verdict = classifyPreface(Buffer.concat(seen));
    if (verdict !== 'more') decide(verdict === 'h2');
  };
  // A peer that closes before deciding gets HTTP/1.1, which answers or closes as Node does.
  const onEnd = (): void => decide(false);
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.setTimeout(PREFACE_TIMEOUT_MS, () => {
    if (!decided) socket.destroy();
  });
}
