/**
 * The README's two-command promise, second half of `npm install && npm start`:
 * scripts/demo.sh (what `npm start` runs after the build) starts the stack
 * in a namespace of its own, pings it, and prints what to try; every
 * suggestion that is not interactive is run here as printed and must work.
 * Ctrl-C (SIGINT) must then leave no namespace behind. Needs the built
 * dist/ (`npm test` builds first).
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { linuxReady } from './harness.js';

const TOOLS = ['ping', 'traceroute', 'curl', 'dig', 'socat'];
const ready = linuxReady(...TOOLS);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NS = `tsdemo${process.pid}`;

/** Suggestions that wait for a terminal (an endless ping, socat reading stdin) are not run. */
const interactive = (cmd: string): boolean => /ping [^-]*$|ping \S+$|socat - /.test(cmd) || cmd.includes('chromium');

function nsExists(): boolean {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').some((l) => l.split(' ')[0] === NS);
}

afterAll(() => {
  // Only if the demo failed to clean up (the test below fails then too).
  if (nsExists()) spawnSync('ip', ['netns', 'del', NS]);
});

describe.skipIf(!ready)('npm start (scripts/demo.sh) (linux)', () => {
  it('starts, pings, prints what to try — and each non-interactive suggestion works; Ctrl-C removes the namespace', async () => {
    const demo = spawn('bash', ['scripts/demo.sh', '--log-level', 'warn'], { cwd: ROOT, env: { ...process.env, TUNSTACK_NETNS: NS }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    demo.stdout.on('data', (d: Buffer) => (out += d.toString()));
    demo.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => demo.on('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 300 && !out.includes('Ctrl-C stops tunstack'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out, err).toContain('Ctrl-C stops tunstack and removes the namespace.');
      expect(out).toMatch(/3 packets transmitted, 3 received/);
      const suggestions = out
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.startsWith('ip netns exec') || l.startsWith('node dist/src/cli.js'))
        .map((l) => l.replace(/\s+#.*$/, ''));
      expect(suggestions.length).toBeGreaterThanOrEqual(12);
      const run = suggestions.filter((c) => !interactive(c));
      expect(run.length).toBeGreaterThanOrEqual(9);
      for (const cmd of run) {
        // chargen never ends: head closing the pipe is the way out (socat then fails on EPIPE), so
        // a pipe into head is judged by head's output; every other pipe by all its parts (pipefail).
        const intoHead = cmd.endsWith('| head');
        const r = spawnSync('bash', [...(intoHead ? [] : ['-o', 'pipefail']), '-c', cmd], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
        expect(r.status, `${cmd}\n${r.stdout.slice(0, 500)}\n${r.stderr.slice(0, 500)}`).toBe(0);
        if (intoHead) expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(10);
        if (cmd.includes('/gen/100000')) expect(r.stdout.trim()).toBe('100000');
        if (cmd.includes('dig ')) expect(r.stdout).toMatch(/tunstack\.test\.\s+\d+\s+IN\s+A\s+10\.77\.0\.2/);
        if (cmd.includes('explain handshake')) expect(r.stdout).toContain('SYN-SENT: SYN,ACK acknowledges our SYN → ESTABLISHED');
        if (cmd.includes(' stat ')) expect(r.stdout).toMatch(/ESTAB|Tcp|tcp/);
      }
      expect(nsExists()).toBe(true);
    } finally {
      if (demo.pid !== undefined && demo.exitCode === null) process.kill(-demo.pid, 'SIGINT');
    }
    await exited;
    for (let i = 0; i < 50 && nsExists(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(nsExists()).toBe(false);
  }, 120_000);
});
