/**
 * `tunstack stat -i`, `--json` and `-s`, and `up --trace` + `explain --trace`,
 * against a live connection whose state the test knows: a kernel TCP client
 * in the namespace sends 3000 bytes to the echo service, reads them back and
 * holds the connection open while stat looks at it. Runs the BUILT CLI.
 */
import { DEFAULT_TCP_OPTIONS } from '../../src/tcp/api.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, linuxReady, type Netns } from '../linux/harness.js';
import { CLI, startUp, type UpProcess } from './up-process.js';
import type { ConnectionStat } from '../../src/run/stat-format.js';
import { DEFAULT_TCP_OPTIONS } from '../../src/tcp/api.js';

const ready = linuxReady('ping');
const HOST = '10.77.33.1';
const ADDR = '10.77.33.2';

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 15_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!ready)('tunstack stat -i / --json / -s and explain --trace on a live connection (linux)', () => {
  let ns: Netns;
  let up: UpProcess | undefined;
  let dir: string;
  let clientPort = 0;
  let stop: (() => void) | undefined;

  beforeAll(async () => {
    ns = await createNetns('tsst');
    dir = mkdtempSync(join(tmpdir(), 'tsst-'));
    up = await startUp(['--tun', 'tun0', '--netns', ns.name, '--host-addr', `${HOST}/24`, '--addr', ADDR, '--services', 'echo', '--trace', dir, '--log-level', 'warn']);
    const client = ns.spawn(process.execPath, [
      '-e',
      `const s = require('net').connect(7, '${ADDR}', () => { console.log('port ' + s.localPort); s.write(Buffer.alloc(3000, 120)); });
       let got = 0;
       s.on('data', (d) => { got += d.length; if (got === 3000) console.log('echoed'); });
       process.on('SIGUSR2', () => s.end());
       s.on('close', () => process.exit(0));
       setTimeout(() => s.destroy(), 20000);`,
    ]);
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no full echo within 5 s: ${out}`)), 5000);
      client.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('echoed')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    clientPort = Number(/port (\d+)/.exec(out)![1]);
    stop = () => void client.kill('SIGUSR2');
    // Let the kernel's (delayed) ACK of the echoed bytes arrive.
    await new Promise((r) => setTimeout(r, 300));
  });

  afterAll(async () => {
    try {
      await up?.stop();
    } finally {
      ns?.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stat -i --json: the connection with what the test sent and received, and Linux-negotiated options', () => {
    const r = cli(['stat', '--tun', 'tun0', '--netns', ns.name, '-i', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { connections } = JSON.parse(r.stdout) as { connections: ConnectionStat[] };
    const c = connections.find((x) => x.peer === `${HOST}:${clientPort}`);
    expect(c, r.stdout).toBeDefined();
    expect(c!.state).toBe('ESTABLISHED');
    expect(c!.local).toBe(`${ADDR}:7`);
    expect(c!.bytesReceived).toBe(3000);
    expect(c!.bytesAcked).toBe(3000); // echoed back and acknowledged by the kernel
    expect(c!.mss).toBe(1448); // 1500 - 40, minus 12 for the timestamps Linux negotiates
    expect(c!.timestamps).toBe(true);
    expect(c!.sackOk).toBe(true);
    expect(c!.sndWscale).toBeGreaterThan(0); // Linux always offers window scaling
    expect(c!.cc).toBe(DEFAULT_TCP_OPTIONS.congestionControl); // cubic, as Linux
    expect(c!.srttMs).toBeGreaterThan(0);
    expect(c!.rtoMs).toBeGreaterThanOrEqual(200);
    expect(c!.cwnd).toBeGreaterThanOrEqual(10);
    expect(c!.retransmits).toBe(0);
  });

  it('stat -i: the same in ss -tni layout', () => {
    const r = cli(['stat', '--tun', 'tun0', '--netns', ns.name, '-i']);
    expect(r.code, r.stderr).toBe(0);
    const esc = (s: string): string => s.replace(/\./g, '\\.');
    expect(r.stdout).toMatch(new RegExp(`^ESTAB\\s+0\\s+0\\s+${esc(ADDR)}:7\\s+${esc(HOST)}:${clientPort}\\n\\t ${DEFAULT_TCP_OPTIONS.congestionControl} sack ts wscale:\\d+,\\d+ rto:\\d+(\\.\\d+)? rtt:[\\d.]+/[\\d.]+ mss:1448 cwnd:\\d+ bytes_acked:3000 bytes_received:3000 `, 'm'));
  });

  it('stat -s: counter deltas since the previous -s', async () => {
    const first = cli(['stat', '--tun', 'tun0', '--netns', ns.name, '-s']);
    expect(first.stdout).toMatch(/^#counters since the stack started\n/);
    expect(first.stdout).toMatch(/^Tcp\.PassiveOpens\s+1$/m);
    await ns.exec('ping', ['-c', '2', '-i', '0.2', '-W', '2', ADDR], { timeoutMs: 10_000 });
    const r = cli(['stat', '--tun', 'tun0', '--netns', ns.name, '-s', '--json']);
    const { deltas, sinceMs } = JSON.parse(r.stdout) as { deltas: Record<string, number>; sinceMs: number };
    expect(deltas['Icmp.inEchos']).toBe(2);
    expect(deltas['Tcp.PassiveOpens']).toBeUndefined();
    expect(sinceMs).toBeGreaterThan(0);
  });

  it('up --trace wrote the connection trace; explain --trace prints its annotated ladder', async () => {
    stop?.();
    await new Promise((r) => setTimeout(r, 500));
    const file = readdirSync(dir).find((f) => f.endsWith(`-${HOST}_${clientPort}.jsonl`));
    expect(file, readdirSync(dir).join(' ')).toBeDefined();
    const r = cli(['explain', '--trace', join(dir, file!)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^live connection trace\n/);
    expect(r.stdout).toContain('[S] seq 0 win');
    expect(r.stdout).toContain('RFC 9293 §3.10.7.2: LISTEN: a SYN → remember it, send SYN,ACK');
    expect(r.stdout).toContain('SYN-RECEIVED → ESTABLISHED');
    expect(r.stdout).toMatch(/len 3000|len 1448/);
    expect(r.stdout).toContain('ESTABLISHED → CLOSE-WAIT');
  });
});
