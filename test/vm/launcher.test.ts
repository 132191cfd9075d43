import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KVM_PROBE_MS, planAttempts, readVerdict, verdictKey, writeVerdict } from '../../src/vm/accel.js';
import { VmError } from '../../src/vm/errors.js';
import { jobScript, parseControl, shq, stage1Init, UP_MARKER } from '../../src/vm/guest-scripts.js';
import { initramfsListing, isDynamicElf } from '../../src/vm/initramfs.js';
import { ensureKernel, parseMetapackageDepends } from '../../src/vm/kernel.js';
import { qemuVersion } from '../../src/vm/prepare.js';
import { guestEnv, parseVmArgs } from '../../src/vm/main.js';
import { qemuArgs, shares, type QemuSpec } from '../../src/vm/qemu-args.js';

const tmp = mkdtempSync(join(tmpdir(), 'tsvm-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const spec = (accel: 'kvm' | 'tcg'): QemuSpec => ({
  accel, cpus: 2, memoryMiB: 1024, kernel: '/k/vmlinuz', initramfs: '/k/initrd.cpio', jobDir: '/tmp/j/job', consoleLog: '/tmp/j/console.log',
  sockets: { out: '/tmp/j/out.sock', err: '/tmp/j/err.sock', ctl: '/tmp/j/ctl.sock' },
});
const after = (args: string[], flag: string): string[] => args.flatMap((a, i) => (args[i - 1] === flag ? [a] : []));

describe('QEMU command line', () => {
  it('has no network to the outside and never reboots', () => {
    const a = qemuArgs(spec('tcg'));
    expect(after(a, '-nic')).toEqual(['none']);
    expect(a).toContain('-nodefaults');
    expect(a).toContain('-no-reboot');
    expect(a.join(' ')).not.toMatch(/-netdev|user,|hostfwd/);
  });

  it('shares the host root read-only and the job directory, both with multidevs=remap', () => {
    const fsdev = after(qemuArgs(spec('tcg')), '-fsdev');
    expect(fsdev).toEqual([
      'local,id=fs0,path=/,security_model=none,readonly=on,multidevs=remap',
      'local,id=fs1,path=/tmp/j/job,security_model=none,readonly=on,multidevs=remap',
    ]);
    expect(after(qemuArgs(spec('tcg')), '-device').filter((d) => d.startsWith('virtio-9p-pci'))).toEqual([
      'virtio-9p-pci,fsdev=fs0,mount_tag=hostroot',
      'virtio-9p-pci,fsdev=fs1,mount_tag=tsvmjob',
    ]);
    expect(shares('/x').every((s) => s.readonly)).toBe(true);
  });

  it('picks the accelerator, CPU model, CPUs and memory', () => {
    const t = qemuArgs(spec('tcg'));
    expect(after(t, '-accel')).toEqual(['tcg,thread=multi']);
    expect(after(t, '-smp')).toEqual(['2']);
    expect(after(t, '-m')).toEqual(['1024M']);
    const k = qemuArgs(spec('kvm'));
    expect(after(k, '-accel')).toEqual(['kvm']);
    expect(after(k, '-cpu')).toEqual(['host']);
  });

  it('wires out/err/ctl ports to the launcher sockets and the console to a file', () => {
    const a = qemuArgs(spec('tcg'));
    expect(after(a, '-chardev')).toEqual(['socket,id=out,path=/tmp/j/out.sock', 'socket,id=err,path=/tmp/j/err.sock', 'socket,id=ctl,path=/tmp/j/ctl.sock']);
    expect(after(a, '-serial')).toEqual(['file:/tmp/j/console.log']);
    expect(after(a, '-append')[0]).toMatch(/console=ttyS0.*panic=-1/);
  });
});

describe('accelerator choice and fallback', () => {
  it('tcg and kvm are taken as asked, without fallback', () => {
    expect(planAttempts('tcg', { kvmDevice: true }, 90_000)).toEqual([{ accel: 'tcg', bootTimeoutMs: 90_000, probe: false }]);
    expect(planAttempts('kvm', { kvmDevice: false }, 90_000)).toEqual([{ accel: 'kvm', bootTimeoutMs: 90_000, probe: false }]);
  });

  it('auto probes KVM briefly, then falls back to TCG', () => {
    expect(planAttempts('auto', { kvmDevice: true }, 90_000)).toEqual([
      { accel: 'kvm', bootTimeoutMs: KVM_PROBE_MS, probe: true },
      { accel: 'tcg', bootTimeoutMs: 90_000, probe: false },
    ]);
  });

  it('auto goes straight to TCG without /dev/kvm or after a failed probe', () => {
    expect(planAttempts('auto', { kvmDevice: false }, 90_000).map((a) => a.accel)).toEqual(['tcg']);
    expect(planAttempts('auto', { kvmDevice: true, kvmVerdict: 'broken' }, 90_000).map((a) => a.accel)).toEqual(['tcg']);
    expect(planAttempts('auto', { kvmDevice: true, kvmVerdict: 'works' }, 90_000)[0]).toEqual({ accel: 'kvm', bootTimeoutMs: 90_000, probe: true });
  });

  it('remembers a verdict per QEMU version and host kernel', () => {
    const dir = join(tmp, 'verdict');
    mkdirSync(dir);
    const key = verdictKey('QEMU emulator version 7.2.22\n', '6.18.44');
    expect(readVerdict(dir, key)).toBeUndefined();
    writeVerdict(dir, key, 'broken', 'hung');
    expect(readVerdict(dir, key)).toBe('broken');
    expect(readVerdict(dir, verdictKey('QEMU emulator version 8.0', '6.18.44'))).toBeUndefined();
    writeFileSync(join(dir, 'kvm-probe.json'), '{garbage');
    expect(readVerdict(dir, key)).toBeUndefined();
  });
});

describe('initramfs listing', () => {
  const modulesDir = join(tmp, 'lib/modules/6.1.0-test');
  mkdirSync(modulesDir, { recursive: true });
  copyFileSync(new URL('./fixtures/modules.dep', import.meta.url), join(modulesDir, 'modules.dep'));
  const listing = initramfsListing({ release: '6.1.0-test', modulesDir, busybox: '/bin/busybox' });

  it('holds busybox, every module under its modules.dep path, and /init', () => {
    expect(listing.find((e) => e.path === 'bin/busybox')).toMatchObject({ kind: 'file', source: '/bin/busybox', mode: 0o755 });
    const mods = listing.filter((e) => e.kind === 'file' && e.path.startsWith('modules/'));
    expect(mods).toHaveLength(19);
    expect(mods[0]).toMatchObject({ path: 'modules/kernel/drivers/virtio/virtio_ring.ko', source: join(modulesDir, 'kernel/drivers/virtio/virtio_ring.ko') });
    expect(listing.at(-1)).toMatchObject({ path: 'init', kind: 'text', mode: 0o755 });
  });

  it('lists every directory before what it contains', () => {
    const seen = new Set<string>(['.']);
    for (const e of listing) {
      const parent = e.path.includes('/') ? e.path.slice(0, e.path.lastIndexOf('/')) : '.';
      expect(seen.has(parent), `${e.path} before its directory`).toBe(true);
      if (e.kind === 'dir') seen.add(e.path);
    }
  });

  it('/init loads the modules in load order, then mounts the 9p root under an overlay', () => {
    const init = listing.at(-1);
    const text = init?.kind === 'text' ? init.text : '';
    const loads = [...text.matchAll(/^load '\/modules\/(.*)'( .*)?$/gm)].map((m) => m[1]);
    const files = listing.filter((e) => e.kind === 'file' && e.path.startsWith('modules/')).map((e) => e.path.slice('modules/'.length));
    expect(loads).toEqual(files);
    // ifb makes no devices of its own (else the guest has ifb0 and ifb1 beside lo).
    expect(text).toMatch(/^load '\/modules\/kernel\/drivers\/net\/ifb\.ko' numifbs=0$/m);
    expect(text).toMatch(/mount -t 9p -o trans=virtio,version=9p2000.L,ro.* hostroot \/ro/);
    expect(text).toMatch(/mount -t overlay -o lowerdir=\/ro,upperdir=\/rw\/upper,workdir=\/rw\/work/);
    expect(text).toContain(`mount --bind /newroot${modulesDir} /newroot/lib/modules/6.1.0-test`);
    expect(text).toMatch(/exec switch_root \/newroot \/bin\/sh \/run\/tunstack-vm\/job.sh/);
  });

  it('is valid shell, and so is the job script', () => {
    const init = stage1Init({ modules: ['kernel/a.ko'], release: 'r', hostModulesDir: '/m' });
    expect(spawnSync('sh', ['-n'], { input: init }).status).toBe(0);
    const job = jobScript({ argv: ['echo', "it's", '$HOME'], cwd: '/work/x y', env: { PATH: '/bin', A: "b'c" } });
    expect(spawnSync('sh', ['-n'], { input: job }).status).toBe(0);
    expect(job).toContain(`env -i PATH='/bin' A='b'\\''c' 'echo' 'it'\\''s' '$HOME'`);
    expect(job).toContain(`cd '/work/x y'`);
  });

  it('tells a static busybox from a dynamic binary', () => {
    expect(isDynamicElf('/bin/busybox')).toBe(false);
    expect(isDynamicElf(process.execPath)).toBe(true);
  });
});

describe('launcher pieces', () => {
  it('quotes for the shell', () => {
    const r = spawnSync('sh', ['-c', `printf '%s|' ${shq("a 'b' $c")} ${shq('')}`], { encoding: 'utf8' });
    expect(r.stdout).toBe("a 'b' $c||");
  });

  it('reads the control port', () => {
    expect(parseControl('')).toEqual({ up: false });
    expect(parseControl(`${UP_MARKER}\n`)).toEqual({ up: true });
    expect(parseControl(`${UP_MARKER}\nexit 42\n`)).toEqual({ up: true, status: 42 });
  });

  it('names the Debian package when QEMU is missing, and refuses a bad kernel package name', () => {
    expect(() => qemuVersion('/nonexistent/qemu-system-x86_64')).toThrow(/apt-get install qemu-system-x86/);
    expect(() => ensureKernel(tmp, 'linux-image-$(reboot)', () => undefined)).toThrow(/not a linux-image-\* package name/);
  });

  it('finds the kernel behind linux-image-amd64', () => {
    expect(parseMetapackageDepends('linux-image-amd64\n  Depends: linux-image-6.1.0-57-amd64\n')).toBe('linux-image-6.1.0-57-amd64');
    expect(parseMetapackageDepends('linux-image-amd64\n')).toBeUndefined();
  });

  it('parses options up to the command, keeping the command`s own options', () => {
    const c = parseVmArgs(['--accel', 'tcg', '--cpus', '1', '--memory', '512', '--env', 'A=b=c', 'npm', 'run', 'conformance', '--', '--wire']);
    expect(c).toMatchObject({ accel: 'tcg', cpus: 1, memoryMiB: 512, env: { A: 'b=c' }, argv: ['npm', 'run', 'conformance', '--', '--wire'] });
    expect(parseVmArgs(['--', '--weird-command']).argv).toEqual(['--weird-command']);
    expect(parseVmArgs(['--prepare']).prepareOnly).toBe(true);
  });

  it('rejects misuse with status 2 and says what is wrong', () => {
    const err = (argv: string[]): VmError => {
      try {
        parseVmArgs(argv);
      } catch (e) {
        return e as VmError;
      }
      throw new Error('no error');
    };
    expect(err([]).message).toMatch(/no COMMAND/);
    expect(err(['--accel', 'hvf', 'true']).message).toMatch(/auto, kvm or tcg/);
    expect(err(['--cpus', 'x', 'true']).message).toMatch(/--cpus needs a whole number/);
    expect(err(['--env', 'bad', 'true']).message).toMatch(/NAME=VALUE/);
    expect(err(['--frobnicate', 'true']).status).toBe(2);
  });

  it('passes a small allowlist of the environment, plus --env and TUNSTACK_VM=1', () => {
    const env = guestEnv({ PATH: '/usr/bin', SECRET_TOKEN: 'x', NODE_OPTIONS: '--x', npm_lifecycle_event: 'vm' }, { FOO: 'bar' });
    expect(env).toEqual({ PATH: '/usr/bin', NODE_OPTIONS: '--x', TUNSTACK_VM: '1', FOO: 'bar' });
  });
});
