/** The shared Linux harness (test/linux/harness.ts) cleans up after itself. */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { canRunLinuxTests, createNetns, linuxReady, withNetns } from '../linux/harness.js';

const READY = linuxReady();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('canRunLinuxTests', () => {
  it('returns ok or a reason, never throws', () => {
    const c = canRunLinuxTests();
    if (!c.ok) expect(c.reason.length).toBeGreaterThan(0);
    else expect(c).toEqual({ ok: true });
  });
});

describe.skipIf(!READY)('netns harness (linux)', () => {
  it('creates a uniquely named namespace with lo up, runs commands inside, and deletes it', async () => {
    let name = '';
    await withNetns('tsfd', async (ns) => {
      name = ns.name;
      expect(name).toMatch(new RegExp(`^tsfd${process.pid}n\\d+$`));
      expect(existsSync(`/var/run/netns/${name}`)).toBe(true);
      const r = await ns.exec('ip', ['-o', 'link', 'show'], { check: true });
      expect(r.stdout.trim().split('\n').length).toBe(1); // only lo: a fresh namespace
      expect(r.stdout).toMatch(/lo:.*UP/);
    });
    expect(existsSync(`/var/run/netns/${name}`)).toBe(false);
  });

  it('deletes the namespace and kills spawned processes by PID when the body throws', async () => {
    let name = '';
    let pid = 0;
    await expect(
      withNetns('tsfd', async (ns) => {
        name = ns.name;
        const child = ns.spawn('sleep', ['30']);
        pid = child.pid!;
        await new Promise((r) => setTimeout(r, 100));
        expect(alive(pid)).toBe(true);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(`/var/run/netns/${name}`)).toBe(false);
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid)).toBe(false);
  });

  it('times out a hung command and reports it', async () => {
    const ns = await createNetns('tsfd');
    try {
      const r = await ns.exec('sleep', ['10'], { timeoutMs: 200 });
      expect(r.timedOut).toBe(true);
      await expect(ns.exec('false', [], { check: true })).rejects.toThrow(/failed/);
    } finally {
      ns.destroy();
    }
  });
});
