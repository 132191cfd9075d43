/**
 * The parser on packetdrill-syntax text written for these tests (same grammar
 * as google/packetdrill's scripts: options, time forms, syscalls with errno,
 * packets with options, code blocks, commands).
 */
import { describe, expect, it } from 'vitest';
import { ScriptSyntaxError } from '../../src/conformance/lexer.js';
import { ScriptUnsupported, parseScript } from '../../src/conformance/parser.js';
import type { EventBody, TcpPacketSpec } from '../../src/conformance/script.js';
import { resolveTime } from '../../src/conformance/trace.js';

const SRC = `// A passive open with data, in packetdrill's syntax.
--tolerance_usecs=10000
--strict_segments
\`../common/defaults.sh\`

    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0 /* block comment */
 +.1 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
  +.1 < . 1:1(0) ack 1 win 257
   +0 accept(3, ..., ...) = 4
   +0...0.100 read(4, ..., 2000) = 2000
 0.3~0.4 > P. 1:1001(1000) ack 1 win 229 <nop,nop,TS val 100 ecr 700>
    * > . 1:1(0) ack 2001 <...>
   +0 connect(5, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}, 16) = -1 EINPROGRESS (Operation now in progress)
   +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
   +0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1
   +0 writev(4, [{..., 10}, {..., 20}], 2) = 30
   +0 < . 1:1(0) ack 1 win 257 <sack 1001:2001 3001:4001,nop,nop>
   +0 %{
assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd
assert tcpi_ca_state == TCP_CA_Open
}%
   +0 \`sysctl -q net.ipv4.tcp_timestamps=0\`
`;

function body<T extends EventBody['type']>(b: EventBody, type: T): Extract<EventBody, { type: T }> {
  if (b.type !== type) throw new Error(`expected ${type}, got ${b.type}`);
  return b as Extract<EventBody, { type: T }>;
}

describe('packetdrill script parser', () => {
  const s = parseScript(SRC);

  it('reads --option lines', () => {
    expect(s.options.get('tolerance_usecs')).toBe('10000');
    expect(s.options.get('strict_segments')).toBe('');
  });

  it('reads every event with its line number, comments removed', () => {
    expect(s.events.map((e) => e.body.type)).toEqual([
      'command', 'syscall', 'syscall', 'syscall', 'syscall', 'packet', 'packet', 'packet', 'syscall', 'syscall',
      'packet', 'packet', 'syscall', 'syscall', 'syscall', 'syscall', 'packet', 'code', 'command',
    ]);
    expect(s.events[1].line).toBe(6);
    expect(s.events[4].text).not.toContain('block comment');
  });

  it('reads absolute, relative, ranged, wildcard and blocking times (ms)', () => {
    expect(s.events[1].time).toEqual({ kind: 'absolute', at: 0 });
    expect(s.events[5].time).toEqual({ kind: 'relative', at: 100 });
    expect(s.events[9].time).toEqual({ kind: 'relative', at: 0, blockingEnd: 100 });
    expect(s.events[10].time).toEqual({ kind: 'absolute', at: 300, rangeEnd: 400 });
    expect(s.events[11].time.kind).toBe('any');
    // Blocking end and relative start share the previous event's time as base (packetdrill run.c).
    expect(resolveTime(s.events[9].time, 200)).toEqual({ at: 200, blockingEnd: 300 });
  });

  it('reads inbound and outbound TCP packets with flags, seq, ack, win and options', () => {
    const syn = body(s.events[5].body, 'packet').packet as TcpPacketSpec;
    expect(syn).toMatchObject({ dir: '<', flags: 0x02, seq: 0, end: 0, len: 0, win: 32792 });
    expect(syn.options).toEqual([{ kind: 'mss', value: 1000 }, { kind: 'sackOK' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'wscale', value: 7 }]);
    const synack = body(s.events[6].body, 'packet').packet as TcpPacketSpec;
    expect(synack).toMatchObject({ dir: '>', flags: 0x12, ack: 1 });
    expect(synack.win).toBeUndefined();
    const data = body(s.events[10].body, 'packet').packet as TcpPacketSpec;
    expect(data).toMatchObject({ flags: 0x18, seq: 1, end: 1001, len: 1000, win: 229 });
    expect(data.options).toContainEqual({ kind: 'TS', val: 100, ecr: 700 });
    expect((body(s.events[11].body, 'packet').packet as TcpPacketSpec).options).toBe('any');
    expect((body(s.events[16].body, 'packet').packet as TcpPacketSpec).options?.[0]).toEqual({ kind: 'sack', blocks: [[1001, 2001], [3001, 4001]] });
  });

  it('reads syscalls with structs, arrays, | expressions and errno text', () => {
    const c = body(s.events[12].body, 'syscall').call;
    expect(c.name).toBe('connect');
    expect(c.errno).toBe('EINPROGRESS');
    expect(c.errnoText).toBe('Operation now in progress');
    expect(c.ret).toEqual({ t: 'neg', e: { t: 'int', v: 1 } });
    expect(c.args[1]).toMatchObject({ t: 'struct', fields: [{ name: 'sa_family' }, { name: 'sin_port', value: { t: 'call', fn: 'htons' } }, { name: 'sin_addr' }] });
    expect(body(s.events[13].body, 'syscall').call.args[2]).toEqual({ t: 'or', terms: [{ t: 'sym', name: 'O_RDWR' }, { t: 'sym', name: 'O_NONBLOCK' }] });
    expect(body(s.events[15].body, 'syscall').call.args[1]).toMatchObject({ t: 'array', items: [{ t: 'struct' }, { t: 'struct' }] });
  });

  it('keeps %{ }% code blocks and `commands` verbatim', () => {
    expect(body(s.events[17].body, 'code').code).toContain('assert tcpi_snd_cwnd == 10');
    expect(body(s.events[18].body, 'command').command).toBe('sysctl -q net.ipv4.tcp_timestamps=0');
  });

  it('fails with the line number on a syntax error', () => {
    expect(() => parseScript('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > Q 0:0(0)\n')).toThrow(ScriptSyntaxError);
    expect(() => parseScript('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > Q 0:0(0)\n')).toThrow(/line 2/);
    expect(() => parseScript('0 < S 0:10(5)\n')).toThrow(/inconsistent length/);
    expect(() => parseScript('0 close(3)\n')).toThrow(/no '= result'/);
  });

  it('reports unsupported features (Fast Open, IP field annotations) as unsupported, not as errors', () => {
    expect(() => parseScript('0 < S 0:0(0) win 100 <mss 1460,FO abcd>\n')).toThrow(ScriptUnsupported);
    expect(() => parseScript('0 < (tos 0x2) S 0:0(0) win 100\n')).toThrow(ScriptUnsupported);
    expect(() => parseScript('0 > [ce] udp (10)\n')).toThrow(ScriptUnsupported);
  });

  it("parses packetdrill's ECN markers after the direction (RFC 3168 §5 codepoints)", () => {
    const ecnOf = (line: string) => ((parseScript(line).events[0].body as { packet: TcpPacketSpec }).packet as TcpPacketSpec).ecn;
    expect(ecnOf('0 < [ect0] S 0:0(0) win 100\n')).toBe('ect0');
    expect(ecnOf('0 > [ce] . 1:1001(1000) ack 1\n')).toBe('ce');
    expect(ecnOf('0 > [ect01] . 1:1001(1000) ack 1\n')).toBe('ect01');
    expect(ecnOf('0 > [noecn] . 1:1(0) ack 1\n')).toBe('noecn');
    expect(ecnOf('0 > . 1:1(0) ack 1\n')).toBeUndefined();
    expect(() => parseScript('0 > [ect2] . 1:1(0) ack 1\n')).toThrow(/unknown ECN marker/);
    expect(() => parseScript('0 < [ect01] . 1:1(0) ack 1\n')).toThrow(/only matches outbound/);
  });
});
