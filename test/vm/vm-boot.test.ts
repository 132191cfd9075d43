import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { release, tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runInVm, vmError, vmReady } from './vm-harness.js';


describe.skipIf(!vmReady())('npm run vm (boots QEMU)', () => {
  it('runs the command on another kernel, without outside network, and returns its status', async () => {
    const tmpRoot = mkdtempSync(join(tmpdir(), 'tsvm-boot-'));
    const r = await runInVm(['sh', '-c', 'uname -r; n=0; for d in /sys/class/net/*; do [ -e $d/device ] && n=$((n+1)); done; echo $n; pwd; echo $(ls /sys/class/net); echo to-stderr >&2; exit 3'], { tmpRoot });
    const [guestKernel, nics, cwd, links] = r.stdout.trim().split('\n');
    console.log(`host kernel ${release()}, guest kernel ${guestKernel}; ${r.log.at(-1)}`);
    expect(r.status).toBe(3);
    expect(guestKernel).toMatch(/^\d+\.\d+/);
    expect(guestKernel).not.toBe(release());
    expect(nics).toBe('0'); // -nic none: no network device backed by hardware
    expect(links.trim()).toBe('lo'); // and no software ones either (ifb loads with numifbs=0)
    expect(cwd).toBe(process.cwd());
    expect(r.stderr).toBe('to-stderr\n');
    expect(readdirSync(tmpRoot)).toEqual([]); // job share, sockets and console log removed
    rmSync(tmpRoot, { recursive: true });
  }, 300_000);

  it('stops a command that runs over its wall-clock limit', async () => {
    const e = await vmError(runInVm(['sleep', '600'], { timeoutMs: 3_000 }));
    expect(e.status).toBe(124);
    expect(e.message).toMatch(/wall-clock limit of 3 s/);
  }, 300_000);

  it('gives up on a guest that does not come up in time, showing the console', async () => {
    const e = await vmError(runInVm(['true'], { accel: 'tcg', bootTimeoutMs: 1_000 }));
    expect(e.status).toBe(3);
    expect(e.message).toMatch(/did not come up within 1 s[\s\S]*console's last lines/);
  }, 60_000);
});
