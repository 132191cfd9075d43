/**
 * `--target linux` set-up without running anything: `// linux-differs:`
 * parsing, where packetdrill is found (PACKETDRILL, PATH, ../shared), the
 * namespace and sysctl command line per profile (defaults.sh for `linux`, our
 * defaults for `default`), and how packetdrill's reason is reported.
 */
import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { linuxDiffers } from '../../../src/conformance/linux/headers.js';
import { allowedWithCubic, findPacketdrill, packetdrillInvocation, packetdrillReason, shQuote } from '../../../src/conformance/linux/invocation.js';
import { getProfile } from '../../../src/conformance/profile.js';

const scratch = mkdtempSync(join(tmpdir(), 'tsc-inv-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function fakeBinary(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, 'packetdrill');
  writeFileSync(p, '#!/bin/sh\nexit 0\n');
  chmodSync(p, 0o755);
  return p;
}

describe('linux-differs header', () => {
  it('reads the reason of a // linux-differs: line anywhere in the header', () => {
    expect(linuxDiffers('// RFC 1337: x\n// linux-differs: Linux kills TIME_WAIT on RST (tcp_rfc1337=0)\n0 socket(...) = 3\n')).toBe(
      'Linux kills TIME_WAIT on RST (tcp_rfc1337=0)',
    );
    expect(linuxDiffers('//linux-differs:  spaced  \n')).toBe('spaced');
  });
  it('is absent from ordinary scripts, even when "linux-differs" appears in prose', () => {
    expect(linuxDiffers('// RFC 9293 §3.5\n0 socket(...) = 3\n')).toBeUndefined();
    expect(linuxDiffers('// this one has no linux-differs marker\n')).toBeUndefined();
  });
  it('refuses a marker without a reason', () => {
    expect(() => linuxDiffers('// linux-differs:   \n')).toThrow(/needs a reason/);
  });
});

describe('finding packetdrill', () => {
  const root = join(scratch, 'repo');
  const shared = join(scratch, 'shared/tools/packetdrill');
  const onPath = join(scratch, 'bin');
  it('prefers $PACKETDRILL, then PATH, then ../shared/tools/packetdrill', () => {
    const env = fakeBinary(join(scratch, 'env'));
    const path = fakeBinary(onPath);
    const sh = fakeBinary(shared);
    expect(findPacketdrill({ env: { PACKETDRILL: env, PATH: onPath }, root })).toEqual({ path: env });
    expect(findPacketdrill({ env: { PATH: `/nonexistent:${onPath}` }, root })).toEqual({ path });
    expect(findPacketdrill({ env: { PATH: '/nonexistent' }, root })).toEqual({ path: sh });
  });
  it('names all three places when none has it, and rejects a bad PACKETDRILL', () => {
    const r = findPacketdrill({ env: { PATH: '/nonexistent' }, root: join(scratch, 'nowhere/repo') });
    expect('error' in r && r.error).toMatch(/PACKETDRILL environment variable.*`packetdrill` on PATH.*shared\/tools\/packetdrill\/packetdrill/);
    const bad = findPacketdrill({ env: { PACKETDRILL: join(scratch, 'missing') }, root });
    expect('error' in bad && bad.error).toMatch(/PACKETDRILL=.*missing is not an executable/);
  });
});

describe('namespace and sysctl set-up', () => {
  const inv = (profile: string) =>
    packetdrillInvocation({ packetdrill: '/pd', scriptName: 'x.pkt', cwd: '/w', sysctls: getProfile(profile)!.linuxSysctls, toleranceUsecs: 25000 });

  it('runs packetdrill in a fresh network namespace with loopback up, then execs it with the selftests flags', () => {
    const i = inv('default');
    expect(i.cmd).toBe('unshare');
    expect(i.args.slice(0, 3)).toEqual(['-n', 'sh', '-c']);
    expect(i.args[3]).toMatch(/^ip link set lo up; /);
    expect(i.args[3]).toMatch(/; exec "\$0" "\$@"$/);
    expect(i.args.slice(4)).toEqual([
      '/pd',
      '--ip_version=ipv4',
      '--local_ip=192.168.0.1',
      '--gateway_ip=192.168.0.1',
      '--netmask_ip=255.255.0.0',
      '--remote_ip=192.0.2.1',
      '-D',
      'CMSG_LEVEL_IP=SOL_IP',
      '-D',
      'CMSG_TYPE_RECVERR=IP_RECVERR',
      '--tolerance_usecs=25000',
      'x.pkt',
    ]);
    expect(i.cwd).toBe('/w');
  });

  it('the default profile reproduces our defaults: 6 MiB rmem (wscale 7), RFC 1337, exponential SYN backoff, cubic', () => {
    const sh = inv('default').args[3];
    expect(sh).toContain(`sysctl -qw 'net.ipv4.tcp_rmem=4096 131072 6291456'`);
    expect(sh).toContain(`sysctl -qw 'net.ipv4.tcp_rfc1337=1'`);
    expect(sh).toContain(`sysctl -qw 'net.ipv4.tcp_syn_linear_timeouts=0'`);
    expect(sh).toContain(`sysctl -qw 'net.ipv4.tcp_congestion_control=cubic'`);
    expect(getProfile('default')!.tcp.rcvBuf).toBe(6 * 1024 * 1024);
  });

  it('the linux profile is exactly defaults.sh: 15 MiB rmem (wscale 8), 4 MiB wmem, syn retries 5', () => {
    const p = getProfile('linux')!;
    const sh = inv('linux').args[3];
    expect(sh).toContain(`sysctl -qw 'net.ipv4.tcp_rmem=4096 540000 15728640'`);
    expect(sh).toContain(`sysctl -qw 'net.ipv4.tcp_wmem=4096 262144 4194304'`);
    expect(sh).not.toContain('tcp_rfc1337');
    expect(p.tcp.rcvBuf).toBe(15 * 1024 * 1024);
    expect(p.tcp.sndBuf).toBe(4 * 1024 * 1024);
    expect(p.tcp.synRetries).toBe(5);
    expect(p.linuxSysctls.map(([k]) => k)).toEqual(expect.arrayContaining(['net.ipv4.tcp_fastopen', 'net.ipv4.tcp_early_retrans', 'net.ipv4.tcp_syncookies']));
  });

  it('quotes sysctl values for sh', () => {
    expect(shQuote(`a b'c`)).toBe(`'a b'\\''c'`);
  });
});

describe("packetdrill's reason", () => {
  it('is the first error line, with the packet lines that follow it, without the file name', () => {
    const out = [
      'sysctl: cannot stat /proc/sys/net/ipv4/tcp_fack: No such file or directory',
      'x.pkt:14: error handling packet: live packet field tcp_psh: expected: 0 (0x0) vs actual: 1 (0x1)',
      'script packet:  0.100690 . 1:14601(14600) ack 1',
      'actual packet:  0.100689 P. 1:14601(14600) ack 1 win 64240',
    ].join('\n');
    expect(packetdrillReason(out, 'x.pkt')).toBe(
      'line 14: error handling packet: live packet field tcp_psh: expected: 0 (0x0) vs actual: 1 (0x1) | script packet:  0.100690 . 1:14601(14600) ack 1 | actual packet:  0.100689 P. 1:14601(14600) ack 1 win 64240',
    );
  });
  it('falls back to the last line', () => {
    expect(packetdrillReason('something\nlast words\n', 'x.pkt')).toBe('last words');
  });
});

describe('allowing cubic for defaults.sh', () => {
  it('adds cubic to the allowed list only when it is missing and available', () => {
    expect(allowedWithCubic('reno bbr\n', 'reno bbr cubic\n')).toBe('reno bbr cubic');
    expect(allowedWithCubic('reno bbr cubic\n', 'reno bbr cubic\n')).toBeUndefined();
    expect(allowedWithCubic('reno bbr\n', 'reno bbr\n')).toBeUndefined();
  });
});
