/**
 * A dgram-like UDP socket over our UdpLayer (after Node's lib/dgram.js):
 * 'listening', 'message', 'error' and 'close' events; errors carry `code`,
 * `errno` and `syscall` and, like every callback, are delivered
 * asynchronously (process.nextTick), never from inside the call.
 */
import { EventEmitter } from 'node:events';
import { formatIpv4, parseIpv4 } from '../wire/ip-address.js';
import type { UdpLayer } from './udp.js';

export interface RemoteInfo {
  address: string;
  family: 'IPv4';
  port: number;
  size: number;
}

export interface AddressInfo {
  address: string;
  family: 'IPv4';
  port: number;
}

export type SendCallback = (err: Error | null, bytes: number) => void;

/** Linux errno values Node reports in `err.errno` (negated, as libuv does). */
const ERRNO: Record<string, number> = { EADDRINUSE: -98, EMSGSIZE: -90 };

export interface SystemError extends Error {
  code: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
}

function sysError(code: string, syscall: string, detail: string, extra: Partial<SystemError> = {}): SystemError {
  const err = new Error(`${syscall} ${code}${detail ? ' ' + detail : ''}`) as SystemError;
  err.code = code;
  err.errno = ERRNO[code];
  err.syscall = syscall;
  Object.assign(err, extra);
  return err;
}

function notRunning(): SystemError {
  const err = new Error('Not running') as SystemError;
  err.code = 'ERR_SOCKET_DGRAM_NOT_RUNNING';
  return err;
}

export class UdpSocket extends EventEmitter {
  private port = 0;
  private closed = false;

  constructor(private readonly udp: UdpLayer) {
    super();
  }

  /**
   * Bind to `port` on our address; 0/undefined picks an ephemeral port from
   * the layer's RNG. Emits 'listening' (and calls `cb`) asynchronously, or
   * 'error' with code EADDRINUSE.
   */
  bind(port?: number, cb?: () => void): this {
    if (this.closed) throw notRunning();
    if (this.port !== 0) {
      const err = new Error('Socket is already bound') as SystemError;
      err.code = 'ERR_SOCKET_ALREADY_BOUND';
      throw err;
    }
    const want = port ?? 0;
    if (!Number.isInteger(want) || want < 0 || want > 65535) {
      throw new RangeError(`port should be >= 0 and < 65536. Received ${String(port)}`);
    }
    const got = this.udp._bind(this, want);
    if (got === undefined) {
      const addr = formatIpv4(this.udp.ip.localAddr);
      const err = sysError('EADDRINUSE', 'bind', `${addr}:${want}`, { address: addr, port: want });
      process.nextTick(() => this.emit('error', err));
      return this;
    }
    this.port = got;
    if (cb) this.once('listening', cb);
    process.nextTick(() => {
      if (!this.closed) this.emit('listening');
    });
    return this;
  }

  /**
   * Send one datagram to `address:port`. An unbound socket is first bound to
   * an ephemeral port, as Node does. `cb(err, bytes)` runs asynchronously.
   */
  send(msg: Buffer | string, port: number, address: string, cb?: SendCallback): void {
    if (this.closed) throw notRunning();
    const dst = parseIpv4(address);
    if (dst === undefined) throw new TypeError(`not an IPv4 address: ${JSON.stringify(address)}`);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new RangeError(`Port should be > 0 and < 65536. Received ${port}`);
    if (this.port === 0) {
      this.bind(0);
      if (this.port === 0) return; // no free port: 'error' is already queued
    }
    const data = typeof msg === 'string' ? Buffer.from(msg) : msg;
    const ok = this.udp._send(this.port, dst, port, data);
    const err = ok ? null : sysError('EMSGSIZE', 'send', '', { address, port });
    if (cb) process.nextTick(() => cb(err, ok ? data.length : 0));
    else if (err) process.nextTick(() => this.emit('error', err));
  }

  /** Our bound address. Throws ERR_SOCKET_DGRAM_NOT_RUNNING if unbound or closed. */
  address(): AddressInfo {
    if (this.closed || this.port === 0) throw notRunning();
    return { address: formatIpv4(this.udp.ip.localAddr), family: 'IPv4', port: this.port };
  }

  /** Release the port; 'close' is emitted asynchronously. */
  close(cb?: () => void): this {
    if (this.closed) throw notRunning();
    this.closed = true;
    if (this.port !== 0) this.udp._unbind(this, this.port);
    if (cb) this.once('close', cb);
    process.nextTick(() => this.emit('close'));
    return this;
  }

  /** Called by UdpLayer with a validated datagram for our port. */
  _deliver(payload: Buffer, src: number, srcPort: number): void {
    const rinfo: RemoteInfo = { address: formatIpv4(src), family: 'IPv4', port: srcPort, size: payload.length };
    this.emit('message', payload, rinfo);
  }
}
