/**
 * The interpreter end to end over a fixed fake stack (test/conformance/fake-stack.ts):
 * packet injection and capture, ISN learning, blocking calls and their time
 * checks, missing and extra packets, and SKIP/FAIL for unsupported features and
 * parse errors. Seed 1 throughout (the fake stack uses no randomness).
 */
import { describe, expect, it } from 'vitest';
import { getProfile } from '../../src/conformance/profile.js';
import { runScriptText, type Outcome } from '../../src/conformance/runner.js';
import { fakeFactory, type FakeBehaviour } from './fake-stack.js';

const HANDSHAKE = `
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0  < S 0:0(0) win 65535 <mss 1460>
+0  > S. 0:0(0) ack 1 <mss 1460>
+.1 < . 1:1(0) ack 1 win 65535
+0  accept(3, ..., ...) = 4
`;

function run(src: string, b: FakeBehaviour = {}): Outcome {
  const profile = getProfile('default');
  if (!profile) throw new Error('no linux profile');
  return runScriptText(src, { profile, factory: fakeFactory(b), seed: 1 });
}

describe('interpreter over a fixed fake stack', () => {
  it('passes a correct passive handshake with data both ways (ISN learnt from the SYN-ACK)', () => {
    const r = run(`${HANDSHAKE}+0 write(4, ..., 100) = 100
+0  > P. 1:101(100) ack 1
+.1 < P. 1:11(10) ack 101 win 65535
+0  > . 101:101(0) ack 11
+0  read(4, ..., 100) = 10
`);
    expect(r).toEqual({ status: 'PASS' });
  });

  it('fails when a syscall returns something else, naming the line and virtual time', () => {
    const r = run(`${HANDSHAKE}+0 write(4, ..., 100) = 50\n`);
    expect(r.status).toBe('FAIL');
    expect(r.status === 'FAIL' && r.message).toMatch(/^line 9 at 0\.100000s: write\(\) returned 100, expected 50\n    script: \+0 write/);
  });

  it('completes a blocking read when data arrives and checks its return time', () => {
    const ok = run(`${HANDSHAKE}+0...0.2 read(4, ..., 100) = 10
+.2 < P. 1:11(10) ack 1 win 65535
+0  > . 1:1(0) ack 11
`);
    expect(ok).toEqual({ status: 'PASS' });
    const late = run(`${HANDSHAKE}+0...0.1 read(4, ..., 100) = 10
+.2 < P. 1:11(10) ack 1 win 65535
+0  > . 1:1(0) ack 11
`);
    expect(late.status === 'FAIL' && late.message).toMatch(/read\(\) returned at the wrong time/);
  });

  it('fails a blocking call that never returns', () => {
    const r = run(`${HANDSHAKE}+0...0.1 read(4, ..., 100) = 10\n`);
    expect(r.status === 'FAIL' && r.message).toMatch(/read\(\) still blocked/);
  });

  it('fails on a missing outbound packet after the scripted time plus 2 s', () => {
    const r = run(`${HANDSHAKE}+0 > P. 1:11(10) ack 1\n`);
    expect(r.status === 'FAIL' && r.message).toMatch(/missing outbound packet \(waited until 2\.10/);
  });

  it('fails on a late outbound packet (SYN-ACK 50 ms after the SYN, scripted at +0)', () => {
    const r = run(HANDSHAKE, { synAckDelay: 50 });
    expect(r.status === 'FAIL' && r.message).toMatch(/line 6 .*timing: expected at 0\.000000s/s);
    expect(run(HANDSHAKE.replace('+0  > S.', '+.05 > S.'), { synAckDelay: 50 })).toEqual({ status: 'PASS' });
  });

  it('fails on an extra outbound packet left at the end', () => {
    const r = run(HANDSHAKE, { extraAcks: 1 });
    expect(r.status === 'FAIL' && r.message).toMatch(/unexpected extra outbound packet at 0\.000000s: > \. 1:1\(0\) ack 1/);
  });

  it('reports unsupported features as SKIP with the reason, never PASS', () => {
    expect(run(`${HANDSHAKE}+0 epoll_create(1) = 5\n`)).toEqual({ status: 'SKIP', reason: 'line 9: system call epoll_create() is not supported' });
    expect(run(`--ip_version=ipv6\n${HANDSHAKE}`).status).toBe('SKIP');
    expect(run(`0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n`).status).toBe('SKIP');
    expect(run(`\`tc qdisc add dev tun0 root netem loss 1%\`\n${HANDSHAKE}`).status).toBe('SKIP');
    expect(run(`${HANDSHAKE}+0 %{ import os }%\n`).status).toBe('SKIP');
    expect(run(`${HANDSHAKE}+0 setsockopt(4, SOL_SOCKET, SO_LINGER, [1000], 4) = 0\n`).status).toBe('SKIP');
  });

  it('reports a parse error as FAIL naming the line', () => {
    const r = run(`${HANDSHAKE}+0 > Z 1:1(0)\n`);
    expect(r.status === 'FAIL' && r.message).toMatch(/parse error: line 9: unknown TCP flag 'Z'/);
  });

  it('evaluates TCP_INFO assertions against the connection snapshot', () => {
    expect(run(`${HANDSHAKE}+0 %{ assert tcpi_state == TCP_ESTABLISHED }%\n`)).toEqual({ status: 'PASS' });
    const r = run(`${HANDSHAKE}+0 %{ assert tcpi_state == TCP_CLOSE_WAIT }%\n`);
    expect(r.status === 'FAIL' && r.message).toMatch(/assertion failed: assert tcpi_state == TCP_CLOSE_WAIT \(tcpi_state=1\)/);
  });
});
