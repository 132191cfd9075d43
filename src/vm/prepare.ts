/**
 * Everything a VM run needs before QEMU starts, cached: the QEMU binary, the
 * guest kernel (src/vm/kernel.ts) and the initramfs built for it. One
 * progress line per step that does work; a warm cache prints nothing.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { VmError } from './errors.js';
import { buildInitramfs, initramfsListing } from './initramfs.js';
import { defaultKernelPackage, ensureKernel, type KernelDir, type Progress } from './kernel.js';

export const QEMU = 'qemu-system-x86_64';

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TUNSTACK_VM_CACHE) return env.TUNSTACK_VM_CACHE;
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'tunstack-vm');
}

/** `qemu-system-x86_64 --version`'s first line, or a VmError naming the Debian package. */
export function qemuVersion(qemu = QEMU): string {
  const r = spawnSync(qemu, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new VmError(`${qemu} not found (${r.error ? (r.error as NodeJS.ErrnoException).code : `exit ${r.status}`}): apt-get install qemu-system-x86`);
  }
  return (r.stdout ?? '').split('\n')[0];
}

export interface Prepared {
  qemuVersion: string;
  cacheDir: string;
  kernel: KernelDir;
  initramfs: string;
}

export function prepare(opts: { kernelPackage?: string; progress: Progress; env?: NodeJS.ProcessEnv }): Prepared {
  const version = qemuVersion();
  const dir = cacheDir(opts.env);
  mkdirSync(dir, { recursive: true });
  let step = 0;
  const progress: Progress = (m) => opts.progress(`[prepare ${++step}] ${m}`);
  const pkg = opts.kernelPackage ?? defaultKernelPackage();
  const kernel = ensureKernel(dir, pkg, progress);
  const listing = initramfsListing({ release: kernel.release, modulesDir: kernel.modulesDir });
  // The archive's name hashes everything that goes in, so a changed init script or busybox rebuilds it.
  const h = createHash('sha256');
  for (const e of listing) {
    h.update(`${e.kind} ${e.path}\n`);
    if (e.kind === 'text') h.update(e.text);
    if (e.kind === 'file' && existsSync(e.source)) {
      const st = statSync(e.source);
      h.update(`${e.source} ${st.size} ${st.mtimeMs}\n`);
    }
  }
  const initramfs = join(dir, `initramfs-${kernel.release}-${h.digest('hex').slice(0, 12)}.cpio`);
  if (!existsSync(initramfs)) {
    progress(`building the initramfs (busybox + ${listing.filter((e) => e.path.endsWith('.ko')).length} modules, cpio) → ${initramfs}`);
    buildInitramfs(listing, initramfs);
  }
  return { qemuVersion: version, cacheDir: dir, kernel, initramfs };
}
