/**
 * A world-readable copy of the built CLI, for tests that run it as `nobody`
 * (setpriv): a checkout inside a mode-0700 directory (e.g. cloned under
 * /root) is unreadable to that user, so the tests run this copy instead —
 * dist/src, package.json, the addons, and the runtime dependency tree of
 * package.json's "dependencies" minus the build-only ones (node-gyp,
 * node-addon-api), under a fresh directory in the OS temp dir.
 */
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILD_ONLY = new Set(['node-gyp', 'node-addon-api']);

function deps(pkgDir: string): string[] {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
  return Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies });
}

/** node_modules directory of `name` as Node would resolve it from `fromDir`. */
function resolvePackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const p = join(dir, 'node_modules', name);
    if (existsSync(join(p, 'package.json'))) return p;
    if (dirname(dir) === dir || !dir.startsWith(ROOT.replace(/\/$/, ''))) return undefined;
  }
}

function chmodReadable(p: string): void {
  const st = statSync(p);
  chmodSync(p, st.isDirectory() ? 0o755 : st.mode & 0o111 ? 0o755 : 0o644);
  if (st.isDirectory()) for (const e of readdirSync(p)) chmodReadable(join(p, e));
}

export interface ReadableCopy {
  cli: string;
  remove(): void;
}

export function readableCliCopy(): ReadableCopy {
  const dest = mkdtempSync(join(tmpdir(), 'tunstack-cli-'));
  cpSync(join(ROOT, 'dist/src'), join(dest, 'dist/src'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dest, 'package.json'));
  for (const f of readdirSync(join(ROOT, 'build/Release')).filter((n) => n.endsWith('.node'))) {
    cpSync(join(ROOT, 'build/Release', f), join(dest, 'build/Release', f));
  }
  const seen = new Set<string>();
  const queue = deps(ROOT).filter((d) => !BUILD_ONLY.has(d)).map((name) => ({ name, from: ROOT }));
  while (queue.length > 0) {
    const { name, from } = queue.shift()!;
    const dir = resolvePackage(name, from);
    if (!dir || seen.has(dir)) continue;
    seen.add(dir);
    cpSync(dir, join(dest, dir.slice(ROOT.length)), { recursive: true });
    for (const d of deps(dir)) queue.push({ name: d, from: dir });
  }
  chmodReadable(dest);
  return { cli: join(dest, 'dist/src/cli.js'), remove: () => rmSync(dest, { recursive: true, force: true }) };
}
