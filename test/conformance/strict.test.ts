/**
 * The runner is as strict as packetdrill where packetdrill is strict, and
 * takes what upstream scripts write (each case passes as written and fails
 * when mutated): TCP option padding, packetdrill's fd mapping, its single
 * "socket under test", its 1 s wait for a blocking call, and backtick
 * commands (multi-line sysctl blocks, defaults.sh, ethtool, unknown sysctls
 * reported as ignored). Runs the real stack in virtual time, seed 1.
 */
import { describe, expect, it } from 'vitest';
import { loadStackFactory } from '../../src/conformance/harness.js';
import { getProfile } from '../../src/conformance/profile.js';
import { runScriptText, type Outcome } from '../../src/conformance/runner.js';

const factory = await loadStackFactory();
const run = (src: string, profile = 'default'): Outcome => runScriptText(src, { profile: getProfile(profile)!, factory, seed: 1 });
const failMsg = (o: Outcome): string => (o.status === 'FAIL' ? o.message : `not a FAIL: ${JSON.stringify(o)}`);

const LISTEN = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
`;
const HANDSHAKE = `${LISTEN}+0 < S 0:0(0) win 65535 <mss 1460>
+0 > S. 0:0(0) ack 1 <mss 1460>
+.1 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
`;

describe('TCP option padding (packetdrill tcp_packet.c)', () => {
  it('accepts option lists that end on a 32-bit boundary', () => {
    expect(run(`${LISTEN}+0 < S 0:0(0) win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 7>\n+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>\n`)).toEqual({ status: 'PASS' });
  });
  it('refuses an unpadded inbound or outbound list as a parse error', () => {
    const inb = run(`${LISTEN}+0 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,wscale 7>\n`);
    expect(failMsg(inb)).toMatch(/parse error: line 4: TCP options are not padded correctly .* 2 excess bytes/);
    const out = run(`${LISTEN}+0 < S 0:0(0) win 65535 <mss 1460>\n+0 > S. 0:0(0) ack 1 <mss 1460,nop>\n`);
    expect(failMsg(out)).toMatch(/line 5: TCP options are not padded correctly .* 1 excess bytes/);
  });
});

describe('file descriptors mapped as packetdrill (to_live_fd)', () => {
  it('binds the number the script writes to whatever the stack returned', () => {
    const src = HANDSHAKE.replace(/\b3\b/g, '7').replace('accept(7, ..., ...) = 4', 'accept(7, ..., ...) = 12');
    expect(run(`${src}+0 close(12) = 0\n+0 > F. 1:1(0) ack 1\n`)).toEqual({ status: 'PASS' });
  });
  it('fails a call on a number the script never opened, or already closed', () => {
    expect(failMsg(run(`${HANDSHAKE}+0 write(5, ..., 10) = 10\n`))).toMatch(/line 8 .*unable to find fd with script fd 5/);
    expect(failMsg(run(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = 0\n+0 close(3) = -1 EBADF (Bad file descriptor)\n`))).toMatch(
      /line 3 .*unable to find fd with script fd 3/,
    );
  });
  it('fails a script that opens the same number twice', () => {
    expect(failMsg(run(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n`))).toMatch(/duplicate fd 3 in script/);
  });
});

describe("packetdrill's socket under test", () => {
  it('fails a UDP packet injected before any socket exists', () => {
    expect(failMsg(run(`0 < udp (10)\n+0 > icmp unreachable port_unreachable\n`))).toMatch(/line 1 .*no matching socket for script packet/);
  });
  it('accepts a TCP packet before any socket (a closed port answers it)', () => {
    expect(run(`0 < S 0:0(0) win 65535 <mss 1460>\n+0 > R. 0:0(0) ack 1\n`)).toEqual({ status: 'PASS' });
  });
  it('sends a second SYN to the established connection, not to the listener', () => {
    const second = `+0 < S 1000:1000(0) win 65535 <mss 1460>\n`;
    expect(run(`${HANDSHAKE}${second}+0 > . 1:1(0) ack 1\n`)).toEqual({ status: 'PASS' });
    expect(failMsg(run(`${HANDSHAKE}${second}+0 > S. 0:0(0) ack 1001 <mss 1460>\n`))).toMatch(/flags: expected S\. vs actual \./);
  });
});

describe('blocking calls (await_idle_thread: at most 1 s more)', () => {
  const connect = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0...0.5 connect(3, ..., ...) = 0
+0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
+.5 < S. 0:0(0) ack 1 win 65535 <mss 1460>
+0 > . 1:1(0) ack 1
`;
  it('passes when the call returns in time', () => {
    expect(run(connect)).toEqual({ status: 'PASS' });
  });
  it('fails a script that ends while a call is still blocked', () => {
    const src = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0...3 connect(3, ..., ...) = -1 ETIMEDOUT (Connection timed out)\n+0 > S 0:0(0) <...>\n`;
    expect(failMsg(run(src))).toMatch(/exiting while a blocking system call is in progress: connect\(\) still blocked at 1\.000000s/);
  });
  it('fails a second call made while the first is blocked for over 1 s', () => {
    const src = `${LISTEN}+0...3 accept(3, ..., ...) = 4\n+.1 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0\n`;
    expect(failMsg(run(src))).toMatch(/blocking system call while another blocking system call is already in progress/);
  });
});

describe('backtick commands', () => {
  const synAck = (opts: string): string => `${LISTEN}+0 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>\n+0 > S. 0:0(0) ack 1 ${opts}\n`;
  it('applies a multi-line block of sysctl lines', () => {
    const block = '`sysctl -q net.ipv4.tcp_timestamps=0\nsysctl -q net.ipv4.tcp_sack=0`\n';
    expect(run(block + synAck('<mss 1460,nop,wscale 7>'))).toEqual({ status: 'PASS' });
    expect(failMsg(run(block + synAck('<mss 1460,sackOK,TS val 0 ecr 1,nop,wscale 7>')))).toMatch(/options/);
  });
  it('takes sysctl -w with a quoted multi-value tcp_rmem (window scale follows its maximum)', () => {
    const rmem = '`sysctl -w net.ipv4.tcp_rmem="4096 87380 33554432"`\n';
    expect(run(rmem + synAck('<mss 1460,sackOK,TS val 0 ecr 1,nop,wscale 10>'))).toEqual({ status: 'PASS' });
    expect(failMsg(run(rmem + synAck('<mss 1460,sackOK,TS val 0 ecr 1,nop,wscale 7>')))).toMatch(/wscale/);
  });
  it('applies defaults.sh as the linux profile: tcp_rmem max 15 MiB gives window scale 8', () => {
    const ok = run('`../common/defaults.sh`\n' + synAck('<mss 1460,sackOK,TS val 0 ecr 1,nop,wscale 8>'));
    expect(ok).toMatchObject({ status: 'PASS', ignored: expect.arrayContaining(['net.ipv4.tcp_fack', 'net.ipv4.tcp_fastopen']) });
    expect(failMsg(run('`../common/defaults.sh`\n' + synAck('<mss 1460,sackOK,TS val 0 ecr 1,nop,wscale 7>')))).toMatch(/wscale/);
  });
  it('reports a sysctl tunstack has no equivalent for as ignored, not failed', () => {
    expect(run('`sysctl -q net.ipv4.tcp_fack=1 net.ipv4.tcp_sack=1`\n' + HANDSHAKE)).toEqual({ status: 'PASS', ignored: ['net.ipv4.tcp_fack'] });
  });
  it('takes ethtool offloads off (tunstack never offloads) and SKIPs any other command', () => {
    expect(run('`ethtool -K tun0 tso off gso off`\n' + HANDSHAKE)).toEqual({ status: 'PASS' });
    expect(run('`ethtool -K tun0 tso on`\n' + HANDSHAKE)).toEqual({ status: 'SKIP', reason: 'shell command not supported: ethtool -K tun0 tso on' });
  });
});

describe('bind() conflicts (inet_csk_bind_conflict)', () => {
  it('EADDRINUSE without SO_REUSEADDR on both, or against a listener', () => {
    const two = (opt: string, listen: string): string => `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
${opt.replace(/FD/g, '3')}+0 bind(3, ..., ...) = 0
${listen}+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
${opt.replace(/FD/g, '4')}`;
    const reuse = '+0 setsockopt(FD, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n';
    expect(run(`${two('', '')}+0 bind(4, ..., ...) = -1 EADDRINUSE (Address already in use)\n`)).toEqual({ status: 'PASS' });
    expect(run(`${two(reuse, '')}+0 bind(4, ..., ...) = 0\n`)).toEqual({ status: 'PASS' });
    expect(run(`${two(reuse, '+0 listen(3, 1) = 0\n')}+0 bind(4, ..., ...) = -1 EADDRINUSE (Address already in use)\n`)).toEqual({ status: 'PASS' });
  });
});

describe("packetdrill's statement order (parser.y: options, init command, events, cleanup command)", () => {
  it('takes one timeless command first and one last, and refuses one in between', () => {
    const init = '`sysctl -q net.ipv4.tcp_sack=1`\n';
    expect(run(init + HANDSHAKE + '`sysctl -q net.ipv4.tcp_sack=0`\n')).toEqual({ status: 'PASS' });
    const mid = run(init + '`sysctl -q net.ipv4.tcp_timestamps=1`\n' + HANDSHAKE);
    expect(failMsg(mid)).toMatch(/parse error: line 2: a command without a time is only allowed first \(init command\) or last \(cleanup command\)/);
    expect(run(init + '+0 `sysctl -q net.ipv4.tcp_timestamps=1`\n' + HANDSHAKE)).toEqual({ status: 'PASS' });
  });
  it('does not apply the cleanup command to the run (packetdrill runs it afterwards)', () => {
    const src = `${LISTEN}+0 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop>\n+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>\n`;
    expect(run(src + '`sysctl -q net.ipv4.tcp_sack=0`\n')).toEqual({ status: 'PASS' });
    expect(failMsg(run('`sysctl -q net.ipv4.tcp_sack=0`\n' + src))).toMatch(/options/);
  });
  it('refuses an option line after the first event', () => {
    expect(failMsg(run(`${HANDSHAKE}--tolerance_usecs=10000\n`))).toMatch(/parse error: line 8: option lines must come before the first event/);
  });
});
