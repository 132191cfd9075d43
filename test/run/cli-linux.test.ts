/**
 * `tunstack up --pcap` and `tunstack stat` against a running stack on a real
 * TUN, through the BUILT command (dist/src/cli.js; build first with
 * `npx tsc -p .`). The namespace is created and always removed by this test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, linuxReady, type Netns } from '../linux/harness.js';
import { CLI, startUp, type UpProcess } from './up-process.js';

const ready = linuxReady('ping', 'tshark');
const HOST = '10.77.32.1';
const ADDR = '10.77.32.2';

function tunstackStat(ns: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'stat', '--tun', 'tun0', '--netns', ns], { encoding: 'utf8', timeout: 10_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!ready)('tunstack up --pcap and tunstack stat (linux)', () => {
  let ns: Netns;
  let up: UpProcess | undefined;
  let dir: string;
  let pcap: string;

  beforeAll(async () => {
    ns = await createNetns('tsfd');
    dir = mkdtempSync(join(tmpdir(), 'tsfd-'));
    pcap = join(dir, 'up.pcap');
    up = await startUp([
      '--tun', 'tun0', '--netns', ns.name, '--host-addr', `${HOST}/24`, '--addr', ADDR,
      '--services', 'echo', '--pcap', pcap, '--log-level', 'warn',
    ]);
  });

  afterAll(async () => {
    try {
      await up?.stop();
    } finally {
      ns?.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stat prints the counters (netstat -s style) and the connection table (ss -tan style) with a live connection', async () => {
    await ns.exec('ping', ['-c', '2', '-i', '0.2', '-W', '2', ADDR], { timeoutMs: 10_000 });
    // One TCP client held open across the stat call (a single process, killed by PID by the harness).
    const client = ns.spawn(process.execPath, [
      '-e',
      `const s = require('net').connect(7, '${ADDR}', () => { s.write('hold'); });
       s.on('data', () => console.log('echoed'));
       setTimeout(() => s.destroy(), 8000);`,
    ]);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no echo from the stack within 5 s')), 5000);
      client.stdout!.on('data', () => {
        clearTimeout(t);
        resolve();
      });
    });
    const r = tunstackStat(ns.name);
    client.kill('SIGKILL');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Link:\n(?: {4}\d+ \w+\n)*? {4}\d+ rxPackets\n/); // the TUN device's own counters first
    expect(r.stdout).toMatch(/^Ip:\n/m);
    expect(r.stdout).toMatch(/^Icmp:\n(?: {4}\d+ \w+\n)*? {4}\d+ inEchos\n/m);
    expect(Number(/(\d+) inEchos/.exec(r.stdout)![1])).toBeGreaterThanOrEqual(2);
    expect(r.stdout).toMatch(/^Tcp:\n/m);
    expect(r.stdout).toMatch(/^State\s+Recv-Q\s+Send-Q\s+Local Address:Port\s+Peer Address:Port$/m);
    expect(r.stdout).toMatch(new RegExp(`^LISTEN\\s+0\\s+0\\s+${ADDR.replace(/\./g, '\\.')}:7\\s+0\\.0\\.0\\.0:\\*$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^ESTAB\\s+\\d+\\s+\\d+\\s+${ADDR.replace(/\./g, '\\.')}:7\\s+${HOST.replace(/\./g, '\\.')}:\\d+$`, 'm'));
  });

  it('--pcap writes a capture tshark reads, with the kernel ping and our reply', async () => {
    await ns.exec('ping', ['-c', '3', '-i', '0.2', '-W', '2', '-p', '7473666431', ADDR], { timeoutMs: 10_000 });
    const code = await up!.stop();
    up = undefined;
    expect(code).toBe(0);
    expect(existsSync(pcap)).toBe(true);
    const t = spawnSync('tshark', ['-r', pcap, '-n', '-Y', 'icmp', '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'icmp.type'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(t.status, t.stderr).toBe(0);
    const rows = t.stdout.trim().split('\n');
    expect(rows).toContain(`${HOST}\t${ADDR}\t8`);
    expect(rows).toContain(`${ADDR}\t${HOST}\t0`);
    expect(rows.filter((l) => l.endsWith('\t0')).length).toBeGreaterThanOrEqual(5); // readiness ping + 2 + 3, all answered
  });
});
