/**
 * The services' flags of `tunstack up`: `--services list`, --tls-cert/--tls-key,
 * --hostname, --dns-record misuse (status 2, one line naming the fix). Runs
 * the BUILT command (dist/src/cli.js; `npm test` builds first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICES } from '../../src/apps/services.js';
import { makeSelfSigned } from '../../src/apps/tls-cert.js';

const CLI = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));

function tunstack(args: string[]): { code: number | null; stdout: string; stderr: string } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npx tsc -p .' before these tests`);
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 15_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectMisuse(args: string[], message: RegExp): void {
  const r = tunstack(args);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^tunstack: [^\n]+\n$/);
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(2);
}

describe('tunstack up: service flags', () => {
  it('--services list prints every service with its ports and purpose, and exits 0 (no root needed)', () => {
    const r = tunstack(['up', '--services', 'list']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(['echo', 'discard', 'chargen', 'http', 'https', 'dns', 'udp-echo']);
    for (const s of SERVICES) expect(r.stdout).toMatch(new RegExp(`^${s.name}\\s+${s.ports}\\s+\\S`, 'm'));
    expect(r.stdout).toMatch(/^https\s+tcp\/443\s+.*h2/m);
    expect(r.stdout).toMatch(/^dns\s+udp\/53,tcp\/53\s+/m);
  });

  it('help names the new flags', () => {
    const r = tunstack(['help']);
    for (const opt of ['--tls-cert', '--tls-key', '--hostname', '--dns-record', 'https', 'dns']) expect(r.stdout).toContain(opt);
  });

  it('--tls-cert without --tls-key, unreadable files and a mismatched pair are refused with the fix', async () => {
    expectMisuse(['up', '--tls-cert', '/tmp/x.pem'], /--tls-cert and --tls-key go together/);
    expectMisuse(['up', '--tls-cert', '/nonexistent/c.pem', '--tls-key', '/nonexistent/k.pem'], /--tls-cert \/nonexistent\/c\.pem.*give readable PEM files/);
    // A key that is not the certificate's is refused before anything starts.
    const dir = mkdtempSync(join(tmpdir(), 'tunstack-clitls-'));
    try {
      const a = await makeSelfSigned('a.test', []);
      const b = await makeSelfSigned('b.test', []);
      writeFileSync(join(dir, 'cert.pem'), a.cert);
      writeFileSync(join(dir, 'key.pem'), b.key);
      expectMisuse(['up', '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')], /key values mismatch/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a bad --hostname or --dns-record names the rule', () => {
    expectMisuse(['up', '--hostname', 'bad_name-.test'], /--hostname 'bad_name-\.test' label 'bad_name-'/);
    expectMisuse(['up', '--dns-record', 'web.test'], /must look like name=addr/);
    expectMisuse(['up', '--dns-record', 'web.test=10.1.2'], /'10\.1\.2' is not an IPv4 address/);
  });
});
