/**
 * `--target linux` against the real kernel: the real packetdrill runs one of
 * our scripts in a fresh namespace with the default profile's sysctls and
 * Linux holds it; a copy with one field changed (the MSS option of the SYN-ACK)
 * must FAIL there with packetdrill's reason, so the oracle is strict; a
 * `// linux-differs:` script is a SKIP with its reason, never run.
 *
 * Needs root, /dev/net/tun and packetdrill (PACKETDRILL, PATH or
 * ../shared/tools/packetdrill/packetdrill); otherwise it SKIPs and says why.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPacketdrill } from '../../../src/conformance/linux/invocation.js';
import { runOnLinux } from '../../../src/conformance/linux/target.js';
import { getProfile } from '../../../src/conformance/profile.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const SCRIPT = join(ROOT, 'test/conformance/scripts/handshake/passive-open.pkt');

function whyNot(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (packetdrill needs a namespace and a TUN)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  const pd = findPacketdrill({ env: process.env, root: ROOT });
  if ('error' in pd) return pd.error;
  return undefined;
}
const skip = whyNot();
if (skip) process.stderr.write(`\n*** SKIPPING test/conformance/linux/target.test.ts: ${skip} ***\n\n`);

const work = mkdtempSync(join(tmpdir(), 'tsc-lt-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(file: string) {
  const pd = findPacketdrill({ env: process.env, root: ROOT });
  if ('error' in pd) throw new Error(pd.error);
  return runOnLinux(file, readFileSync(file, 'utf8'), { packetdrill: pd.path, profile: getProfile('default')!, toleranceUsecs: 25000, timeoutMs: 30_000 }, getProfile('linux')!);
}

describe.skipIf(skip !== undefined)('--target linux (real packetdrill, real kernel)', () => {
  it('passes our passive-open script on Linux', async () => {
    expect(await run(SCRIPT)).toEqual({ status: 'PASS' });
  });

  it('fails a mutated copy (SYN-ACK mss 1460 -> 1400) with the reason packetdrill gives', async () => {
    const src = readFileSync(SCRIPT, 'utf8');
    const mutated = src.replace('> S. 0:0(0) ack 1 <mss 1460>', '> S. 0:0(0) ack 1 <mss 1400>');
    expect(mutated).not.toBe(src);
    const f = join(work, 'passive-open-mutated.pkt');
    writeFileSync(f, mutated);
    const r = await run(f);
    expect(r.status).toBe('FAIL');
    expect(r.status === 'FAIL' && r.message).toMatch(/^packetdrill: line 9: .*(mss|option)/i);
  });

  it.each(['upstream/passive-open-defaults-wscale8.pkt', 'upstream/sysctl-block-no-ts-no-sack.pkt', 'upstream/mss-option-gso-inject.pkt'])(
    'holds upstream-style %s (defaults.sh, a sysctl block, --mss) on Linux too',
    async (script) => {
      expect(await run(join(ROOT, 'test/conformance/scripts', script))).toEqual({ status: 'PASS' });
    },
  );

  it('skips a linux-differs script with its reason and does not run it', async () => {
    const f = join(work, 'differs.pkt');
    writeFileSync(f, '// linux-differs: deliberately not Linux\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 99\n');
    expect(await run(f)).toEqual({ status: 'SKIP', reason: 'linux-differs: deliberately not Linux' });
  });
});
