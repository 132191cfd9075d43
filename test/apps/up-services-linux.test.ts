/**
 * The built `tunstack up` with the services' flags, in a namespace this test
 * creates: --tls-cert/--tls-key are served (the printed fingerprint is the
 * file's; curl --cacert verifies), --hostname and repeated --dns-record are
 * answered by dig, and the default service list includes https and dns.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withNetns, linuxReady } from '../linux/harness.js';
import { CLI, startUp } from '../run/up-process.js';
import { makeSelfSigned } from '../../src/apps/tls-cert.js';

const ready = linuxReady();

describe.skipIf(!ready)('tunstack up with the service flags (linux)', () => {
  it('serves --tls-cert/--tls-key, prints their fingerprint, answers --hostname and --dns-record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunstack-upsvc-'));
    try {
      const creds = await makeSelfSigned('box.test', ['10.77.44.2']);
      writeFileSync(join(dir, 'cert.pem'), creds.cert);
      writeFileSync(join(dir, 'key.pem'), creds.key);
      await withNetns('tsups', async (ns) => {
        const up = await startUp([
          '--netns', ns.name, '--host-addr', '10.77.44.1/24', '--addr', '10.77.44.2', '--log-level', 'warn',
          '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem'),
          '--hostname', 'box.test', '--dns-record', 'multi.test=10.77.44.7', '--dns-record', 'multi.test=10.77.44.8',
        ]);
        try {
          expect(up.stdout()).toMatch(/services: .*https tcp\/443.*dns udp\/53\+tcp\/53 \(box\.test\)/);
          expect(up.stdout()).toContain(`https certificate from ${join(dir, 'cert.pem')}, SHA-256 ${creds.fingerprint256}`);
          const c = await ns.exec('curl', ['-sS', '--max-time', '10', '--cacert', join(dir, 'cert.pem'), '--resolve', 'box.test:443:10.77.44.2', 'https://box.test/'], { timeoutMs: 15_000 });
          expect(c.stderr).toBe('');
          expect(c.stdout).toContain('<h1>tunstack</h1>');
          const d = await ns.exec('dig', ['@10.77.44.2', '+short', 'box.test'], { timeoutMs: 15_000 });
          expect(d.stdout.trim()).toBe('10.77.44.2');
          const m = await ns.exec('dig', ['@10.77.44.2', '+short', 'multi.test'], { timeoutMs: 15_000 });
          expect(m.stdout.trim().split('\n').sort()).toEqual(['10.77.44.7', '10.77.44.8']);
          const x = await ns.exec('dig', ['@10.77.44.2', '+short', '-x', '10.77.44.8'], { timeoutMs: 15_000 });
          expect(x.stdout.trim()).toBe('multi.test.');
          await ns.exec('dig', ['@10.77.44.2', '+tries=1', 'nope.test'], { timeoutMs: 15_000 });
          // tunstack stat shows the DNS service's counters after the stack's own.
          const stat = await ns.exec(process.execPath, [CLI, 'stat', '--netns', ns.name, '--tun', 'tun0'], { timeoutMs: 15_000 });
          expect(stat.stdout).toMatch(/^Dns:\n(    \d+ \w+\n)*    4 udpQueries\n/m);
          expect(stat.stdout).toMatch(/^    1 nxdomain$/m);
          expect(stat.stdout).toMatch(/State\s+Recv-Q/);
        } finally {
          expect(await up.stop()).toBe(0);
        }
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
