/**
 * The socket calls that look at or drain a connection's queues as Linux
 * answers them: ioctl(SIOCINQ/FIONREAD, SIOCOUTQ, SIOCOUTQNSD) (tcp_ioctl),
 * recv(MSG_PEEK) (tcp_recvmsg without advancing copied_seq), recvmsg() with
 * TCP_INQ (tcp_inq_hint) and close() with
 * SO_LINGER set (tcp_close: linger 0 resets, linger N waits for the FIN's ACK).
 */
import { type BsdLayer, type BsdSocket, type SysOutcome, type SysResult, WOULD_BLOCK, err, ok } from './bsd.js';
import { ScriptUnsupported } from './parser.js';
import type { Expr } from './script.js';

/** Linux ioctl numbers (asm-generic/ioctls.h); SIOCINQ is FIONREAD, SIOCOUTQ is TIOCOUTQ (packetdrill knows only the first by name). */
export const IOCTLS = { SIOCINQ: 0x541b, FIONREAD: 0x541b, SIOCOUTQ: 0x5411, TIOCOUTQ: 0x5411 } as const;

/**
 * Linux tcp_ioctl: SIOCINQ is the bytes the application can read (rcv_nxt −
 * copied_seq, the FIN not counted), SIOCOUTQ the bytes written and not yet
 * acknowledged (write_seq − snd_una, a queued FIN counting 1). A listener
 * answers EINVAL; a handshake in progress 0.
 */
export function ioctl(bsd: BsdLayer, fd: number, cmd: number): SysResult {
  const s = bsd.get(fd);
  if (!s) return err('EBADF');
  if (cmd !== IOCTLS.SIOCINQ && cmd !== IOCTLS.SIOCOUTQ) {
    throw new ScriptUnsupported(`ioctl command 0x${cmd.toString(16)} is not supported (SIOCINQ/FIONREAD 0x541b and SIOCOUTQ 0x5411 are)`);
  }
  if (s.listener) return err('EINVAL');
  const c = s.conn;
  if (!c) return { ret: 0, out: [0] };
  if (c.state === 'SYN_SENT' || c.state === 'SYN_RECEIVED') return { ret: 0, out: [0] };
  const v = cmd === IOCTLS.SIOCINQ ? s.pendingBytes() + c.info().recvQueue : c.outQueue;
  return { ret: 0, out: [v] };
}

/**
 * recv(MSG_PEEK): copy what a read would return, leave it queued. Blocking
 * and EOF behave as read() does (Linux tcp_recvmsg); nothing is freed, so no
 * window update goes out.
 */
export function peek(bsd: BsdLayer, fd: number, len: number): SysOutcome {
  const s = bsd.get(fd);
  if (!s) return err('EBADF');
  if (!s.conn) return err('ENOTCONN');
  if (len === 0) return ok(0);
  const held = s.pendingBytes();
  const got = Math.min(len, held) + (len > held ? s.conn.peek(len - held).length : 0);
  if (got > 0) return ok(got);
  if (s.error) return bsd.read(fd, len); // reports and clears the error as read() does
  if (s.shutRd || s.conn.readEnded || s.dead) return ok(0);
  return s.nonblock ? err('EAGAIN') : WOULD_BLOCK;
}

/** SO_LINGER as setsockopt passes it: `{onoff=1, linger=N}` (packetdrill's struct linger). */
export function lingerValue(fields: Map<string, number>): { on: boolean; seconds: number } {
  const on = fields.get('onoff') ?? fields.get('l_onoff');
  const seconds = fields.get('linger') ?? fields.get('l_linger');
  if (on === undefined || seconds === undefined) throw new ScriptUnsupported('SO_LINGER needs {onoff=..., linger=...}');
  return { on: on !== 0, seconds: Math.max(0, seconds) };
}

/** Linux sk_stream_closing: our FIN is out and not yet acknowledged. */
function finUnacked(s: BsdSocket): boolean {
  const st = s.conn?.state;
  return st === 'FIN_WAIT_1' || st === 'CLOSING' || st === 'LAST_ACK';
}

/**
 * close(): Linux tcp_close. With SO_LINGER on and a zero timeout the
 * connection is dropped with a RST instead of a FIN (tcp_disconnect,
 * socket(7) "the connection is reset"); with a timeout N the call (blocking
 * or not) waits until the FIN is acknowledged or N seconds passed
 * (sk_stream_wait_close), and returns 0 either way.
 */
export function lingerClose(bsd: BsdLayer, fd: number, now: () => number): { poll(): SysOutcome; timeoutAt?: number } {
  let waiting: BsdSocket | undefined;
  const op: { poll(): SysOutcome; timeoutAt?: number } = {
    poll: () => {
      if (!waiting) {
        const s = bsd.get(fd);
        const lg = s?.opts.linger;
        if (!s || !lg?.on || !s.conn || s.dead) return bsd.close(fd);
        if (lg.seconds === 0) {
          s.conn.abort();
          s.dead = true;
          return bsd.close(fd);
        }
        const r = bsd.close(fd);
        if (r.ret !== 0 || !finUnacked(s)) return r;
        waiting = s;
        op.timeoutAt = now() + lg.seconds * 1000;
      }
      if (!finUnacked(waiting) || now() >= (op.timeoutAt ?? 0)) return ok();
      return WOULD_BLOCK;
    },
  };
  return op;
}

/**
 * recvmsg(): a read; with TCP_INQ set, `out` carries the TCP_CM_INQ value
 * Linux puts in the control message (tcp_recvmsg → tcp_inq_hint): the bytes
 * still readable, or 1 once the peer's FIN is in and nothing is left.
 */
export function recvmsg(bsd: BsdLayer, fd: number, len: number): SysOutcome {
  const r = bsd.read(fd, len);
  const s = bsd.get(fd);
  if (r === WOULD_BLOCK || r.ret < 0 || !s?.opts.inq || !s.conn) return r;
  let inq = s.pendingBytes() + s.conn.recvQueue;
  if (inq === 0 && s.conn.readEnded) inq = 1;
  return { ...r, out: [inq] };
}

/** Field `name` of a struct expression. */
function fieldOf(e: Expr, name: string): Expr | undefined {
  return e.t === 'struct' ? e.fields.find((f) => f.name === name)?.value : undefined;
}

function intOf(e: Expr | undefined): number | undefined {
  if (e?.t === 'int') return e.v;
  if (e?.t === 'neg' && e.e.t === 'int') return -e.e.v;
  return undefined;
}

/** Compare recvmsg()'s msghdr with the script's: msg_flags (we set none) and a TCP_CM_INQ control message. */
export function checkRecvmsg(msg: Expr | undefined, r: SysResult): string | undefined {
  if (!msg || r.ret < 0) return undefined;
  const flags = intOf(fieldOf(msg, 'msg_flags'));
  if (flags !== undefined && flags !== 0) return `recvmsg() msg_flags 0x0, expected 0x${flags.toString(16)}`;
  const control = fieldOf(msg, 'msg_control');
  if (!control || control.t !== 'array') return undefined;
  for (const cmsg of control.items) {
    const type = fieldOf(cmsg, 'cmsg_type');
    if (type?.t !== 'sym' || type.name !== 'TCP_CM_INQ') throw new ScriptUnsupported('recvmsg() control messages other than TCP_CM_INQ are not supported');
    const want = intOf(fieldOf(cmsg, 'cmsg_data'));
    const got = r.out?.[0];
    if (got === undefined) return 'recvmsg() returned no TCP_CM_INQ control message (TCP_INQ not set)';
    if (want !== undefined && want !== got) return `recvmsg() TCP_CM_INQ ${got}, expected ${want}`;
  }
  return undefined;
}
