/**
 * Offloads over a real TUN (IFF_VNET_HDR + TUNSETOFFLOAD): 64 MiB each way
 * between the stack and kernel TCP, sha256-checked, with offloads on (the
 * link's counters must show GSO super-packets in both directions: the
 * kernel's TSO super-packets coming up, ours going down) and off (none), and
 * a device whose TUNSETOFFLOAD request the kernel refuses falls back to no
 * offload and says so. Everything lives in namespaces the test creates and
 * removes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, linuxReady, withNetns, type Netns } from './harness.js';
import { Stack } from '../../src/stack.js';
import { TunLink } from '../../src/link/tun.js';
import { TUN_F_CSUM, TUN_F_TSO4 } from '../../src/link/native.js';

const ready = linuxReady();
const MiB = 1024 * 1024;
const N = 64 * MiB;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

for (const offload of ['on', 'off'] as const) {
  describe.skipIf(!ready)(`64 MiB each way over a real TUN, --offload ${offload} (linux)`, () => {
    const HOST = offload === 'on' ? '10.77.21.1' : '10.77.22.1';
    const ADDR = offload === 'on' ? '10.77.21.2' : '10.77.22.2';
    let ns: Netns;
    let link: TunLink;
    let stack: Stack;
    let root: string;
    let data: Buffer;
    let file: string;

    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), 'tunstack-offload-'));
      data = randomBytes(N);
      file = join(root, 'data.bin');
      writeFileSync(file, data);
      ns = await createNetns('tsof');
      link = TunLink.open({ name: 'tun0', netns: ns.name, mtu: 1500, addr: HOST, prefixLen: 24, up: true, offload });
      stack = new Stack({ link, addr: ADDR, tcp: { rcvBuf: 1 * MiB, sndBuf: 1 * MiB } });
    });

    afterAll(async () => {
      try {
        if (link) console.log(`offload ${offload}: ${link.offloadNote || 'plain TUN'}; link counters ${JSON.stringify(link.counters)}`);
        await stack?.close();
      } finally {
        ns?.destroy();
        if (root) rmSync(root, { recursive: true, force: true });
      }
    });

    it('reports what it asked the kernel for', () => {
      if (offload === 'on') {
        expect(link.offloadNote).toMatch(/^offload on: IFF_VNET_HDR/);
        expect(link.caps).toMatchObject({ txChecksumOffload: true, gsoMaxSize: 65535, rxChecksumVerified: true });
      } else {
        // A plain TUN: the addon finishes TCP checksums and cuts super-packets in C (native/checksum.h, soft-gso.h).
        expect(link.caps).toMatchObject({ txChecksumOffload: true, gsoMaxSize: 65535, rxChecksumVerified: false });
      }
    });

    it('download: the stack sends 64 MiB, a kernel client checks its sha256', async () => {
      const server = stack.createServer((s) => s.end(data));
      await new Promise<void>((r) => server.listen(5001, r));
      const before = link.counters.txGsoPackets;
      const t0 = performance.now();
      const r = await ns.exec('sh', ['-c', `socat -u TCP:${ADDR}:5001 - | sha256sum`], { timeoutMs: 30_000 });
      const ms = performance.now() - t0;
      console.log(`offload ${offload}: download 64 MiB in ${ms.toFixed(0)} ms (${((N * 8) / ms / 1e6).toFixed(2)} Gbit/s)`);
      server.close();
      expect(r.stdout.split(' ')[0]).toBe(sha(data));
      const gso = link.counters.txGsoPackets - before;
      // Offload off: the addon cuts them (soft-gso.h); the kernel sees MTU-sized packets either way.
      expect(gso, 'super-packets sent').toBeGreaterThan(100);
    }, 40_000);

    it('upload: a kernel client sends 64 MiB, the stack checks its sha256', async () => {
      let resolveDone: (v: { n: number; sha: string }) => void = () => {};
      const done = new Promise<{ n: number; sha: string }>((r) => (resolveDone = r));
      const server = stack.createServer((s) => {
        const h = createHash('sha256');
        let n = 0;
        s.on('data', (d: Buffer) => {
          n += d.length;
          h.update(d);
        });
        s.on('end', () => {
          s.end();
          resolveDone({ n, sha: h.digest('hex') });
        });
      });
      await new Promise<void>((r) => server.listen(5002, r));
      const before = link.counters.rxGsoPackets;
      const t0 = performance.now();
      await ns.exec('sh', ['-c', `socat -u FILE:${file} TCP:${ADDR}:5002`], { timeoutMs: 30_000 });
      const got = await done;
      const ms = performance.now() - t0;
      console.log(`offload ${offload}: upload 64 MiB in ${ms.toFixed(0)} ms (${((N * 8) / ms / 1e6).toFixed(2)} Gbit/s)`);
      server.close();
      expect(got.n).toBe(N);
      expect(got.sha).toBe(sha(data));
      const gso = link.counters.rxGsoPackets - before;
      if (offload === 'on') expect(gso, 'super-packets received').toBeGreaterThan(100);
      else expect(gso).toBe(0);
      expect(stack.counters().Tcp.InCsumErrors ?? 0).toBe(0);
    }, 40_000);
  });
}

describe.skipIf(!ready)('a kernel that refuses the TUNSETOFFLOAD flags (linux)', () => {
  it('falls back to no offload, says so, and still carries traffic', () =>
    withNetns('tsof', async (ns) => {
      // Bit 0x4000 is no TUN_F_* flag: Linux tun_set_offload answers EINVAL,
      // as an older kernel does for flags it does not know (e.g. TUN_F_USO4).
      const link = TunLink.open({
        name: 'tun0', netns: ns.name, mtu: 1500, addr: '10.77.23.1', prefixLen: 24, up: true,
        offload: 'on', offloadFlags: TUN_F_CSUM | TUN_F_TSO4 | 0x4000,
      });
      const stack = new Stack({ link, addr: '10.77.23.2' });
      try {
        expect(link.offloadNote).toMatch(/^offload off: the kernel refused TUNSETOFFLOAD \(errno 22\)/);
        expect(link.caps).toMatchObject({ txChecksumOffload: false, gsoMaxSize: 0 });
        const server = stack.createServer((s) => s.end(Buffer.alloc(4 * MiB, 0x61)));
        await new Promise<void>((r) => server.listen(5003, r));
        const r = await ns.exec('sh', ['-c', `socat -u TCP:10.77.23.2:5003 - | wc -c`], { timeoutMs: 20_000 });
        server.close();
        expect(r.stdout.trim()).toBe(String(4 * MiB));
        expect(link.counters.txGsoPackets + link.counters.rxGsoPackets).toBe(0);
      } finally {
        await stack.close();
      }
    }));
});
