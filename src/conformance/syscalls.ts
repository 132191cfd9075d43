/**
 * System-call lines: argument evaluation (symbols, `...`, structs such as
 * sockaddr_in, iovec and pollfd) and dispatch onto the BSD socket layer, with
 * Linux's constant values so scripts written for Linux read the same.
 */
import { BsdLayer, ERRNO, WOULD_BLOCK, err, ok, socketParams, type BsdSocket, type SysOutcome, type SysResult } from './bsd.js';
import { isCongestionControl } from '../tcp/congestion/index.js';
import { ScriptUnsupported } from './parser.js';
import { IOCTLS, checkRecvmsg, ioctl, lingerClose, lingerValue, peek, recvmsg } from './socket-queues.js';
import type { Profile } from './profile.js';
import type { Expr, SyscallSpec } from './script.js';
import { parseIpv4 } from '../wire/ip-address.js';

export const SYMBOLS: Record<string, number> = {
  AF_INET: 2, PF_INET: 2, AF_INET6: 10, SOCK_STREAM: 1, SOCK_DGRAM: 2, SOCK_NONBLOCK: 0o4000, SOCK_CLOEXEC: 0o2000000,
  IPPROTO_IP: 0, IPPROTO_TCP: 6, IPPROTO_UDP: 17, SOL_SOCKET: 1, SOL_TCP: 6, SOL_IP: 0,
  SO_REUSEADDR: 2, SO_ERROR: 4, SO_SNDBUF: 7, SO_RCVBUF: 8, SO_KEEPALIVE: 9, SO_LINGER: 13, SO_REUSEPORT: 15,
  TCP_NODELAY: 1, TCP_MAXSEG: 2, TCP_CORK: 3, TCP_KEEPIDLE: 4, TCP_KEEPINTVL: 5, TCP_KEEPCNT: 6, TCP_SYNCNT: 7,
  TCP_LINGER2: 8, TCP_DEFER_ACCEPT: 9, TCP_INFO: 11, TCP_QUICKACK: 12, TCP_CONGESTION: 13, TCP_USER_TIMEOUT: 18,
  TCP_FASTOPEN: 23, TCP_NOTSENT_LOWAT: 25, TCP_FASTOPEN_CONNECT: 30, TCP_INQ: 36, TCP_CM_INQ: 36, SO_ZEROCOPY: 60,
  F_GETFL: 3, F_SETFL: 4, O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_NONBLOCK: 0o4000,
  SHUT_RD: 0, SHUT_WR: 1, SHUT_RDWR: 2,
  POLLIN: 0x1, POLLPRI: 0x2, POLLOUT: 0x4, POLLERR: 0x8, POLLHUP: 0x10, POLLNVAL: 0x20, POLLRDNORM: 0x40,
  POLLRDBAND: 0x80, POLLWRNORM: 0x100, POLLWRBAND: 0x200, POLLRDHUP: 0x2000,
  MSG_OOB: 1, MSG_PEEK: 2, MSG_DONTWAIT: 0x40, MSG_WAITALL: 0x100, MSG_NOSIGNAL: 0x4000, MSG_MORE: 0x8000,
  MSG_ZEROCOPY: 0x4000000, MSG_FASTOPEN: 0x20000000,
  ...IOCTLS,
  ...ERRNO,
};

/** System calls the runner implements; anything else in a script is a SKIP. */
export const SUPPORTED_SYSCALLS = new Set([
  'socket', 'bind', 'listen', 'accept', 'accept4', 'connect', 'read', 'recv', 'recvfrom', 'readv', 'write', 'send',
  'sendto', 'writev', 'shutdown', 'close', 'setsockopt', 'getsockopt', 'fcntl', 'poll', 'ioctl', 'recvmsg',
]);

export function evalInt(e: Expr): number {
  switch (e.t) {
    case 'int':
      return e.v;
    case 'neg':
      return -evalInt(e.e);
    case 'sym': {
      const v = SYMBOLS[e.name];
      if (v === undefined) throw new ScriptUnsupported(`unknown symbol ${e.name}`);
      return v;
    }
    case 'or':
      return e.terms.reduce((a, t) => a | evalInt(t), 0);
    case 'array':
      if (e.items.length === 1) return evalInt(e.items[0]);
      break;
    case 'call':
      if ((e.fn === 'htons' || e.fn === 'htonl') && e.args.length === 1) return evalInt(e.args[0]);
      break;
    default:
      break;
  }
  throw new ScriptUnsupported(`cannot use ${JSON.stringify(e)} as an integer argument`);
}

function field(e: Expr, name: string): Expr | undefined {
  return e.t === 'struct' ? e.fields.find((f) => f.name === name)?.value : undefined;
}

/** A sockaddr argument: `...` means packetdrill's default address and port. */
function sockaddr(e: Expr | undefined, defAddr: number, defPort: number): { addr: number; port: number } {
  if (!e || e.t === 'ellipsis') return { addr: defAddr, port: defPort };
  const fam = field(e, 'sa_family');
  if (fam && evalInt(fam) !== 2) throw new ScriptUnsupported('only AF_INET socket addresses are supported');
  const p = field(e, 'sin_port');
  const a = field(e, 'sin_addr');
  let addr = defAddr;
  if (a?.t === 'call' && a.fn === 'inet_addr' && a.args[0]?.t === 'str') {
    const v = parseIpv4(a.args[0].v);
    if (v === undefined) throw new ScriptUnsupported(`address ${a.args[0].v} is not IPv4`);
    addr = v;
  }
  return { addr, port: p ? evalInt(p) : defPort };
}

/** Total length of a writev/readv iovec array `[{..., 10}, {..., 20}]`. */
function iovLen(e: Expr): number {
  if (e.t !== 'array') throw new ScriptUnsupported('iovec argument must be an array');
  let n = 0;
  for (const it of e.items) {
    if (it.t !== 'struct' || it.fields.length < 2) throw new ScriptUnsupported('iovec entries must be {..., len}');
    n += evalInt(it.fields[it.fields.length - 1].value);
  }
  return n;
}

export interface SyscallHost {
  bsd: BsdLayer;
  profile: Profile;
  now(): number;
  /** A socket became a connection the script's packets refer to (accept/connect) or a listener. */
  noteSocket(kind: 'listen' | 'accept' | 'connect', sock: BsdSocket): void;
}

/** A started call: poll() performs it, and is polled again (again = true) while it would block. */
export interface SyscallOp {
  poll(again: boolean): SysOutcome;
  /** poll(2) timeout: the call returns 0 at this virtual time. */
  timeoutAt?: number;
}

const flagsArg = (call: SyscallSpec, i: number): number => (call.args[i] ? evalInt(call.args[i]) : 0);

export function startSyscall(call: SyscallSpec, host: SyscallHost): SyscallOp {
  const { bsd, profile } = host;
  const a = call.args;
  const fd = (): number => evalInt(a[0]);
  const simple = (f: () => SysOutcome): SyscallOp => ({ poll: f });
  switch (call.name) {
    case 'socket': {
      const type = evalInt(a[1]);
      if (a[0] && a[0].t !== 'ellipsis' && evalInt(a[0]) !== 2) throw new ScriptUnsupported('IPv6 sockets are not supported');
      if ((type & 0xf) !== 1) throw new ScriptUnsupported('only SOCK_STREAM sockets are supported (UDP sockets: not in the runner)');
      return simple(() => bsd.socket((type & SYMBOLS.SOCK_NONBLOCK) !== 0));
    }
    case 'bind':
      return simple(() => bsd.bind(fd(), sockaddr(a[1], profile.localAddr, profile.port).port));
    case 'listen':
      return simple(() => {
        const r = bsd.listen(fd(), evalInt(a[1]), profile.port);
        const s = bsd.get(fd());
        if (r.ret === 0 && s) host.noteSocket('listen', s);
        return r;
      });
    case 'accept':
    case 'accept4':
      return simple(() => {
        const r = bsd.accept(fd());
        if (r !== WOULD_BLOCK && r.ret >= 0) {
          const s = bsd.get(r.ret);
          if (s) {
            if (call.name === 'accept4' && flagsArg(call, 3) & SYMBOLS.SOCK_NONBLOCK) s.nonblock = true;
            host.noteSocket('accept', s);
          }
        }
        return r;
      });
    case 'connect': {
      const { addr, port } = sockaddr(a[1], profile.remoteAddr, profile.port);
      // poll(again): a blocking connect() is re-polled as time advances; only
      // the first poll is the system call itself, later ones wait for its result.
      return {
        poll: (again: boolean) => {
          const s = bsd.get(fd());
          const first = !again && s !== undefined && !s.connecting;
          const r = bsd.connect(fd(), addr, port, again);
          if (first && s?.conn) host.noteSocket('connect', s);
          return r;
        },
      };
    }
    case 'read':
    case 'recv':
    case 'recvfrom':
    case 'readv':
      return readOp(call, bsd);
    case 'recvmsg':
      return recvmsgOp(call, bsd);
    case 'write':
    case 'send':
    case 'sendto':
    case 'writev':
      return writeOp(call, bsd);
    case 'shutdown':
      return simple(() => bsd.shutdown(fd(), evalInt(a[1])));
    case 'close':
      return lingerClose(bsd, fd(), () => host.now());
    case 'ioctl':
      if (a.length !== 3) throw new ScriptUnsupported('ioctl() is supported with 3 arguments: ioctl(fd, SIOCINQ, [bytes])');
      return simple(() => ioctl(bsd, fd(), evalInt(a[1])));
    case 'fcntl':
      return simple(() => fcntl(bsd, fd(), evalInt(a[1]), a[2]));
    case 'setsockopt':
      return simple(() => setsockopt(bsd, fd(), evalInt(a[1]), evalInt(a[2]), a[3]));
    case 'getsockopt':
      return simple(() => getsockopt(bsd, fd(), evalInt(a[1]), evalInt(a[2])));
    case 'poll':
      return pollOp(call, host);
    default:
      throw new ScriptUnsupported(`system call ${call.name}() is not supported`);
  }
}

function readOp(call: SyscallSpec, bsd: BsdLayer): SyscallOp {
  const a = call.args;
  const len = call.name === 'readv' ? iovLen(a[1]) : evalInt(a[2]);
  const flags = call.name === 'recv' || call.name === 'recvfrom' ? flagsArg(call, 3) : 0;
  if (flags & ~(SYMBOLS.MSG_DONTWAIT | SYMBOLS.MSG_PEEK)) throw new ScriptUnsupported(`recv flags 0x${flags.toString(16)} are not supported`);
  const fd = evalInt(a[0]);
  if (flags & SYMBOLS.MSG_PEEK) return { poll: () => withNonblock(bsd, fd, flags, () => peek(bsd, fd, len)) };
  return { poll: () => withNonblock(bsd, fd, flags, () => bsd.read(fd, len)) };
}

/** recvmsg(fd, {msg_iov(N)=[...], msg_control=[...]}, flags): a read of the iovecs' length; with TCP_INQ the bytes left (tcp_recvmsg → tcp_inq_hint). */
function recvmsgOp(call: SyscallSpec, bsd: BsdLayer): SyscallOp {
  const msg = call.args[1];
  const iov = msg ? field(msg, 'msg_iov') : undefined;
  if (!iov) throw new ScriptUnsupported('recvmsg() needs a struct msghdr with msg_iov');
  const flags = flagsArg(call, 2);
  if (flags & ~SYMBOLS.MSG_DONTWAIT) throw new ScriptUnsupported(`recvmsg flags 0x${flags.toString(16)} are not supported`);
  const fd = evalInt(call.args[0]);
  const len = iovLen(iov);
  return { poll: () => withNonblock(bsd, fd, flags, () => recvmsg(bsd, fd, len)) };
}

function writeOp(call: SyscallSpec, bsd: BsdLayer): SyscallOp {
  const a = call.args;
  const len = call.name === 'writev' ? iovLen(a[1]) : evalInt(a[2]);
  const flags = call.name === 'send' || call.name === 'sendto' ? flagsArg(call, 3) : 0;
  if (flags & ~(SYMBOLS.MSG_DONTWAIT | SYMBOLS.MSG_NOSIGNAL)) throw new ScriptUnsupported(`send flags 0x${flags.toString(16)} are not supported`);
  // A blocking write that made partial progress remembers it across polls.
  const progress = { sent: 0 };
  return { poll: () => withNonblock(bsd, evalInt(a[0]), flags, () => bsd.write(evalInt(a[0]), len, progress)) };
}

function withNonblock(bsd: BsdLayer, fd: number, flags: number, f: () => SysOutcome): SysOutcome {
  const s = bsd.get(fd);
  if (!s || !(flags & SYMBOLS.MSG_DONTWAIT)) return f();
  const saved = s.nonblock;
  s.nonblock = true;
  try {
    return f();
  } finally {
    s.nonblock = saved;
  }
}

function fcntl(bsd: BsdLayer, fd: number, cmd: number, arg: Expr | undefined): SysResult {
  const s = bsd.get(fd);
  if (!s) return err('EBADF');
  if (cmd === SYMBOLS.F_GETFL) return ok(SYMBOLS.O_RDWR | (s.nonblock ? SYMBOLS.O_NONBLOCK : 0));
  if (cmd === SYMBOLS.F_SETFL && arg) {
    s.nonblock = (evalInt(arg) & SYMBOLS.O_NONBLOCK) !== 0;
    return ok();
  }
  throw new ScriptUnsupported(`fcntl command ${cmd} is not supported`);
}

function setsockopt(bsd: BsdLayer, fd: number, level: number, name: number, valE: Expr | undefined): SysResult {
  const s = bsd.get(fd);
  if (!s) return err('EBADF');
  if (level === SYMBOLS.SOL_SOCKET && name === SYMBOLS.SO_LINGER) {
    if (valE?.t !== 'struct') throw new ScriptUnsupported('SO_LINGER takes {onoff=..., linger=...}');
    s.opts.linger = lingerValue(new Map(valE.fields.map((f) => [f.name ?? '', evalInt(f.value)])));
    return ok();
  }
  if (level === SYMBOLS.SOL_TCP && name === SYMBOLS.TCP_CONGESTION) return setCongestion(s, valE);
  const v = valE ? evalInt(valE) : 0;
  const c = s.conn;
  if (level === SYMBOLS.SOL_SOCKET && name === SYMBOLS.SO_REUSEADDR) s.opts.reuseAddr = v !== 0;
  else if (level === SYMBOLS.SOL_SOCKET && name === SYMBOLS.SO_REUSEPORT) s.opts.reuseAddr = v !== 0;
  else if (level === SYMBOLS.SOL_SOCKET && (name === SYMBOLS.SO_RCVBUF || name === SYMBOLS.SO_SNDBUF)) {
    // socket(7): the kernel doubles the value (bookkeeping overhead) and getsockopt returns that.
    if (name === SYMBOLS.SO_RCVBUF) s.opts.rcvBuf = 2 * Math.max(0, v);
    else s.opts.sndBuf = 2 * Math.max(0, v);
    c?.setBuffers(socketParams(s.opts));
    if (!c) s.listener?.setParams(socketParams(s.opts));
  }
  else if (level === SYMBOLS.SOL_SOCKET && name === SYMBOLS.SO_KEEPALIVE) {
    s.opts.keepAlive = v !== 0;
    c?.setKeepAlive(v !== 0);
  } else if (level === SYMBOLS.SOL_TCP && name === SYMBOLS.TCP_NODELAY) {
    s.opts.noDelay = v !== 0;
    c?.setNoDelay(v !== 0);
  } else if (level === SYMBOLS.SOL_TCP && name === SYMBOLS.TCP_USER_TIMEOUT) {
    s.opts.userTimeout = v;
    c?.setUserTimeout(v);
  } else if (level === SYMBOLS.SOL_TCP && name === SYMBOLS.TCP_KEEPIDLE) {
    c?.setKeepAlive(s.opts.keepAlive, v * 1000);
  } else if (level === SYMBOLS.SOL_TCP && name === SYMBOLS.TCP_MAXSEG && !c) {
    // Linux do_tcp_setsockopt: 88 (TCP_MIN_MSS) .. 65535, else EINVAL; applies to the handshake.
    if (v < 88 || v > 65535) return err('EINVAL');
    s.opts.maxSeg = v;
    s.listener?.setParams(socketParams(s.opts));
  } else if (level === SYMBOLS.SOL_TCP && name === SYMBOLS.TCP_KEEPINTVL && c) {
    c.setKeepAliveProbes(v * 1000, undefined);
  } else if (level === SYMBOLS.SOL_TCP && name === SYMBOLS.TCP_KEEPCNT && c) {
    c.setKeepAliveProbes(undefined, v);
  } else if (level === SYMBOLS.SOL_TCP && name === SYMBOLS.TCP_QUICKACK && c) {
    c.setQuickAck(v !== 0);
  } else if (level === SYMBOLS.SOL_TCP && name === SYMBOLS.TCP_INQ) {
    s.opts.inq = v !== 0; // Linux: recvmsg() then reports the bytes left to read (TCP_CM_INQ)
  } else throw new ScriptUnsupported(`setsockopt(${optName(level, name)}) is not supported by the stack's socket API`);
  return ok();
}

/** TCP_CONGESTION (Linux do_tcp_setsockopt → tcp_set_congestion_control): a controller by name; ENOENT if there is none so named. */
function setCongestion(s: BsdSocket, valE: Expr | undefined): SysResult {
  if (valE?.t !== 'str') throw new ScriptUnsupported('setsockopt(TCP_CONGESTION) takes a string, e.g. "cubic"');
  if (!isCongestionControl(valE.v)) return err('ENOENT');
  s.opts.congestion = valE.v;
  s.conn?.setCongestionControl(valE.v);
  return ok();
}

function getsockopt(bsd: BsdLayer, fd: number, level: number, name: number): SysResult {
  const s = bsd.get(fd);
  if (!s) return err('EBADF');
  let v: number;
  if (level === SYMBOLS.SOL_SOCKET && name === SYMBOLS.SO_ERROR) {
    v = s.error ? ERRNO[s.error] : 0;
    s.error = undefined;
  } else if (level === SYMBOLS.SOL_SOCKET && name === SYMBOLS.SO_REUSEADDR) v = s.opts.reuseAddr ? 1 : 0;
  else if (level === SYMBOLS.SOL_SOCKET && name === SYMBOLS.SO_KEEPALIVE) v = s.opts.keepAlive ? 1 : 0;
  else if (level === SYMBOLS.SOL_SOCKET && name === SYMBOLS.SO_RCVBUF && s.opts.rcvBuf) v = s.opts.rcvBuf;
  else if (level === SYMBOLS.SOL_SOCKET && name === SYMBOLS.SO_SNDBUF && s.opts.sndBuf) v = s.opts.sndBuf;
  else if (level === SYMBOLS.SOL_TCP && name === SYMBOLS.TCP_NODELAY) v = s.opts.noDelay ? 1 : 0;
  else if (level === SYMBOLS.SOL_TCP && name === SYMBOLS.TCP_USER_TIMEOUT) v = s.opts.userTimeout;
  else if (level === SYMBOLS.SOL_TCP && name === SYMBOLS.TCP_MAXSEG && s.conn) v = s.conn.info().mss;
  // Linux: before the handshake, the TCP_MAXSEG set, else mss_cache's initial 536.
  else if (level === SYMBOLS.SOL_TCP && name === SYMBOLS.TCP_MAXSEG) v = s.opts.maxSeg ?? 536;
  else throw new ScriptUnsupported(`getsockopt(${optName(level, name)}) is not supported`);
  return { ret: 0, out: [v] };
}

function optName(level: number, name: number): string {
  const prefix = level === SYMBOLS.SOL_SOCKET ? 'SO_' : 'TCP_';
  const hit = Object.entries(SYMBOLS).find(([k, val]) => k.startsWith(prefix) && val === name);
  return hit ? hit[0] : `${level}/${name}`;
}

/** Linux poll(2) readiness for one socket (net/ipv4/tcp.c tcp_poll, simplified to what TcpApi exposes). */
export function pollMask(s: BsdSocket | undefined): number {
  if (!s) return SYMBOLS.POLLNVAL;
  let m = 0;
  if (s.listener) return s.acceptable ? SYMBOLS.POLLIN | SYMBOLS.POLLRDNORM : 0;
  const c = s.conn;
  if (!c) return SYMBOLS.POLLOUT | SYMBOLS.POLLHUP;
  if (s.error) m |= SYMBOLS.POLLERR;
  const st = c.state;
  const closed = s.dead || st === 'CLOSED';
  if (closed || (s.shutWr && c.readEnded)) m |= SYMBOLS.POLLHUP;
  if (c.readEnded || s.shutRd) m |= SYMBOLS.POLLIN | SYMBOLS.POLLRDNORM | SYMBOLS.POLLRDHUP;
  if (s.readable()) m |= SYMBOLS.POLLIN | SYMBOLS.POLLRDNORM;
  if ((st === 'ESTABLISHED' || st === 'CLOSE_WAIT') && !s.shutWr && c.sendSpace > 0) m |= SYMBOLS.POLLOUT | SYMBOLS.POLLWRNORM;
  return m;
}

function pollOp(call: SyscallSpec, host: SyscallHost): SyscallOp {
  const fds = call.args[0];
  if (!fds || fds.t !== 'array') throw new ScriptUnsupported('poll() needs an array of pollfd structs');
  const entries = fds.items.map((it) => ({ fd: evalInt(field(it, 'fd') ?? { t: 'int', v: -1 }), events: evalInt(field(it, 'events') ?? { t: 'int', v: 0 }) }));
  const timeout = call.args[2] ? evalInt(call.args[2]) : 0;
  const op: SyscallOp = {
    poll: () => {
      const revents = entries.map((e) => pollMask(host.bsd.get(e.fd)) & (e.events | SYMBOLS.POLLERR | SYMBOLS.POLLHUP | SYMBOLS.POLLNVAL));
      const n = revents.filter((r) => r !== 0).length;
      if (n > 0 || timeout === 0 || (op.timeoutAt !== undefined && host.now() >= op.timeoutAt)) return { ret: n, out: revents };
      return WOULD_BLOCK;
    },
  };
  if (timeout > 0) op.timeoutAt = host.now() + timeout;
  return op;
}

/** Compare a call's result with the script's `= RET [ERRNO]` and any values written through pointers. */
/** `...` or `[...]`: packetdrill does not check this value. */
function unchecked(e: Expr | undefined): boolean {
  return !e || e.t === 'ellipsis' || (e.t === 'array' && e.items.length === 1 && e.items[0].t === 'ellipsis');
}

export function checkResult(call: SyscallSpec, r: SysResult): string | undefined {
  const got = r.errno ? `${r.ret} ${r.errno}` : `${r.ret}`;
  if (call.ret.t !== 'ellipsis') {
    const want = evalInt(call.ret);
    const wantText = call.errno ? `${want} ${call.errno}` : `${want}`;
    if (want !== r.ret || (call.errno !== undefined && ERRNO[call.errno] !== ERRNO[r.errno ?? ''])) {
      return `${call.name}() returned ${got}, expected ${wantText}`;
    }
    if (r.errno && call.errno === undefined) return `${call.name}() returned ${got}, expected ${wantText}`;
  }
  if (call.name === 'getsockopt' && r.out && !unchecked(call.args[3])) {
    const want = evalInt(call.args[3]);
    if (want !== r.out[0]) return `getsockopt() value ${r.out[0]}, expected ${want}`;
  }
  if (call.name === 'ioctl' && r.out && !unchecked(call.args[2])) {
    const want = evalInt(call.args[2]);
    if (want !== r.out[0]) return `ioctl() value ${r.out[0]}, expected ${want}`;
  }
  if (call.name === 'recvmsg') {
    const bad = checkRecvmsg(call.args[1], r);
    if (bad) return bad;
  }
  if (call.name === 'poll' && r.out && call.args[0]?.t === 'array') {
    const items = call.args[0].items;
    for (let i = 0; i < items.length; i++) {
      const re = field(items[i], 'revents');
      if (re && !unchecked(re) && evalInt(re) !== r.out[i]) return `poll() revents[${i}] 0x${r.out[i].toString(16)}, expected 0x${evalInt(re).toString(16)}`;
    }
  }
  return undefined;
}
