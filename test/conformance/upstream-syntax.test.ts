/**
 * What upstream packetdrill scripts write that the runner now takes, each
 * shown passing as written and failing when mutated: `(note)` after a
 * result, `-` for a segment without flags, `--mss` (injected packets cut to
 * that size, as packetdrill's GSO write), `--tcp_ts_tick_usecs` (outbound TS
 * val checked), `%{ }%` Python that only reads tcpi_* (assignments, print),
 * and the options upstream scripts put in their first lines.
 */
import { describe, expect, it } from 'vitest';
import { loadStackFactory } from '../../src/conformance/harness.js';
import { splitForMss } from '../../src/conformance/inbound.js';
import { parseScript } from '../../src/conformance/parser.js';
import { getProfile } from '../../src/conformance/profile.js';
import { runScriptText, type Outcome } from '../../src/conformance/runner.js';
import type { TcpPacketSpec } from '../../src/conformance/script.js';

const factory = await loadStackFactory();
const run = (src: string): Outcome => runScriptText(src, { profile: getProfile('default')!, factory, seed: 1 });

const HANDSHAKE = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1460>
+0 > S. 0:0(0) ack 1 <mss 1460>
+.1 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
`;

describe('results with a (note)', () => {
  it('takes a note after a plain result as after an errno', () => {
    expect(run(`${HANDSHAKE}+0 write(4, ..., 10) = 10 (all of it)\n+0 > P. 1:11(10) ack 1\n`)).toEqual({ status: 'PASS' });
    const bad = run(`${HANDSHAKE}+0 write(4, ..., 10) = 9 (all of it)\n`);
    expect(bad.status === 'FAIL' && bad.message).toMatch(/write\(\) returned 10, expected 9/);
  });
});

describe('`-`: a segment without flags', () => {
  it('parses as no flag bits, and unknown flags still fail to parse', () => {
    const ev = parseScript('0 < - 1:1(0) win 100\n').events[0];
    expect(ev.body.type === 'packet' && (ev.body.packet as TcpPacketSpec).flags).toBe(0);
    expect(() => parseScript('0 < X 1:1(0) win 100\n')).toThrow(/unknown TCP flag 'X'/);
  });
  it('reaches the stack without the ACK bit, so ESTABLISHED drops it (RFC 9293 §3.10.7.4, fifth check)', () => {
    const tail = `+.1 < - 1:11(10) win 65535\n+.01 recv(4, ..., 100, MSG_DONTWAIT) = -1 EAGAIN (Resource temporarily unavailable)\n`;
    expect(run(HANDSHAKE + tail)).toEqual({ status: 'PASS' });
    // Mutant: the same segment with ACK set is delivered, so the recv() line fails.
    const mutant = run(HANDSHAKE + tail.replace('< - 1:11(10) win', '< . 1:11(10) ack 1 win'));
    expect(mutant.status === 'FAIL' && mutant.message).toMatch(/recv\(\) returned 10, expected -1 EAGAIN/);
  });
});

describe('--mss: injected packets cut to that size', () => {
  const big: TcpPacketSpec = { proto: 'tcp', dir: '<', flags: 0x18 | 0x01 | 0x80, flagsText: 'FPW.', seq: 1, end: 2501, len: 2500, ack: 1, win: 100 };
  it('splits as GSO: header on every piece, CWR on the first, FIN and PSH on the last', () => {
    const parts = splitForMss(big, 1000) as TcpPacketSpec[];
    expect(parts.map((p) => [p.seq, p.end, p.len, p.flags])).toEqual([
      [1, 1001, 1000, 0x10 | 0x80],
      [1001, 2001, 1000, 0x10],
      [2001, 2501, 500, 0x10 | 0x08 | 0x01],
    ]);
    expect(splitForMss(big, undefined)).toEqual([big]);
    expect(splitForMss(big, 3000)).toEqual([big]);
  });
  it('the stack receives the pieces: 4000 bytes with --mss=1000 are four segments in one batch, ACKed once at its end', () => {
    // On Linux, GRO merges the pieces packetdrill writes to its TUN: one ACK for the line
    // (test/conformance/scripts/upstream/mss-option-gso-inject.pkt holds there).
    const src = `--mss=1000\n${HANDSHAKE}+.1 < P. 1:4001(4000) ack 1 win 65535\n+0 > . 1:1(0) ack 4001\n+0 %{ assert tcpi_rcv_mss == 1000 }%\n+0 read(4, ..., 4000) = 4000\n`;
    expect(run(src)).toEqual({ status: 'PASS' });
    // Without --mss the stack gets one 4000-byte segment: its receive-MSS estimate says so.
    const whole = run(src.replace('--mss=1000\n', ''));
    expect(whole.status === 'FAIL' && whole.message).toMatch(/tcpi_rcv_mss/);
  });
});

describe('--tcp_ts_tick_usecs: outbound TS val checked', () => {
  const ts = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 1,nop,wscale 7>
+.1 < . 1:1(0) ack 1 win 65535 <nop,nop,TS val 2 ecr 100>
+0 accept(3, ..., ...) = 4
+.2 write(4, ..., 10) = 10
+0 > P. 1:11(10) ack 1 <nop,nop,TS val VAL ecr 2>
`;
  it('passes a TS val that advanced as the clock did (1 ms ticks) and fails one that did not', () => {
    const opt = '--tcp_ts_tick_usecs=1000\n';
    expect(run(opt + ts.replace('VAL', '400'))).toEqual({ status: 'PASS' });
    const off = run(opt + ts.replace('VAL', '500'));
    expect(off.status === 'FAIL' && off.message).toMatch(/bad outbound TCP timestamp value: expected TS val 500 vs actual 400 \(tolerance 37500 us\)/);
    // Without the option TS val is a clock nobody checks (packetdrill's default).
    expect(run(ts.replace('VAL', '500'))).toEqual({ status: 'PASS' });
  });
});

describe('%{ }% Python that only reads tcpi_*', () => {
  it('takes assignments, print and pass; a wrong value still fails', () => {
    const block = (v: number): string => `${HANDSHAKE}+0 %{\ncwnd = tcpi_snd_cwnd\nprint("cwnd", cwnd, tcpi_rto)\npass\nassert cwnd * 2 == ${v}, cwnd\n}%\n`;
    expect(run(block(20))).toEqual({ status: 'PASS' });
    const bad = run(block(22));
    expect(bad.status === 'FAIL' && bad.message).toMatch(/assertion failed: assert cwnd \* 2 == 22/);
  });
  it('evaluates bitwise & and | as Python (tighter than comparisons)', () => {
    // HANDSHAKE negotiates no options: tcpi_options is 0.
    expect(run(`${HANDSHAKE}+0 %{ assert tcpi_options & TCPI_OPT_SACK == 0 and (tcpi_options | 4) == 4 }%\n`)).toEqual({ status: 'PASS' });
    const bad = run(`${HANDSHAKE}+0 %{ assert tcpi_options & TCPI_OPT_SACK }%\n`);
    expect(bad.status === 'FAIL' && bad.message).toMatch(/assertion failed: assert tcpi_options & TCPI_OPT_SACK \(tcpi_options=0\)/);
  });
  it('SKIPs anything else with the reason', () => {
    expect(run(`${HANDSHAKE}+0 %{ import os }%\n`)).toEqual({ status: 'SKIP', reason: 'TCP_INFO block statement not supported: "import os"' });
    expect(run(`${HANDSHAKE}+0 %{ print(tcpi_unknown_field) }%\n`)).toEqual({ status: 'SKIP', reason: "TCP_INFO field or name 'tcpi_unknown_field' is not supported" });
  });
});

describe('script options in the first lines', () => {
  it('takes --ip_version=ipv4, --local_ip/--remote_ip and --tolerance_usecs, and SKIPs IPv6', () => {
    const opts = '--ip_version=ipv4\n--local_ip=10.0.0.1\n--remote_ip=10.0.0.2\n--tolerance_usecs=10000\n';
    expect(run(opts + HANDSHAKE)).toEqual({ status: 'PASS' });
    expect(run('--ip_version=ipv6\n' + HANDSHAKE)).toEqual({ status: 'SKIP', reason: '--ip_version=ipv6: only IPv4 is supported' });
  });
  it('--tolerance_usecs widens the timing check (a 7 ms late SYN-ACK passes at 10 ms, fails at the 4 ms default)', () => {
    const late = HANDSHAKE.replace('+0 > S. 0:0(0) ack 1 <mss 1460>', '+.007 > S. 0:0(0) ack 1 <mss 1460>').replace('+.1 < .', '+.093 < .');
    const r = run(late);
    expect(r.status === 'FAIL' && r.message).toMatch(/timing/);
    expect(run('--tolerance_usecs=10000\n' + late)).toEqual({ status: 'PASS' });
  });
});

describe('`...` and `[...]` where packetdrill takes them', () => {
  it('does not check a getsockopt value or poll revents written as [...] / ...; a written value is checked', () => {
    const get = (v: string): string => `${HANDSHAKE}+0 getsockopt(4, SOL_SOCKET, SO_ERROR, ${v}, [4]) = 0\n`;
    expect(run(get('[...]'))).toEqual({ status: 'PASS' });
    const bad = run(get('[5]'));
    expect(bad.status === 'FAIL' && bad.message).toMatch(/getsockopt\(\) value 0, expected 5/);
    const poll = (v: string): string => `${HANDSHAKE}+0 poll([{fd=4, events=POLLOUT, revents=${v}}], 1, 0) = 1\n`;
    expect(run(poll('...'))).toEqual({ status: 'PASS' });
    const badPoll = run(poll('POLLIN'));
    expect(badPoll.status === 'FAIL' && badPoll.message).toMatch(/poll\(\) revents\[0\] 0x4, expected 0x1/);
  });
});
