/**
 * The VM's initramfs: a static busybox, the modules stage 1 loads (in the
 * order `modules.dep` implies) and the stage-1 `/init`. The listing is pure
 * (tested without booting); `buildInitramfs` stages it and packs it with
 * `cpio -o -H newc` (the format the kernel unpacks), uncompressed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VmError } from './errors.js';
import { stage1Init } from './guest-scripts.js';
import { BOOT_MODULES, NET_MODULES, loadOrder, parseModulesBuiltin, parseModulesDep } from './modules.js';

export const BUSYBOX = '/bin/busybox';

export type InitramfsEntry =
  | { path: string; kind: 'dir' }
  | { path: string; kind: 'file'; source: string; mode: number }
  | { path: string; kind: 'text'; text: string; mode: number };

export interface InitramfsSpec {
  release: string;
  modulesDir: string;
  /** Module names beyond BOOT_MODULES and NET_MODULES. */
  extraModules?: readonly string[];
  busybox?: string;
}

/** The module paths stage 1 loads, in order, read from the kernel's modules.dep. */
export function initramfsModules(spec: InitramfsSpec): string[] {
  const dep = parseModulesDep(readFileSync(join(spec.modulesDir, 'modules.dep'), 'utf8'));
  const builtinFile = join(spec.modulesDir, 'modules.builtin');
  const builtin = existsSync(builtinFile) ? parseModulesBuiltin(readFileSync(builtinFile, 'utf8')) : new Set<string>();
  return loadOrder(dep, [...BOOT_MODULES, ...NET_MODULES, ...(spec.extraModules ?? [])], builtin);
}

/** Everything that goes into the archive, directories before their contents. */
export function initramfsListing(spec: InitramfsSpec): InitramfsEntry[] {
  const modules = initramfsModules(spec);
  const entries: InitramfsEntry[] = [
    { path: 'bin', kind: 'dir' },
    { path: 'modules', kind: 'dir' },
    { path: 'bin/busybox', kind: 'file', source: spec.busybox ?? BUSYBOX, mode: 0o755 },
  ];
  const dirs = new Set<string>();
  for (const m of modules) {
    for (let d = dirname(m); d !== '.' && !dirs.has(d); d = dirname(d)) dirs.add(d);
  }
  for (const d of [...dirs].sort((a, b) => a.length - b.length || a.localeCompare(b))) {
    entries.push({ path: `modules/${d}`, kind: 'dir' });
  }
  for (const m of modules) entries.push({ path: `modules/${m}`, kind: 'file', source: join(spec.modulesDir, m), mode: 0o644 });
  entries.push({ path: 'init', kind: 'text', text: stage1Init({ modules, release: spec.release, hostModulesDir: spec.modulesDir }), mode: 0o755 });
  return entries;
}

/** True if the ELF file asks for a dynamic loader (PT_INTERP): a dynamic busybox cannot run as /init. */
export function isDynamicElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n < 64 || head.readUInt32BE(0) !== 0x7f454c46) return true;
    const phoff = Number(head.readBigUInt64LE(32));
    const phentsize = head.readUInt16LE(54);
    const phnum = head.readUInt16LE(56);
    for (let i = 0; i < phnum; i++) {
      const off = phoff + i * phentsize;
      if (off + 4 > n) break;
      if (head.readUInt32LE(off) === 3) return true; // PT_INTERP
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** Stage the listing in a temporary directory and pack it into `out` (atomically). */
export function buildInitramfs(entries: readonly InitramfsEntry[], out: string): void {
  const busybox = entries.find((e) => e.path === 'bin/busybox');
  if (busybox?.kind === 'file') {
    if (!existsSync(busybox.source)) throw new VmError(`${busybox.source} is missing: apt-get install busybox-static`);
    if (isDynamicElf(busybox.source)) throw new VmError(`${busybox.source} is not statically linked: apt-get install busybox-static`);
  }
  const stage = mkdtempSync(join(dirname(out), '.initramfs-'));
  try {
    for (const e of entries) {
      const p = join(stage, e.path);
      if (e.kind === 'dir') mkdirSync(p, { recursive: true });
      else {
        if (e.kind === 'file') copyFileSync(e.source, p);
        else writeFileSync(p, e.text);
        chmodSync(p, e.mode);
      }
    }
    const list = entries.map((e) => e.path).join('\n') + '\n';
    const tmp = `${out}.partial-${process.pid}`;
    const r = spawnSync('sh', ['-c', `cpio -o -H newc -R 0:0 --quiet > "$1"`, 'sh', tmp], { cwd: stage, input: list, encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      rmSync(tmp, { force: true });
      throw new VmError(`cpio failed: ${r.stderr || String(r.error)} (apt-get install cpio)`);
    }
    renameSync(tmp, out);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
