/**
 * The guest kernel: a Debian `linux-image-*` package fetched with
 * `apt-get download` and unpacked with `dpkg -x` into the cache (never
 * installed, nothing lands in /boot), then `depmod -b` so `modules.dep`
 * exists for the initramfs's load order and the guest's own `modprobe`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { VmError } from './errors.js';

export interface KernelDir {
  /** The package name, e.g. linux-image-6.1.0-57-amd64. */
  pkg: string;
  /** Kernel release, e.g. 6.1.0-57-amd64 (the directory under lib/modules). */
  release: string;
  /** Root of the unpacked package. */
  root: string;
  vmlinuz: string;
  /** `<root>/lib/modules/<release>`. */
  modulesDir: string;
}

export type Progress = (msg: string) => void;

function run(cmd: string, args: string[], cwd?: string): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, stdout: '', stderr: `${cmd}: not found` };
    return { ok: false, stdout: '', stderr: String(r.error) };
  }
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: (r.stderr ?? '').trim() };
}

/** `apt-cache depends linux-image-amd64` → `linux-image-6.1.0-57-amd64` (the metapackage's current kernel). */
export function parseMetapackageDepends(text: string): string | undefined {
  const m = /Depends:\s*(linux-image-[0-9][^\s]*)/.exec(text);
  return m?.[1];
}

/** The default kernel package: what Debian's `linux-image-amd64` depends on today. */
export function defaultKernelPackage(): string {
  const r = run('apt-cache', ['depends', 'linux-image-amd64']);
  const pkg = r.ok ? parseMetapackageDepends(r.stdout) : undefined;
  if (!pkg) {
    throw new VmError(
      `cannot find the kernel package: 'apt-cache depends linux-image-amd64' gave no linux-image-* (${r.stderr || 'no Depends line'}). ` +
        'Run apt-get update, or name one with --kernel-package linux-image-VERSION-amd64',
    );
  }
  return pkg;
}

function findRelease(root: string): string | undefined {
  const dir = join(root, 'lib/modules');
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir).find((d) => existsSync(join(root, 'boot', `vmlinuz-${d}`)));
}

function describe(pkg: string, root: string): KernelDir | undefined {
  const release = findRelease(root);
  if (!release) return undefined;
  const modulesDir = join(root, 'lib/modules', release);
  if (!existsSync(join(modulesDir, 'modules.dep'))) return undefined;
  return { pkg, release, root, vmlinuz: join(root, 'boot', `vmlinuz-${release}`), modulesDir };
}

/**
 * The unpacked kernel for `pkg` under `cacheDir/kernels/`, fetched and
 * unpacked on first use (one progress line per step). The unpacked tree is
 * renamed into place only when complete, so an interrupted run leaves no
 * half-made kernel behind.
 */
export function ensureKernel(cacheDir: string, pkg: string, progress: Progress): KernelDir {
  if (!/^linux-image-[A-Za-z0-9.+~-]+$/.test(pkg)) {
    throw new VmError(`--kernel-package '${pkg}' is not a linux-image-* package name`);
  }
  const root = join(cacheDir, 'kernels', pkg);
  const have = describe(pkg, root);
  if (have) return have;

  const work = join(cacheDir, 'kernels', `.${pkg}.partial-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    progress(`downloading ${pkg} (apt-get download)`);
    const dl = run('apt-get', ['download', pkg], work);
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (!dl.ok || !deb) {
      throw new VmError(
        `cannot download kernel package ${pkg}: ${dl.stderr.split('\n').filter((l) => !l.startsWith('W:')).join(' ') || 'no .deb'}. ` +
          `Check it exists with 'apt-cache policy ${pkg}' (apt-get update first), or pick another with --kernel-package`,
      );
    }
    progress(`unpacking ${deb} (dpkg -x, into ${root})`);
    const x = run('dpkg', ['-x', deb, 'tree'], work);
    if (!x.ok) throw new VmError(`dpkg -x ${deb} failed: ${x.stderr}`);
    const tree = join(work, 'tree');
    const release = findRelease(tree);
    if (!release) throw new VmError(`${deb} holds no boot/vmlinuz-* with a matching lib/modules/* directory`);
    progress(`indexing modules of ${release} (depmod -b)`);
    const d = run('depmod', ['-b', tree, release]);
    if (!d.ok) throw new VmError(`depmod failed: ${d.stderr} (apt-get install kmod)`);
    mkdirSync(join(cacheDir, 'kernels'), { recursive: true });
    rmSync(root, { recursive: true, force: true });
    renameSync(tree, root);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const done = describe(pkg, root);
  if (!done) throw new VmError(`kernel cache ${root} is incomplete after unpacking`);
  return done;
}
