/**
 * TapLink end to end: the kernel in a namespace this test creates pings the
 * stack-side address through a TAP device; EthernetLink answers the kernel's
 * ARP (RFC 826) and the test answers ICMP echo by hand.
 */
import { describe, expect, it } from 'vitest';
import { linuxReady, withNetns } from '../linux/harness.js';
import { TapLink } from '../../src/link/tap.js';
import { RealClock } from '../../src/time/real-clock.js';
import { SeededRng } from '../../src/util/random.js';
import { ipv4 } from '../../src/wire/ip-address.js';
import { formatMac } from '../../src/wire/ethernet.js';
import { checksum } from '../../src/wire/checksum.js';

const READY = linuxReady('ping');

function echoReply(req: Buffer): Buffer | undefined {
  if (req.length < 28 || req[0] !== 0x45 || req[9] !== 1 || req[20] !== 8) return undefined;
  const rep = Buffer.from(req);
  rep.writeUInt32BE(req.readUInt32BE(16), 12);
  rep.writeUInt32BE(req.readUInt32BE(12), 16);
  rep[20] = 0;
  rep.writeUInt16BE(0, 22);
  rep.writeUInt16BE(checksum(rep, 20, rep.length - 20), 22);
  return rep;
}

describe.skipIf(!READY)('TapLink in a namespace (linux)', () => {
  it('answers the kernel ARP for our address and carries ping both ways', () =>
    withNetns('tsfd', async (ns) => {
      const seed = 4242;
      console.log(`tap test MAC seed ${seed}`);
      const clock = new RealClock();
      const link = TapLink.open({
        name: 'tslktap1',
        netns: ns.name,
        addr: '10.204.0.1',
        prefixLen: 24,
        up: true,
        clock,
        rng: new SeededRng(seed),
        ipAddr: ipv4('10.204.0.2'),
      });
      try {
        link.onReceive((ps) => {
          for (const p of ps) {
            const rep = echoReply(p);
            if (rep) link.send(rep);
          }
        });
        const r = await ns.exec('ping', ['-c', '3', '-i', '0.2', '-W', '1', '10.204.0.2'], { timeoutMs: 10_000 });
        expect(r.stdout).toMatch(/3 packets transmitted, 3 received/);
        expect(link.arp.counters.txReplies).toBeGreaterThanOrEqual(1);
        // The kernel learned our MAC from our reply.
        const neigh = await ns.exec('ip', ['neigh', 'show', '10.204.0.2'], { check: true });
        expect(neigh.stdout).toContain(formatMac(link.mac));
        // And we learned the kernel's from its request (no request of our own needed).
        expect(link.arp.counters.txRequests).toBe(0);
        expect(link.neighbours().map((n) => n.addr)).toContain(ipv4('10.204.0.1'));
      } finally {
        await link.close();
        clock.stop();
      }
    }));
});
