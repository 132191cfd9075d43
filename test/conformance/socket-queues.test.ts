/**
 * SO_LINGER, ioctl(SIOCINQ/SIOCOUTQ) and recv(MSG_PEEK) in the script runner's
 * BSD layer (src/conformance/socket-queues.ts): the scripts under
 * test/conformance/scripts/sockopt hold on tunstack and on Linux; here each
 * behaviour is also shown failing when the script claims otherwise.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadStackFactory } from '../../src/conformance/harness.js';
import { getProfile } from '../../src/conformance/profile.js';
import { runScriptText, type Outcome } from '../../src/conformance/runner.js';

const factory = await loadStackFactory();
const run = (src: string): Outcome => runScriptText(src, { profile: getProfile('default')!, factory, seed: 1 });
const failure = (o: Outcome): string => (o.status === 'FAIL' ? o.message : `not a FAIL: ${o.status}`);

const HANDSHAKE = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1460>
+0 > S. 0:0(0) ack 1 <mss 1460>
+.1 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
`;

describe('SO_LINGER', () => {
  it('linger 0: close() resets instead of sending FIN', () => {
    const src = `${HANDSHAKE}+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n+0 close(4) = 0\n+0 > R. 1:1(0) ack 1\n`;
    expect(run(src)).toEqual({ status: 'PASS' });
    expect(failure(run(src.replace('> R. 1:1(0) ack 1', '> F. 1:1(0) ack 1')))).toMatch(/flags: expected F\. vs actual R\./);
    // Linger off (onoff=0) is a plain close: FIN.
    expect(failure(run(src.replace('onoff=1', 'onoff=0')))).toMatch(/flags: expected R\. vs actual F\./);
  });

  it('linger N: close() returns when the FIN is ACKed, not before and not at once', () => {
    const src = `${HANDSHAKE}+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=5}, 8) = 0\n+0...0.2 close(4) = 0\n+0 > F. 1:1(0) ack 1\n+.2 < . 1:1(0) ack 2 win 65535\n`;
    expect(run(src)).toEqual({ status: 'PASS' });
    expect(failure(run(src.replace('+0...0.2 close', '+0 close')))).toMatch(/close\(\) (returned at the wrong time|still blocked)/);
    // Without SO_LINGER the same close() returns at once.
    expect(failure(run(src.replace('{onoff=1, linger=5}', '{onoff=0, linger=5}')))).toMatch(/close\(\) returned at the wrong time/);
  });

  it('linger N with no ACK: close() returns 0 after N seconds', () => {
    const src = `${HANDSHAKE}+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=1}, 8) = 0\n+0...1.0 close(4) = 0\n+0 > F. 1:1(0) ack 1\n+.3~+.32 > F. 1:1(0) ack 1\n+.6~+.64 > F. 1:1(0) ack 1\n`;
    expect(run(src)).toEqual({ status: 'PASS' });
    expect(failure(run(src.replace('+0...1.0 close', '+0...2.0 close')))).toMatch(/close\(\)/);
  });
});

describe('ioctl SIOCINQ / SIOCOUTQ', () => {
  it('counts unread bytes and unacknowledged bytes', () => {
    const src = `${HANDSHAKE}+0 < P. 1:501(500) ack 1 win 65535\n+0 > . 1:1(0) ack 501\n+0 ioctl(4, SIOCINQ, [500]) = 0\n+0 write(4, ..., 700) = 700\n+0 > P. 1:701(700) ack 501\n+0 ioctl(4, 0x5411, [700]) = 0\n+.1 < . 501:501(0) ack 301 win 65535\n+0 ioctl(4, 0x5411, [400]) = 0\n`;
    expect(run(src)).toEqual({ status: 'PASS' });
    expect(failure(run(src.replace('SIOCINQ, [500]', 'SIOCINQ, [499]')))).toMatch(/ioctl\(\) value 500, expected 499/);
    expect(failure(run(src.replace('0x5411, [400]', '0x5411, [700]')))).toMatch(/ioctl\(\) value 400, expected 700/);
  });

  it('a listener answers EINVAL; an unknown command is a SKIP naming the supported ones', () => {
    expect(run(`${HANDSHAKE}+0 ioctl(3, SIOCINQ, [0]) = -1 EINVAL (Invalid argument)\n`)).toEqual({ status: 'PASS' });
    const other = run(`${HANDSHAKE}+0 ioctl(4, 0x1234, [0]) = 0\n`);
    expect(other.status === 'SKIP' && other.reason).toMatch(/ioctl command 0x1234 is not supported \(SIOCINQ\/FIONREAD 0x541b and SIOCOUTQ 0x5411 are\)/);
  });
});

describe('recv MSG_PEEK', () => {
  it('leaves the data queued for the next read', () => {
    const src = `${HANDSHAKE}+0 < P. 1:201(200) ack 1 win 65535\n+0 > . 1:1(0) ack 201\n+0 recv(4, ..., 150, MSG_PEEK) = 150\n+0 read(4, ..., 1000) = 200\n`;
    expect(run(src)).toEqual({ status: 'PASS' });
    // Had the peek consumed the bytes, the read would get 50.
    expect(failure(run(src.replace('read(4, ..., 1000) = 200', 'read(4, ..., 1000) = 50')))).toMatch(/read\(\) returned 200, expected 50/);
  });
});

describe('TCP_USER_TIMEOUT while probing a zero window (Linux tcp_probe_timer)', () => {
  const src = readFileSync(new URL('./scripts/timers/user-timeout-zero-window-probes.pkt', import.meta.url), 'utf8');
  it('aborts 1 s after the first probe although the probes were answered', () => {
    expect(run(src)).toEqual({ status: 'PASS' });
  });
  it('without the user timeout the answered probes go on and read() stays blocked', () => {
    const o = run(src.replace('+0  setsockopt(4, SOL_TCP, TCP_USER_TIMEOUT, [1000], 4) = 0\n', ''));
    expect(failure(o)).toMatch(/read\(\)|unexpected|outbound/);
  });
  it('the last wait is cut to end on time, not at the backed-off 1.2 s', () => {
    expect(failure(run(src.replace('+0...0.4 read', '+0...1.2 read')))).toMatch(/read\(\)/);
  });
});

describe('recvmsg with TCP_INQ (Linux tcp_inq_hint)', () => {
  const msg = (len: number, inq: number): string =>
    `recvmsg(4, {msg_name(...)=...,\n  msg_iov(1)=[{..., ${len}}],\n  msg_flags=0,\n  msg_control=[{cmsg_level=SOL_TCP,\n    cmsg_type=TCP_CM_INQ,\n    cmsg_data=${inq}}]}, 0) = ${len}`;
  const src =
    `${HANDSHAKE}+0 setsockopt(4, SOL_TCP, TCP_INQ, [1], 4) = 0\n+0 < P. 1:3001(3000) ack 1 win 65535\n+0 > . 1:1(0) ack 3001\n` +
    `+0 ${msg(1000, 2000)}\n+0 ${msg(2000, 0)}\n+0 < F. 3001:3001(0) ack 1 win 65535\n+.04 > . 1:1(0) ack 3002\n+0 ${msg(0, 1)}\n`;

  it('reports the bytes left to read, and 1 once only the FIN is left; each is checked', () => {
    expect(run(src)).toEqual({ status: 'PASS' });
    expect(failure(run(src.replace('cmsg_data=2000', 'cmsg_data=1999')))).toMatch(/TCP_CM_INQ 2000, expected 1999/);
    expect(failure(run(src.replace('cmsg_data=1}', 'cmsg_data=0}')))).toMatch(/TCP_CM_INQ 1, expected 0/);
    expect(failure(run(src.replace('msg_flags=0', 'msg_flags=8')))).toMatch(/msg_flags 0x0, expected 0x8/);
  });

  it('without TCP_INQ there is no control message to match', () => {
    expect(failure(run(src.replace('+0 setsockopt(4, SOL_TCP, TCP_INQ, [1], 4) = 0\n', '')))).toMatch(/no TCP_CM_INQ control message/);
  });
});
