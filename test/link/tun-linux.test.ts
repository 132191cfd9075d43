/**
 * Real TUN/TAP devices through the addon, created inside a namespace this
 * test makes (prefix tsfd) and always removes. The kernel side pings an
 * address on the stack side; the test answers with hand-built echo replies.
 */
import { describe, expect, it } from 'vitest';
import { linuxReady, withNetns } from '../linux/harness.js';
import { NativeLink, TunLink } from '../../src/link/tun.js';
import { checksum } from '../../src/wire/checksum.js';

const READY = linuxReady('ping');

/** Turn an IPv4 ICMP echo request into its reply in place (test-local, RFC 792). */
function echoReplyFrom(req: Buffer): Buffer | undefined {
  if (req.length < 28 || req[0] >> 4 !== 4 || req[9] !== 1) return undefined;
  const ihl = (req[0] & 15) * 4;
  if (req[ihl] !== 8) return undefined;
  const rep = Buffer.from(req); // copy: the request is kept for the lifetime check
  const src = rep.readUInt32BE(12);
  rep.writeUInt32BE(rep.readUInt32BE(16), 12);
  rep.writeUInt32BE(src, 16);
  // Swapping the addresses leaves the IPv4 header sum unchanged (RFC 1071: addition commutes).
  rep[ihl] = 0;
  rep.writeUInt16BE(0, ihl + 2);
  rep.writeUInt16BE(checksum(rep, ihl, rep.length - ihl), ihl + 2);
  return rep;
}

function waitFor(cond: () => boolean, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const tick = (): void => {
      if (cond()) return resolve();
      if (Number(process.hrtime.bigint() - start) / 1e6 > ms) return reject(new Error('timed out waiting'));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describe.skipIf(!READY)('TUN device in a namespace (linux)', () => {
  it('delivers kernel ICMP echo requests in batches and carries our replies back to ping', () =>
    withNetns('tsfd', async (ns) => {
      const link = TunLink.open({ name: 'tslk0', netns: ns.name, mtu: 1400, addr: '10.201.0.1', prefixLen: 24, up: true });
      try {
        expect(link.name).toBe('tslk0');
        const addr = await ns.exec('ip', ['-4', '-o', 'addr', 'show', 'dev', 'tslk0'], { check: true });
        expect(addr.stdout).toContain('10.201.0.1/24');
        const mtu = await ns.exec('ip', ['-o', 'link', 'show', 'dev', 'tslk0'], { check: true });
        expect(mtu.stdout).toContain('mtu 1400');

        const held: Buffer[] = [];
        const snapshots: Buffer[] = [];
        let batches = 0;
        link.onReceive((packets) => {
          batches++;
          for (const p of packets) {
            if (held.length === 0) {
              held.push(p);
              snapshots.push(Buffer.from(p));
            }
            const rep = echoReplyFrom(p);
            if (rep) link.send(rep);
          }
        });
        const r = await ns.exec('ping', ['-c', '3', '-i', '0.2', '-W', '1', '10.201.0.2'], { timeoutMs: 10_000 });
        expect(r.stdout).toMatch(/3 packets transmitted, 3 received/);
        expect(batches).toBeGreaterThanOrEqual(3);
        expect(link.counters.rxPackets).toBeGreaterThanOrEqual(3);
        // The writer thread reports writes asynchronously: counterGroups folds its totals in.
        expect(link.counterGroups.Link.txPackets).toBeGreaterThanOrEqual(3);
        // Buffer lifetime rule (link.ts): a packet held from batch 1 is untouched by later batches.
        expect(held[0].equals(snapshots[0])).toBe(true);
        expect(held[0][9]).toBe(1);
      } finally {
        await link.close();
      }
    }));

  for (const offload of ['off', 'on'] as const) it(`keeps held packets intact across many batches that refill the slab (offload ${offload})`, () =>
    withNetns('tsfd', async (ns) => {
      const link = TunLink.open({ name: 'tslk1', netns: ns.name, mtu: 1500, addr: '10.202.0.1', prefixLen: 24, up: true, offload });
      try {
        const held: Buffer[] = [];
        const copies: Buffer[] = [];
        link.onReceive((packets) => {
          for (const p of packets) {
            held.push(p);
            copies.push(Buffer.from(p));
          }
        });
        // Large pings, more than one slab can hold (128 max-size reads; 1 MiB with IFF_VNET_HDR).
        const count = offload === 'on' ? 800 : 300;
        await ns.exec('ping', ['-c', String(count), '-i', '0.002', '-s', '1400', '-W', '1', '-q', '10.202.0.2'], { timeoutMs: 30_000 });
        await waitFor(() => held.length >= count, 2000).catch(() => undefined);
        expect(held.length).toBeGreaterThanOrEqual((count * 2) / 3);
        const slabs = new Set(held.map((b) => b.buffer));
        expect(slabs.size).toBeGreaterThan(1);
        for (let i = 0; i < held.length; i++) expect(held[i].equals(copies[i])).toBe(true);
      } finally {
        await link.close();
      }
    }));

  it('opens a TAP device and receives the kernel ARP request as an Ethernet frame', () =>
    withNetns('tsfd', async (ns) => {
      const link = NativeLink.open({ name: 'tslktap0', mode: 'tap', netns: ns.name, addr: '10.203.0.1', prefixLen: 24, up: true });
      try {
        expect(link.mode).toBe('tap');
        const frames: Buffer[] = [];
        link.onReceive((f) => frames.push(...f));
        await ns.exec('ping', ['-c', '1', '-W', '1', '10.203.0.2'], { timeoutMs: 5000 });
        await waitFor(() => frames.some((f) => f.length >= 42 && f.readUInt16BE(12) === 0x0806), 3000);
        const arp = frames.find((f) => f.readUInt16BE(12) === 0x0806)!;
        expect(arp.subarray(0, 6).equals(Buffer.alloc(6, 0xff))).toBe(true); // broadcast
        expect(arp.readUInt16BE(14 + 6)).toBe(1); // op = request (RFC 826)
        expect(arp.readUInt32BE(14 + 24)).toBe(0x0acb0002); // target 10.203.0.2
      } finally {
        await link.close();
      }
    }));

  it('reports a busy interface name with code EBUSY and says the name is in use', () =>
    withNetns('tsfd', async (ns) => {
      const first = TunLink.open({ name: 'tslkbusy', netns: ns.name });
      let err: (Error & { code?: string }) | undefined;
      try {
        const l = TunLink.open({ name: 'tslkbusy', netns: ns.name });
        await l.close();
      } catch (e) {
        err = e as Error & { code?: string };
      } finally {
        await first.close();
      }
      // The kernel refuses TUNSETIFF on an attached non-persistent device with EBUSY.
      expect(err?.code).toBe('EBUSY');
      expect(err?.message).toContain("'tslkbusy' is already in use");
    }));

  it('refuses a namespace that does not exist with ENOENT and the ip netns add hint', () => {
    let err: (Error & { code?: string }) | undefined;
    try {
      TunLink.open({ name: 'tslkx', netns: 'tsfd-no-such-ns' });
    } catch (e) {
      err = e as Error & { code?: string };
    }
    expect(err?.code).toBe('ENOENT');
    expect(err?.message).toContain("ip netns add tsfd-no-such-ns");
  });
});
