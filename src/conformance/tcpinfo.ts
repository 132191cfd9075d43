/**
 * TCP_INFO assertions: the `%{ assert tcpi_X == N }%` blocks of packetdrill
 * scripts, evaluated against a snapshot of our own connection state
 * (src/tcp/api.ts TcpInfo) named and scaled as Linux's struct tcp_info
 * (include/uapi/linux/tcp.h: times in microseconds, cwnd/ssthresh in
 * segments). Python that only reads tcpi_* is understood: `assert EXPR[,
 * message]`, `NAME = EXPR` (usable by later statements), `print(...)` and
 * `pass`, over integers, comparisons (chained too), arithmetic and
 * and/or/not; anything else in a block (imports, calls, loops) is reported
 * as unsupported (a SKIP), never ignored.
 */
import type { TcpInfo, TcpState } from '../tcp/api.js';
import { ScriptUnsupported } from './parser.js';

const STATE: Record<TcpState, number> = {
  ESTABLISHED: 1, SYN_SENT: 2, SYN_RECEIVED: 3, FIN_WAIT_1: 4, FIN_WAIT_2: 5, TIME_WAIT: 6,
  CLOSED: 7, CLOSE_WAIT: 8, LAST_ACK: 9, LISTEN: 10, CLOSING: 11,
};
const CA_STATE: Record<string, number> = { open: 0, disorder: 1, cwr: 2, recovery: 3, loss: 4 };

export const TCPINFO_CONSTANTS: Record<string, number> = {
  TCP_ESTABLISHED: 1, TCP_SYN_SENT: 2, TCP_SYN_RECV: 3, TCP_FIN_WAIT1: 4, TCP_FIN_WAIT2: 5, TCP_TIME_WAIT: 6,
  TCP_CLOSE: 7, TCP_CLOSE_WAIT: 8, TCP_LAST_ACK: 9, TCP_LISTEN: 10, TCP_CLOSING: 11,
  TCP_CA_Open: 0, TCP_CA_Disorder: 1, TCP_CA_CWR: 2, TCP_CA_Recovery: 3, TCP_CA_Loss: 4,
  TCPI_OPT_TIMESTAMPS: 1, TCPI_OPT_SACK: 2, TCPI_OPT_WSCALE: 4, True: 1, False: 0,
};

/** Linux's "infinite" ssthresh (TCP_INFINITE_SSTHRESH). */
const INFINITE_SSTHRESH = 0x7fffffff;

/** The tcpi_* fields we can derive, Linux units. */
export function tcpInfoFields(i: TcpInfo): Record<string, number> {
  const mss = i.mss > 0 ? i.mss : 1;
  const ssthresh = i.ssthresh >= INFINITE_SSTHRESH || !Number.isFinite(i.ssthresh) ? INFINITE_SSTHRESH : Math.floor(i.ssthresh / mss);
  return {
    tcpi_state: STATE[i.state],
    tcpi_ca_state: CA_STATE[i.caState] ?? -1,
    tcpi_retransmits: i.retransmits,
    tcpi_retrans: i.retransmits,
    tcpi_total_retrans: i.totalRetrans,
    tcpi_unacked: i.unacked,
    tcpi_sacked: i.sacked,
    tcpi_lost: i.lost,
    tcpi_reordering: i.reordering,
    tcpi_snd_cwnd: Math.floor(i.cwnd / mss),
    tcpi_snd_ssthresh: ssthresh,
    tcpi_rto: Math.round(i.rto * 1000),
    tcpi_rtt: Math.round(i.srtt * 1000),
    tcpi_rttvar: Math.round(i.rttvar * 1000),
    tcpi_snd_mss: i.mss,
    tcpi_advmss: i.advmss ?? 0,
    tcpi_rcv_mss: i.rcvMss ?? 0,
    tcpi_rcv_ssthresh: i.rcvSsthresh ?? 0,
    tcpi_rcv_space: i.rcvSpace ?? 0,
    tcpi_snd_wscale: i.sndWscale,
    tcpi_rcv_wscale: i.rcvWscale,
    tcpi_options: (i.timestamps ? 1 : 0) | (i.sackOk ? 2 : 0) | (i.sndWscale || i.rcvWscale ? 4 : 0),
  };
}

type Tok = { k: 'num' | 'name' | 'op' | 'str'; v: string };

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|\/\/|[<>+\-*/%(),&|])|("[^"]*"|'[^']*'))/y;
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) throw new ScriptUnsupported(`TCP_INFO block: cannot evaluate ${JSON.stringify(src.trim())}`);
    i = re.lastIndex;
    if (m[1]) out.push({ k: 'num', v: m[1] });
    else if (m[2]) out.push({ k: 'name', v: m[2] });
    else if (m[3]) out.push({ k: 'op', v: m[3] });
    else out.push({ k: 'str', v: m[4] });
  }
  return out;
}

class Eval {
  private i = 0;
  constructor(
    private readonly t: Tok[],
    private readonly vars: Record<string, number>,
  ) {}

  peek(): Tok | undefined {
    return this.t[this.i];
  }
  eat(v: string): boolean {
    if (this.t[this.i]?.v === v) {
      this.i++;
      return true;
    }
    return false;
  }
  done(): boolean {
    return this.i >= this.t.length;
  }
  skip(): void {
    this.i++;
  }

  or(): number {
    let a = this.and();
    while (this.eat('or')) a = this.and() || a ? 1 : 0;
    return a;
  }
  and(): number {
    let a = this.not();
    while (this.eat('and')) a = this.not() && a ? 1 : 0;
    return a;
  }
  not(): number {
    if (this.eat('not')) return this.not() ? 0 : 1;
    return this.cmp();
  }
  cmp(): number {
    let a = this.bitOr();
    let compared = false;
    let result = true;
    for (;;) {
      const op = this.peek()?.v;
      if (!op || !['==', '!=', '<', '<=', '>', '>='].includes(op)) break;
      this.i++;
      const b = this.bitOr();
      const r = op === '==' ? a === b : op === '!=' ? a !== b : op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
      compared = true;
      result &&= r;
      a = b;
    }
    return compared ? (result ? 1 : 0) : a;
  }
  /** Python's bitwise | and & bind tighter than comparisons, looser than + and -. */
  bitOr(): number {
    let a = this.bitAnd();
    while (this.eat('|')) a |= this.bitAnd();
    return a;
  }
  bitAnd(): number {
    let a = this.sum();
    while (this.eat('&')) a &= this.sum();
    return a;
  }
  sum(): number {
    let a = this.prod();
    for (;;) {
      if (this.eat('+')) a += this.prod();
      else if (this.eat('-')) a -= this.prod();
      else return a;
    }
  }
  prod(): number {
    let a = this.unary();
    for (;;) {
      if (this.eat('*')) a *= this.unary();
      else if (this.eat('//')) a = Math.floor(a / this.unary());
      else if (this.eat('/')) a = a / this.unary();
      else if (this.eat('%')) a = a % this.unary();
      else return a;
    }
  }
  unary(): number {
    if (this.eat('-')) return -this.unary();
    const t = this.t[this.i++];
    if (!t) throw new ScriptUnsupported('TCP_INFO block: expression ends early');
    if (t.k === 'num') return Number(t.v);
    if (t.v === '(') {
      const v = this.or();
      if (!this.eat(')')) throw new ScriptUnsupported('TCP_INFO block: missing )');
      return v;
    }
    if (t.k === 'name') {
      if (t.v in this.vars) return this.vars[t.v];
      throw new ScriptUnsupported(`TCP_INFO field or name '${t.v}' is not supported`);
    }
    throw new ScriptUnsupported(`TCP_INFO block: unexpected '${t.v}'`);
  }
}

/**
 * Evaluate a `%{ ... }%` block. Returns undefined when every assertion holds,
 * or the first failing assertion's text with the relevant values.
 * Throws ScriptUnsupported for anything beyond simple assertions.
 */
/** Comma-separated expressions (print's arguments; strings allowed). */
function evalList(src: string, vars: Record<string, number>): void {
  const e = new Eval(lex(src), vars);
  while (!e.done()) {
    if (e.peek()?.k === 'str') e.skip();
    else e.or();
    if (!e.done() && !e.eat(',')) throw new ScriptUnsupported(`TCP_INFO block: cannot evaluate print(${src})`);
  }
}

export function evalTcpInfoBlock(code: string, info: TcpInfo | undefined): string | undefined {
  const stmts = code
    .split(/[\n;]/)
    .map((s) => s.replace(/#.*$/, '').trim())
    .filter((s) => s !== '');
  const locals: Record<string, number> = {};
  for (const st of stmts) {
    if (st === 'pass') continue;
    const assign = /^([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)(.*)$/.exec(st);
    const print = /^print\s*\((.*)\)$/.exec(st);
    if (!assign && !print && !/^assert\b/.test(st)) throw new ScriptUnsupported(`TCP_INFO block statement not supported: ${JSON.stringify(st)}`);
    if (!info) throw new ScriptUnsupported('TCP_INFO block with no connection to inspect');
    const fields = tcpInfoFields(info);
    const vars = { ...TCPINFO_CONSTANTS, ...fields, ...locals };
    if (print) {
      // Evaluated (so an unknown name is still a SKIP), printed by packetdrill's Python; nothing to check.
      evalList(print[1], vars);
      continue;
    }
    if (assign) {
      if (assign[1] in fields || assign[1] in TCPINFO_CONSTANTS) throw new ScriptUnsupported(`TCP_INFO block assigns to ${assign[1]}`);
      const e = new Eval(lex(assign[2]), vars);
      locals[assign[1]] = e.or();
      if (!e.done()) throw new ScriptUnsupported(`TCP_INFO block: cannot evaluate ${JSON.stringify(st)}`);
      continue;
    }
    const e = new Eval(lex(st.slice(6)), vars);
    const v = e.or();
    // An optional ", message" after the condition (Python assert syntax) is evaluated for nothing.
    if (!e.done() && !e.eat(',')) throw new ScriptUnsupported(`TCP_INFO block: cannot evaluate ${JSON.stringify(st)}`);
    if (!v) {
      const used = Object.keys(fields).filter((k) => st.includes(k));
      return `assertion failed: ${st} (${used.map((k) => `${k}=${fields[k]}`).join(', ')})`;
    }
  }
  return undefined;
}
