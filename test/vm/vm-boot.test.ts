import { readdirSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runInVm, vmError, vmReady } from './vm-harness.js';

const leftovers = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith('tunstack-vm-'));

describe.skipIf(!vmReady())('npm run vm (boots QEMU)', () => {
  it('runs the command on another kernel, without outside network, and returns its status', async () => {
    const before = leftovers();
    const r = await runInVm(['sh', '-c', 'uname -r; ip -o link show | grep -vc ": lo:"; pwd; echo to-stderr >&2; exit 3']);
    const [guestKernel, nonLoopback, cwd] = r.stdout.trim().split('\n');
    console.log(`host kernel ${release()}, guest kernel ${guestKernel}; ${r.log.at(-1)}`);
    expect(r.status).toBe(3);
    expect(guestKernel).toMatch(/^\d+\.\d+/);
    expect(guestKernel).not.toBe(release());
    expect(nonLoopback).toBe('0'); // -nic none: the guest has only its loopback
    expect(cwd).toBe(process.cwd());
    expect(r.stderr).toBe('to-stderr\n');
    expect(leftovers()).toEqual(before);
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
