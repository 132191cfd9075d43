/**
 * Wire mode's pure pieces (no root needed): the agent config carried by the
 * hidden `--conformance-agent` flag, the kernel-side address of the TUN, and
 * the scripted duration that decides the long-timer SKIP.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScript } from '../../src/conformance/parser.js';
import { getProfile } from '../../src/conformance/profile.js';
import { checkProfile, decodeAgentConfig, encodeAgentConfig } from '../../src/conformance/wire/protocol.js';
import { defaultTiming, scriptDuration, VM_TIME_SCALE, VM_TOLERANCE_MS, WIRE_DEFAULTS } from '../../src/conformance/wire/runner.js';
import { hostCidr, readyTimeoutMs } from '../../src/conformance/wire/tunstack-process.js';
import { ipv4 } from '../../src/wire/ip-address.js';

const SCRIPTS = join(import.meta.dirname, 'scripts');

describe('wire agent config and start request', () => {
  it('carries the socket path; a profile survives the JSON of a start request unchanged', () => {
    expect(decodeAgentConfig(encodeAgentConfig({ socketPath: '/tmp/x.sock' }))).toEqual({ socketPath: '/tmp/x.sock' });
    const profile = getProfile('default')!;
    profile.tcp.timestamps = false; // as a `sysctl net.ipv4.tcp_timestamps=0` line would
    expect(checkProfile(JSON.parse(JSON.stringify(profile)))).toEqual(profile);
  });

  it('rejects malformed or incomplete configs and profiles with a reason', () => {
    expect(decodeAgentConfig('{')).toMatch(/^not JSON/);
    expect(decodeAgentConfig('null')).toBe('not an object');
    expect(decodeAgentConfig('{"profile":{}}')).toBe('socketPath missing');
    expect(checkProfile(undefined)).toBe('profile missing');
    expect(checkProfile({ tcp: {} })).toBe('profile.localAddr missing or not a number');
    expect(checkProfile({ ...getProfile('default')!, mtu: 40 })).toBe('profile.mtu 40 outside 68..65535');
  });
});

describe('wire tunstack launch', () => {
  it('puts the kernel side of the TUN in the stack /24 at a different host address', () => {
    expect(hostCidr(ipv4('192.168.0.1'))).toBe('192.168.0.2/24');
    expect(hostCidr(ipv4('10.0.0.2'))).toBe('10.0.0.1/24');
    expect(hostCidr(ipv4('10.0.0.77'))).toBe('10.0.0.2/24');
  });
});

describe('wire script duration (long-timer SKIP)', () => {
  it('counts relative times, ranges and blocking ends', () => {
    const s = parseScript('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+1 close(3) = 0\n+.5~+2 > . 1:1(0) ack 1\n');
    expect(scriptDuration(s)).toBe(3000);
  });

  it('is over the 15 s limit for 2*MSL TIME_WAIT expiry and short for a passive open', () => {
    const read = (f: string) => parseScript(readFileSync(join(SCRIPTS, f), 'utf8'));
    expect(scriptDuration(read('close/time-wait-2msl-expiry.pkt'))).toBeGreaterThan(15_000);
    expect(scriptDuration(read('handshake/passive-open.pkt'))).toBe(100);
  });
});

describe('wire mode start-up limit', () => {
  it('is 20 s unless TUNSTACK_WIRE_READY_MS names at least a second', () => {
    expect(readyTimeoutMs({})).toBe(20_000);
    expect(readyTimeoutMs({ TUNSTACK_WIRE_READY_MS: '120000' })).toBe(120_000);
    expect(readyTimeoutMs({ TUNSTACK_WIRE_READY_MS: 'soon' })).toBe(20_000);
    expect(readyTimeoutMs({ TUNSTACK_WIRE_READY_MS: '5' })).toBe(20_000);
  });

  it('is 180 s inside npm run vm, where tolerance and time scale are the VM ones', () => {
    expect(readyTimeoutMs({ TUNSTACK_VM: '1' })).toBe(180_000);
    expect(readyTimeoutMs({ TUNSTACK_VM: '1', TUNSTACK_WIRE_READY_MS: '60000' })).toBe(60_000);
    expect(defaultTiming({})).toMatchObject({ toleranceMs: WIRE_DEFAULTS.toleranceMs, timeScale: 1 });
    expect(defaultTiming({ TUNSTACK_VM: '1' })).toEqual({ toleranceMs: VM_TOLERANCE_MS, timeScale: VM_TIME_SCALE, why: expect.stringMatching(/TUNSTACK_VM=1/) });
  });
});
