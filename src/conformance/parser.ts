/**
 * Parser for packetdrill's script language (grammar of google/packetdrill's
 * README and parser.y, written from the documentation): `--option` lines,
 * event lines `TIME BODY` where BODY is a packet (`<`/`>`), a system call
 * `name(args) = ret [ERRNO (text)]`, a `%{ code }%` block or a `` `command` ``.
 */
import { ScriptSyntaxError, TokenStream, tokenize } from './lexer.js';
import { ECN_FIELD } from './script.js';
import type {
  EcnMark,
  EventBody,
  Expr,
  IcmpPacketSpec,
  OptionSpec,
  PacketSpec,
  Script,
  ScriptEvent,
  SyscallSpec,
  TcpPacketSpec,
  TimeSpec,
} from './script.js';

/** A script uses a packetdrill feature this runner (or the stack) does not implement: reported as SKIP, never a pass. */
export class ScriptUnsupported extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, '.': 0x10, U: 0x20, E: 0x40, W: 0x80 };

interface Statement {
  line: number;
  text: string;
}

/** Remove `//` and `/* *\/` comments outside code blocks, strings and commands, keeping line breaks. */
function stripComments(src: string): string {
  let out = '';
  let i = 0;
  let mode: 'text' | 'code' | 'str' | 'cmd' = 'text';
  while (i < src.length) {
    const two = src.slice(i, i + 2);
    if (mode === 'text') {
      if (two === '//') {
        while (i < src.length && src[i] !== '\n') i++;
        continue;
      }
      if (two === '/*') {
        const end = src.indexOf('*/', i + 2);
        const stop = end < 0 ? src.length : end + 2;
        out += src.slice(i, stop).replace(/[^\n]/g, ' ');
        i = stop;
        continue;
      }
      if (two === '%{') mode = 'code';
      else if (src[i] === '"') mode = 'str';
      else if (src[i] === '`') mode = 'cmd';
    } else if (mode === 'code' && two === '}%') {
      out += two;
      i += 2;
      mode = 'text';
      continue;
    } else if ((mode === 'str' && src[i] === '"') || (mode === 'cmd' && src[i] === '`')) {
      out += src[i++];
      mode = 'text';
      continue;
    }
    out += src[i++];
  }
  return out;
}

/** Group lines into statements: one per line, joined while brackets, a `%{ }%` block or a `` `command` `` are open. */
function splitStatements(src: string): Statement[] {
  const lines = stripComments(src).split('\n');
  const out: Statement[] = [];
  let cur: Statement | undefined;
  let depth = 0;
  let inCode = false;
  let inCmd = false;
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n];
    if (!cur && raw.trim() === '') continue;
    if (!cur) cur = { line: n + 1, text: raw };
    else cur.text += '\n' + raw;
    for (let i = 0; i < raw.length; i++) {
      const two = raw.slice(i, i + 2);
      if (inCmd) {
        if (raw[i] === '`') inCmd = false;
      } else if (!inCode && raw[i] === '`') inCmd = true;
      else if (!inCode && two === '%{') {
        inCode = true;
        i++;
      } else if (inCode && two === '}%') {
        inCode = false;
        i++;
      } else if (!inCode && '([{'.includes(raw[i])) depth++;
      else if (!inCode && ')]}'.includes(raw[i])) depth--;
    }
    if (!inCode && !inCmd && depth <= 0) {
      out.push({ line: cur.line, text: cur.text.trim() });
      cur = undefined;
      depth = 0;
    }
  }
  if (cur) throw new ScriptSyntaxError(inCode ? 'unterminated %{ code block' : inCmd ? 'unterminated `command`' : 'unbalanced brackets', cur.line);
  return out;
}

/**
 * Parse a whole script. Throws ScriptSyntaxError (a FAIL naming the line) or
 * ScriptUnsupported (a SKIP). packetdrill's grammar (parser.y: `opt_options
 * opt_init_command events opt_cleanup_command`): option lines come first, a
 * backtick command without a time may only be the first statement after them
 * (run before the script) or the last one (run after it); every other event
 * has a time.
 */
export function parseScript(src: string): Script {
  const script: Script = { options: new Map(), events: [] };
  const statements = splitStatements(src);
  let sawEvent = false;
  statements.forEach((st, i) => {
    if (st.text.startsWith('--')) {
      if (sawEvent) throw new ScriptSyntaxError('option lines must come before the first event', st.line);
      const m = /^--([A-Za-z0-9_-]+)(?:=(.*))?$/.exec(st.text);
      if (!m) throw new ScriptSyntaxError(`bad option line ${JSON.stringify(st.text)}`, st.line);
      script.options.set(m[1], (m[2] ?? '').trim());
      return;
    }
    if (st.text.startsWith('`') && sawEvent) {
      if (i !== statements.length - 1) {
        throw new ScriptSyntaxError('a command without a time is only allowed first (init command) or last (cleanup command); give it a time', st.line);
      }
      // The cleanup command runs after the script in packetdrill: nothing of it applies to the run.
      script.cleanupCommand = st.text.slice(1, st.text.lastIndexOf('`'));
      return;
    }
    script.events.push(parseEvent(st));
    sawEvent = true;
  });
  return script;
}

function parseEvent(st: Statement): ScriptEvent {
  const { text, line } = st;
  // Bodies with free-form text are cut out before tokenizing the time.
  const codeAt = text.indexOf('%{');
  const cmdAt = text.indexOf('`');
  const cut = [codeAt, cmdAt].filter((x) => x >= 0).sort((a, b) => a - b)[0];
  if (cut !== undefined) {
    const time = cut === 0 ? relZero() : parseTime(new TokenStream(tokenize(text.slice(0, cut), line), line), true);
    const rest = text.slice(cut);
    let body: EventBody;
    if (rest.startsWith('%{')) {
      const end = rest.lastIndexOf('}%');
      if (end < 0) throw new ScriptSyntaxError('unterminated %{ code block', line);
      body = { type: 'code', code: rest.slice(2, end) };
    } else {
      const end = rest.indexOf('`', 1);
      if (end < 0) throw new ScriptSyntaxError('unterminated `command`', line);
      body = { type: 'command', command: rest.slice(1, end) };
    }
    return { line, text, time, body };
  }
  // A syscall's return part holds free text (the errno explanation): split it off at the top-level '='.
  const eq = topLevelEquals(text);
  const head = eq >= 0 ? text.slice(0, eq) : text;
  const ts = new TokenStream(tokenize(head, line), line);
  const time = parseTime(ts, false);
  const first = ts.peek();
  if (!first) throw ts.error('event has no body');
  if (first.text === '<' || first.text === '>') {
    if (eq >= 0) throw ts.error("unexpected '=' in a packet line");
    ts.next();
    return { line, text, time, body: { type: 'packet', packet: parsePacket(ts, first.text) } };
  }
  if (first.kind === 'ident' && ts.peek(1)?.text === '(') {
    if (eq < 0) throw ts.error(`system call ${first.text} has no '= result'`);
    return { line, text, time, body: { type: 'syscall', call: parseSyscall(ts, text.slice(eq + 1), line) } };
  }
  throw ts.error(`cannot parse event starting with '${first.text}'`);
}

function relZero(): TimeSpec {
  return { kind: 'relative', at: 0 };
}

function topLevelEquals(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === '"') {
      const e = text.indexOf('"', i + 1);
      if (e > 0) i = e;
    } else if (c === '=' && depth === 0) return i;
  }
  return -1;
}

/** TIME := '*' | ['+'] num [ '~' ['+'] num | '...' num ]  (seconds in the script, ms in the model). */
function parseTime(ts: TokenStream, optional: boolean): TimeSpec {
  if (optional && ts.atEnd()) return relZero();
  if (ts.accept('*')) return { kind: 'any', at: 0 };
  const relative = ts.accept('+');
  const at = ts.number() * 1000;
  const spec: TimeSpec = { kind: relative ? 'relative' : 'absolute', at };
  if (ts.accept('~')) {
    const endRel = ts.accept('+');
    if (endRel !== relative) throw ts.error('a time range mixes relative and absolute times');
    spec.rangeEnd = ts.number() * 1000;
  } else if (ts.peek()?.kind === 'ellipsis') {
    ts.next();
    spec.blockingEnd = ts.number() * 1000;
  }
  return spec;
}

function parsePacket(ts: TokenStream, dir: string): PacketSpec {
  const d = dir as '<' | '>';
  const t = ts.peek();
  const ecn = parseEcnMark(ts);
  if (ts.peek()?.text === '(') throw new ScriptUnsupported('IP header field annotations (tos, ttl, flowlabel) are not supported');
  if (t?.text === 'udp') {
    ts.next();
    ts.expect('(');
    const len = ts.number();
    ts.expect(')');
    endOfLine(ts);
    return { proto: 'udp', dir: d, len };
  }
  if (t?.text === 'icmp') {
    ts.next();
    return parseIcmp(ts, d);
  }
  if (ecn === undefined) return parseTcp(ts, d);
  if (d === '<' && ecn === 'ect01') throw ts.error('[ect01] (either ECT codepoint) only matches outbound packets');
  return { ...parseTcp(ts, d), ecn };
}

/** packetdrill's ip_ecn after the direction: `[noecn]`, `[ect0]`, `[ect1]`, `[ect01]`, `[ce]`. */
function parseEcnMark(ts: TokenStream): EcnMark | undefined {
  if (ts.peek()?.text !== '[') return undefined;
  ts.next();
  const word = ts.next().text;
  if (!(word in ECN_FIELD)) throw ts.error(`unknown ECN marker '[${word}]' (noecn, ect0, ect1, ect01, ce)`);
  ts.expect(']');
  const t = ts.peek()?.text;
  if (t === 'udp' || t === 'icmp') throw new ScriptUnsupported(`ECN markers on ${t} packets are not supported`);
  return word as EcnMark;
}

function parseTcp(ts: TokenStream, dir: '<' | '>'): TcpPacketSpec {
  let flagsText = '';
  while (!ts.atEnd() && ts.peek()?.kind !== 'num') flagsText += ts.next().text;
  let flags = 0;
  // packetdrill writes a segment with no flags at all as `-`.
  if (flagsText === '-') flagsText = '';
  for (const ch of flagsText) {
    if (ch === 'A' || /[0-7]/.test(ch)) throw new ScriptUnsupported('AccECN flags (A, ACE counts) are not supported');
    const bit = FLAG_BITS[ch];
    if (bit === undefined) throw ts.error(`unknown TCP flag '${ch}' in '${flagsText}'`);
    flags |= bit;
  }
  const seq = ts.number();
  ts.expect(':');
  const end = ts.number();
  ts.expect('(');
  const len = ts.number();
  ts.expect(')');
  if (((end - seq) >>> 0) !== len) throw ts.error(`segment ${seq}:${end}(${len}) has inconsistent length`);
  const pkt: TcpPacketSpec = { proto: 'tcp', dir, flags, flagsText, seq, end, len };
  while (!ts.atEnd()) {
    const k = ts.next();
    if (k.text === 'ack') pkt.ack = ts.number();
    else if (k.text === 'win') pkt.win = ts.number();
    else if (k.text === 'urg') pkt.urg = ts.number();
    else if (k.text === '<') pkt.options = parseOptions(ts);
    else throw ts.error(`unexpected '${k.text}' in TCP packet`);
  }
  const optBytes = Array.isArray(pkt.options) ? optionBytes(pkt.options) : 0;
  // packetdrill (tcp_packet.c new_tcp_packet) refuses a script packet whose options do not end on a 32-bit boundary.
  if (optBytes & 3) {
    throw ts.error(`TCP options are not padded correctly to ensure TCP header is a multiple of 4 bytes: ${optBytes & 3} excess bytes`);
  }
  // packetdrill: an inbound packet is built from the line, so its window cannot be left out.
  if (dir === '<' && pkt.win === undefined) throw ts.error('window must be specified for inbound packets');
  return pkt;
}

/** Encoded length of an option list (RFC 9293 §3.1: kind, length, value; nop and eol one byte). */
export function optionBytes(opts: OptionSpec[]): number {
  let n = 0;
  for (const o of opts) {
    if (o.kind === 'nop' || o.kind === 'eol') n += 1;
    else if (o.kind === 'mss') n += 4;
    else if (o.kind === 'wscale') n += 3;
    else if (o.kind === 'sackOK') n += 2;
    else if (o.kind === 'sack') n += 2 + 8 * o.blocks.length;
    else n += 10;
  }
  return n;
}

function parseOptions(ts: TokenStream): OptionSpec[] | 'any' {
  if (ts.peek()?.kind === 'ellipsis') {
    ts.next();
    ts.expect('>');
    return 'any';
  }
  const opts: OptionSpec[] = [];
  if (ts.accept('>')) return opts;
  for (;;) {
    const name = ts.ident();
    if (name === 'nop') opts.push({ kind: 'nop' });
    else if (name === 'eol') opts.push({ kind: 'eol' });
    else if (name === 'mss') opts.push({ kind: 'mss', value: ts.number() });
    else if (name === 'wscale') opts.push({ kind: 'wscale', value: ts.number() });
    else if (name === 'sackOK') opts.push({ kind: 'sackOK' });
    else if (name === 'sack') {
      const blocks: Array<[number, number]> = [];
      while (ts.peek()?.kind === 'num') {
        const l = ts.number();
        ts.expect(':');
        blocks.push([l, ts.number()]);
      }
      opts.push({ kind: 'sack', blocks });
    } else if (name === 'TS') {
      ts.expect('val');
      const val = ts.number();
      ts.expect('ecr');
      opts.push({ kind: 'TS', val, ecr: ts.number() });
    } else if (name === 'FO' || name === 'exp') {
      throw new ScriptUnsupported('TCP Fast Open options are not supported');
    } else if (name === 'md5') {
      throw new ScriptUnsupported('TCP MD5 signature option is not supported');
    } else if (name === 'mptcp' || name === 'dss') {
      throw new ScriptUnsupported('MPTCP options are not supported');
    } else throw ts.error(`unknown TCP option '${name}'`);
    if (ts.accept('>')) return opts;
    ts.expect(',');
  }
}

function parseIcmp(ts: TokenStream, dir: '<' | '>'): IcmpPacketSpec {
  const spec: IcmpPacketSpec = { proto: 'icmp', dir, type: ts.ident() };
  if (ts.peek()?.kind === 'ident' && ts.peek()?.text !== 'mtu') spec.code = ts.ident();
  if (ts.accept('mtu')) spec.mtu = ts.number();
  if (ts.accept('[')) {
    if (ts.accept('udp')) {
      ts.expect('(');
      spec.quotedUdp = { len: ts.number() };
      ts.expect(')');
    } else {
      const seq = ts.number();
      ts.expect(':');
      const end = ts.number();
      ts.expect('(');
      const len = ts.number();
      ts.expect(')');
      spec.quotedTcp = { seq, end, len };
    }
    ts.expect(']');
  }
  endOfLine(ts);
  return spec;
}

function endOfLine(ts: TokenStream): void {
  const t = ts.peek();
  if (t) throw ts.error(`unexpected '${t.text}' at end of line`);
}

function parseSyscall(ts: TokenStream, retText: string, line: number): SyscallSpec {
  const name = ts.ident();
  ts.expect('(');
  const args: Expr[] = [];
  if (!ts.accept(')')) {
    for (;;) {
      args.push(parseExpr(ts));
      if (ts.accept(')')) break;
      ts.expect(',');
    }
  }
  endOfLine(ts);
  // `= RET [ERRNO] [(note)]`: packetdrill takes a parenthesised note after any result, with or without errno.
  const m = /^\s*(.*?)(?:\s+(E[A-Z][A-Z0-9]*))?\s*(?:\((.*)\))?\s*$/s.exec(retText);
  if (!m || m[1] === '') throw new ScriptSyntaxError(`system call ${name} has an empty result`, line);
  const rs = new TokenStream(tokenize(m[1], line), line);
  const ret = parseExpr(rs);
  endOfLine(rs);
  const call: SyscallSpec = { name, args, ret };
  if (m[2]) call.errno = m[2];
  if (m[3] !== undefined) call.errnoText = m[3];
  return call;
}

/** EXPR := TERM ('|' TERM)* */
export function parseExpr(ts: TokenStream): Expr {
  const first = parseTerm(ts);
  if (ts.peek()?.text !== '|') return first;
  const terms = [first];
  while (ts.accept('|')) terms.push(parseTerm(ts));
  return { t: 'or', terms };
}

function parseTerm(ts: TokenStream): Expr {
  const t = ts.next();
  if (t.kind === 'ellipsis') return { t: 'ellipsis' };
  if (t.kind === 'num') return { t: 'int', v: t.value };
  if (t.kind === 'str') return { t: 'str', v: t.text };
  if (t.text === '-') return { t: 'neg', e: parseTerm(ts) };
  if (t.text === '[') return { t: 'array', items: parseList(ts, ']') };
  if (t.text === '{') return parseStruct(ts);
  if (t.kind === 'ident') {
    if (ts.accept('(')) return { t: 'call', fn: t.text, args: parseList(ts, ')') };
    return { t: 'sym', name: t.text };
  }
  throw ts.error(`unexpected '${t.text}' in expression`);
}

function parseList(ts: TokenStream, close: string): Expr[] {
  const items: Expr[] = [];
  if (ts.accept(close)) return items;
  for (;;) {
    items.push(parseExpr(ts));
    if (ts.accept(close)) return items;
    ts.expect(',');
  }
}

function parseStruct(ts: TokenStream): Expr {
  const fields: Array<{ name?: string; value: Expr }> = [];
  if (ts.accept('}')) return { t: 'struct', fields };
  for (;;) {
    const a = ts.peek();
    const b = ts.peek(1);
    if (a?.kind === 'ident' && b?.text === '=') {
      ts.next();
      ts.next();
      fields.push({ name: a.text, value: parseExpr(ts) });
    } else {
      const e = parseExpr(ts);
      // packetdrill's msghdr fields carry a length: `msg_iov(1)=[...]`, `msg_name(...)=...`.
      if (e.t === 'call' && ts.accept('=')) fields.push({ name: e.fn, value: parseExpr(ts) });
      else fields.push({ value: e });
    }
    if (ts.accept('}')) return { t: 'struct', fields };
    ts.expect(',');
  }
}
