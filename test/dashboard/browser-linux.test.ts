/**
 * The dashboard in a real browser: `tunstack up` in a namespace this test
 * creates, and Debian's Chromium, driven headless by playwright-core, run
 * inside that namespace (browser-driver.mjs under `ip netns exec`). Checks
 * that the page loads, that the connection table lists the browser's own
 * connection, and that a chart has points after a download through the stack.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, linuxReady, type Netns } from '../linux/harness.js';
import { startUp, type UpProcess } from '../run/up-process.js';

const ready = linuxReady('/usr/bin/chromium');
const HOST = '10.77.34.1';
const ADDR = '10.77.34.2';
const DRIVER = fileURLToPath(new URL('./browser-driver.mjs', import.meta.url));
const BIG = 2 * 1024 * 1024;

describe.skipIf(!ready)('dashboard in Chromium inside the test namespace (linux)', () => {
  let ns: Netns;
  let up: UpProcess | undefined;
  let dir: string;

  beforeAll(async () => {
    ns = await createNetns('tsdb');
    dir = mkdtempSync(join(tmpdir(), 'tsdb-'));
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(BIG, 0x5a));
    up = await startUp(['--tun', 'tun0', '--netns', ns.name, '--host-addr', `${HOST}/24`, '--addr', ADDR, '--services', 'http', '--http-root', dir, '--log-level', 'warn']);
  });

  afterAll(async () => {
    try {
      await up?.stop();
    } finally {
      ns?.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads, lists its own connection, and charts a download', async () => {
    expect(up!.stdout()).toContain(`dashboard: http://${ADDR}/_tunstack/`);
    const profile = mkdtempSync(join(tmpdir(), 'tsdb-profile-'));
    try {
      const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, DRIVER, `http://${ADDR}`, '/big.bin', String(BIG), profile], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((resolve) => {
        const t = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 150_000);
        child.on('close', (c) => {
          clearTimeout(t);
          resolve(c);
        });
      });
      expect(code, err).toBe(0);
      const r = JSON.parse(out.trim().split('\n').pop()!) as {
        error?: string;
        status: number;
        title: string;
        me: { peer: string; state: string; text: string };
        counterGroups: string[];
        downloaded: number;
        downloadConnection: string;
        charts: Array<{ id: string; points: number; maxCwndKB: number; maxInFlightKB: number; maxSrtt: number }>;
        canvases: number;
        updates: number;
      };
      expect(r.error, err).toBeUndefined();
      expect(r.status).toBe(200);
      expect(r.title).toBe('tunstack dashboard');
      // The browser's own connection: from the kernel side of the TUN, established, marked as this page's.
      expect(r.me.peer).toMatch(new RegExp(`^${HOST.replace(/\./g, '\\.')}:\\d+$`));
      expect(r.me.state).toBe('ESTABLISHED');
      expect(r.me.text).toContain('(this page)');
      expect(r.counterGroups).toEqual(expect.arrayContaining(['Ip', 'Tcp']));
      expect(r.downloaded).toBe(BIG);
      // The download's connection has a chart with points: cwnd at least the initial window, an RTT.
      const chart = r.charts.find((c) => c.id === r.downloadConnection);
      expect(chart, JSON.stringify(r.charts)).toBeDefined();
      expect(chart!.points).toBeGreaterThanOrEqual(3);
      expect(chart!.maxCwndKB).toBeGreaterThanOrEqual(14);
      expect(chart!.maxSrtt).toBeGreaterThan(0);
      expect(r.canvases).toBeGreaterThan(0);
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  }, 180_000);
});

describe.skipIf(!linuxReady('curl'))('up --dashboard off (linux)', () => {
  it('serves no /_tunstack/ and announces no dashboard; the site itself still works', async () => {
    const ns = await createNetns('tsdo');
    let up: UpProcess | undefined;
    try {
      up = await startUp(['--tun', 'tun0', '--netns', ns.name, '--host-addr', '10.77.35.1/24', '--addr', '10.77.35.2', '--services', 'http', '--dashboard', 'off', '--log-level', 'warn']);
      expect(up.stdout()).not.toContain('dashboard');
      const code = async (path: string): Promise<string> =>
        (await ns.exec('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10', `http://10.77.35.2${path}`], { timeoutMs: 15_000 })).stdout;
      expect(await code('/_tunstack/')).toBe('404');
      expect(await code('/')).toBe('200');
    } finally {
      await up?.stop();
      ns.destroy();
    }
  });
});
