/**
 * What a newcomer gets: `npm pack` ships the built code, the addon sources,
 * the README and the conformance scripts — no test code; and `npm test`'s
 * CLI tests pass from a checkout nobody else can read (cloned into a
 * mode-0700 directory, as under /root), where the unprivileged-user tests
 * used to fail because `setpriv` runs the CLI as nobody.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { linuxReady } from './linux/harness.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

describe('npm pack', () => {
  it('ships dist/src, native, binding.gyp, README and the conformance scripts, and no test file', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path);
    expect(files.filter((f) => /\.test\.|^test\/.*\.(ts|js)$|^bench\/|^dist\/(test|bench)\//.test(f))).toEqual([]);
    for (const f of ['dist/src/cli.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'native/tun.cc', 'binding.gyp', 'README.md', 'package.json']) {
      expect(files).toContain(f);
    }
    expect(files.some((f) => /^test\/conformance\/scripts\/.*\.pkt$/.test(f))).toBe(true);
    expect(files.every((f) => /^(dist\/src\/|native\/|test\/conformance\/(scripts\/|README\.md)|scripts\/conformance\.sh|binding\.gyp|README\.md|package\.json|LICENSE)/.test(f))).toBe(true);
  });
});

const isGit = existsSync(join(ROOT, '.git'));
if (!isGit) console.log('SKIP (package): not a git checkout, nothing to clone');

describe.skipIf(!isGit || !linuxReady('git', 'setpriv'))('a checkout in a mode-0700 directory (linux)', () => {
  it('the CLI tests pass there, the unprivileged-user ones included', () => {
    const parent = mkdtempSync(join(tmpdir(), 'tunstack-0700-'));
    try {
      chmodSync(parent, 0o700);
      expect(statSync(parent).mode & 0o777).toBe(0o700);
      const repo = join(parent, 'repo');
      execFileSync('git', ['clone', '--quiet', '--no-local', ROOT, repo], { stdio: 'ignore' });
      // Reuse this checkout's installed dependencies and built addon; compile the clone's own TypeScript.
      symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'));
      cpSync(join(ROOT, 'build'), join(repo, 'build'), { recursive: true });
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: repo, stdio: 'ignore' });
      const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=verbose', 'test/run/cli.test.ts'], {
        cwd: repo,
        encoding: 'utf8',
        timeout: 240_000,
        env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      });
      const out = r.stdout + r.stderr;
      expect(r.status, out.slice(-3000)).toBe(0);
      expect(out).toMatch(/✓ .*unprivileged user.*opening the TUN or TAP device fails/);
      expect(out).not.toMatch(/skipped|↓/);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  }, 300_000);
});
