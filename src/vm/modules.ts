/**
 * Kernel-module load order for the VM's initramfs, read from the guest
 * kernel's `modules.dep` (written by `depmod`). busybox `insmod` resolves no
 * dependencies, so the initramfs loads every module after the ones it needs.
 *
 * `modules.dep` lines are `path/to/mod.ko: dep1.ko dep2.ko ...` where the
 * dependencies are listed last-needed-first (kmod's depmod writes them in
 * reverse load order, modprobe loads them from the end of the list), so a
 * module's load sequence is its dependency list reversed, then itself.
 */

/** The modules the guest needs to mount its root: virtio PCI transport, 9p over virtio, overlayfs. */
export const BOOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay', 'virtio_console'] as const;

/**
 * The networking the stack and bench:wan use: TUN, veth pairs, netem, and
 * ifb + ingress + matchall + mirred so netem can shape a TUN's ingress.
 */
export const NET_MODULES = ['tun', 'veth', 'sch_netem', 'ifb', 'sch_ingress', 'cls_matchall', 'act_mirred'] as const;

/**
 * Parameters stage 1 passes to `insmod`. `ifb` creates `numifbs` devices when
 * it loads (2 by default: the guest's unexplained ifb0 and ifb1 beside lo);
 * with 0 the guest has only lo, and whoever shapes a TUN's ingress makes its
 * own with `ip link add NAME type ifb` (the rtnl_link_ops ifb registers).
 */
export const MODULE_PARAMS: Readonly<Record<string, string>> = { ifb: 'numifbs=0' };

/** Parsed `modules.dep`: module name → its path and its dependency paths (file order). */
export type ModuleDep = Map<string, { path: string; deps: string[] }>;

/** `kernel/net/sched/sch_netem.ko` (or `.ko.xz`) → `sch_netem`; kernel names use `_` for `-`. */
export function moduleName(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.replace(/\.ko(\.(xz|gz|zst))?$/, '').replace(/-/g, '_');
}

export function parseModulesDep(text: string): ModuleDep {
  const out: ModuleDep = new Map();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const path = line.slice(0, colon).trim();
    const deps = line.slice(colon + 1).trim().split(/\s+/).filter((d) => d.length > 0);
    out.set(moduleName(path), { path, deps });
  }
  return out;
}

/**
 * Paths (relative to /lib/modules/VERSION) in a valid load order for `wanted`:
 * each module after all of its dependencies, each path once, `wanted` order
 * kept otherwise. Throws naming the module when one is missing (a kernel
 * built without it, or with it built in: then it needs no loading, and the
 * caller passes `builtin` to skip it).
 */
export function loadOrder(dep: ModuleDep, wanted: readonly string[], builtin: ReadonlySet<string> = new Set()): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const add = (path: string): void => {
    if (!seen.has(path)) {
      seen.add(path);
      order.push(path);
    }
  };
  for (const name of wanted) {
    const entry = dep.get(name.replace(/-/g, '_'));
    if (!entry) {
      if (builtin.has(name.replace(/-/g, '_'))) continue;
      throw new Error(`kernel module '${name}' is neither in modules.dep nor built in`);
    }
    // modules.dep lists each module's full dependency closure, last-needed first.
    for (const d of [...entry.deps].reverse()) add(d);
    add(entry.path);
  }
  return order;
}

/** Names of built-in modules from `modules.builtin` (one path per line). */
export function parseModulesBuiltin(text: string): Set<string> {
  return new Set(text.split('\n').filter((l) => l.trim().length > 0).map((l) => moduleName(l.trim())));
}
