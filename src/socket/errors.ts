/**
 * The one place socket errors are made. They look like the errors Node's
 * `net` module produces from libuv (lib/internal/errors.js
 * `UVExceptionWithHostPort`): `code`, negative `errno`, `syscall`, and for
 * connect/listen errors `address` and `port`, with a message such as
 * `connect ECONNREFUSED 10.77.0.1:80`. Programs that switch on `err.code` or
 * `err.errno` therefore behave as they do over real sockets.
 */

/** Linux errno values, negated as libuv reports them (uv_errno_t). */
export const ERRNO = {
  EPIPE: -32,
  EINVAL: -22,
  EADDRINUSE: -98,
  EADDRNOTAVAIL: -99,
  ECONNRESET: -104,
  ETIMEDOUT: -110,
  ECONNREFUSED: -111,
  ENETUNREACH: -101,
  EHOSTUNREACH: -113,
} as const;

export type SocketErrorCode = keyof typeof ERRNO;

export type Syscall = 'connect' | 'read' | 'write' | 'listen' | 'getaddrinfo';

/** What libuv's strerror says for each code; Node prints it for listen errors. */
const DESCRIPTION: Record<SocketErrorCode, string> = {
  EPIPE: 'broken pipe',
  EINVAL: 'invalid argument',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available',
  ECONNRESET: 'connection reset by peer',
  ETIMEDOUT: 'connection timed out',
  ECONNREFUSED: 'connection refused',
  ENETUNREACH: 'network is unreachable',
  EHOSTUNREACH: 'host is unreachable',
};

export interface SocketError extends Error {
  code: SocketErrorCode;
  errno: number;
  syscall: Syscall;
  address?: string;
  port?: number;
}

/**
 * Build an error as Node does. With `address` the message gains
 * ` address:port` (connect) — listen errors put the libuv description first,
 * as Node's `server.listen` does (`listen EADDRINUSE: address already in use 0.0.0.0:80`).
 */
export function socketError(
  code: SocketErrorCode,
  syscall: Syscall,
  address?: string,
  port?: number,
  detail?: string,
): SocketError {
  let message = syscall === 'listen' ? `${syscall} ${code}: ${DESCRIPTION[code]}` : `${syscall} ${code}`;
  if (address !== undefined) message += port !== undefined ? ` ${address}:${port}` : ` ${address}`;
  if (detail !== undefined) message += ` (${detail})`;
  const err = new Error(message) as SocketError;
  err.code = code;
  err.errno = ERRNO[code];
  err.syscall = syscall;
  if (address !== undefined) err.address = address;
  if (port !== undefined) err.port = port;
  return err;
}

/**
 * The syscall Node attributes a TCP-reported failure to: a connection that
 * never reached ESTABLISHED failed in `connect` (refused, or SYN retries
 * exhausted → ETIMEDOUT); a later reset or timeout surfaces from `read`; a
 * write after our FIN is `write EPIPE`.
 */
export function syscallFor(code: SocketErrorCode, connecting: boolean): Syscall {
  if (code === 'EPIPE') return 'write';
  if (code === 'ECONNREFUSED' || connecting) return 'connect';
  return 'read';
}

/** The error code carried by a thrown value, if it looks like one of ours. */
export function errorCodeOf(e: unknown): SocketErrorCode | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const c = (e as { code: unknown }).code;
    if (typeof c === 'string' && c in ERRNO) return c as SocketErrorCode;
  }
  return undefined;
}
