/**
 * CI's VM smoke: boot the guest, and in it start tunstack in a namespace,
 * ping it, curl its HTTP service, and run a few conformance scripts in wire
 * mode with the VM's timing (scripts/vm-smoke.sh), all in one boot.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runInVm, vmReady } from './vm-harness.js';

const built = existsSync('dist/src/cli.js') && existsSync('build/Release/tunstack.node');
if (!built) console.warn('SKIP (vm smoke): missing dist/ or build/Release — run npm ci / npm run build first');

describe.skipIf(!vmReady() || !built)('VM smoke', () => {
  it('boots, pings and curls tunstack, and passes wire-mode scripts', async () => {
    // Two tunstack starts (up, then the wire agent) and 5 scripts under TCG: about 2 min at load 9.
    const r = await runInVm(['bash', 'scripts/vm-smoke.sh'], { timeoutMs: 540_000 });
    console.log(r.stdout);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/);
    expect(r.stdout).toMatch(/vm-smoke: curl got [1-9]\d* bytes/);
    expect(r.stdout).toMatch(/^# wire: 5 scripts, timing tolerance at least \d+ ms of script time, time scale \d+ \(inside npm run vm/m);
    expect(r.stdout).toMatch(/^5 passed, 0 failed, 0 skipped$/m);
  }, 600_000);
});
