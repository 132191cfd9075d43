import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BOOT_MODULES, NET_MODULES, loadOrder, moduleName, parseModulesBuiltin, parseModulesDep } from '../../src/vm/modules.js';

// An excerpt of linux-image-6.1.0-57-amd64's modules.dep (depmod output), unchanged.
const DEP = parseModulesDep(readFileSync(new URL('./fixtures/modules.dep', import.meta.url), 'utf8'));
const names = (paths: string[]): string[] => paths.map(moduleName);

describe('modules.dep load order', () => {
  it('names modules the way the kernel does', () => {
    expect(moduleName('kernel/net/9p/9pnet_virtio.ko')).toBe('9pnet_virtio');
    expect(moduleName('kernel/drivers/x/foo-bar.ko.xz')).toBe('foo_bar');
  });

  it('loads dependencies first, reading the last-first dependency list backwards', () => {
    // 9p.ko: 9pnet.ko fscache.ko netfs.ko  →  netfs, fscache, 9pnet, 9p
    expect(names(loadOrder(DEP, ['9p']))).toEqual(['netfs', 'fscache', '9pnet', '9p']);
    expect(names(loadOrder(DEP, ['virtio_pci']))).toEqual(['virtio_ring', 'virtio', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev', 'virtio_pci']);
  });

  it('gives the boot + network order the initramfs loads, each module once', () => {
    const order = names(loadOrder(DEP, [...BOOT_MODULES, ...NET_MODULES]));
    expect(order).toEqual([
      'virtio_ring', 'virtio', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev', 'virtio_pci',
      '9pnet', '9pnet_virtio', 'netfs', 'fscache', '9p', 'overlay', 'virtio_console',
      'tun', 'veth', 'sch_netem', 'ifb', 'sch_ingress', 'cls_matchall', 'act_mirred',
    ]);
    // Whatever the order, every module comes after everything it depends on.
    const pos = new Map(loadOrder(DEP, [...BOOT_MODULES, ...NET_MODULES]).map((p, i) => [p, i]));
    for (const [path, i] of pos) {
      for (const d of DEP.get(moduleName(path))?.deps ?? []) expect(pos.get(d)).toBeLessThan(i);
    }
  });

  it('names a missing module, and skips a built-in one', () => {
    expect(() => loadOrder(DEP, ['sch_cake'])).toThrow(/sch_cake/);
    const builtin = parseModulesBuiltin('kernel/net/sched/sch_cake.ko\n');
    expect(names(loadOrder(DEP, ['sch_cake', 'tun'], builtin))).toEqual(['tun']);
  });

  it('ignores lines that are not entries', () => {
    expect(parseModulesDep('\n# nothing\nkernel/a.ko:\n').size).toBe(1);
  });
});
