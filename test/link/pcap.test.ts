import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng } from '../../src/util/random.js';
import { createMemoryLinkPair, createMemoryFramePipe } from '../../src/link/memory.js';
import { LINKTYPE_ETHERNET, PcapWriter, withPcap } from '../../src/link/pcap.js';
import { EthernetLink } from '../../src/link/ethernet-link.js';
import { ipv4 } from '../../src/wire/ip-address.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// ICMP echo request/reply 10.210.0.1 <-> 10.210.0.2 (IPv4 part), captured
// with `tcpdump -xx -e` on a veth pair between namespaces, Linux 6.18.
const PAYLOAD = '1435 046b 0000 0000 4232 0c00 0000 0000 1011 1213 1415 1617 1819 1a1b 1c1d 1e1f 2021 2223 2425 2627 2829 2a2b 2c2d 2e2f 3031 3233 3435 3637';
const ECHO_REQUEST = hex('4500 0054 864c 4000 4001 9eb6 0ad2 0001 0ad2 0002 0800 b5d9 1c80 0001' + PAYLOAD);
const ECHO_REPLY = hex('4500 0054 83ae 0000 4001 e154 0ad2 0002 0ad2 0001 0000 bdd9 1c80 0001' + PAYLOAD);

function tshark(file: string, fields: string[]): string[][] {
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
}

const HAVE_TSHARK = spawnSync('tshark', ['-v']).status === 0;
if (!HAVE_TSHARK) console.warn('SKIP (pcap): tshark is not installed');

describe.skipIf(!HAVE_TSHARK)('pcap capture (classic libpcap format)', () => {
  it('records both directions of a raw IP link with virtual timestamps; tshark reads them back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tslk-pcap-'));
    try {
      const file = join(dir, 'raw.pcap');
      const clock = new VirtualClock();
      const [a, b] = createMemoryLinkPair({ clock, rng: new SeededRng(1), faults: { delayMs: 2 } });
      const writer = PcapWriter.toFile(file, { clock, originMs: 1_700_000_000_000 });
      const la = withPcap(a, writer);
      la.onReceive(() => undefined);
      b.onReceive(() => b.send(Buffer.from(ECHO_REPLY)));
      clock.advance(1000);
      la.send(Buffer.from(ECHO_REQUEST));
      clock.runUntilIdle();
      await la.close();
      writer.close();
      expect(writer.packets).toBe(2);
      const rows = tshark(file, ['frame.time_epoch', 'frame.protocols', 'icmp.type', 'ip.src']);
      expect(rows.length).toBe(2);
      expect(rows.map((r) => r[1])).toEqual(['raw:ip:icmp:data', 'raw:ip:icmp:data']);
      expect(rows.map((r) => r[2])).toEqual(['8', '0']);
      expect(rows.map((r) => r[3])).toEqual(['10.210.0.1', '10.210.0.2']);
      // Sent at virtual 1000 ms, reply back after 2 + 2 ms.
      expect(Number(rows[0][0])).toBeCloseTo(1_700_000_001.0, 5);
      expect(Number(rows[1][0])).toBeCloseTo(1_700_000_001.004, 5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('records Ethernet frames (ARP + IPv4) under LINKTYPE_ETHERNET', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tslk-pcap-'));
    try {
      const file = join(dir, 'eth.pcap');
      const clock = new VirtualClock();
      const rng = new SeededRng(2);
      const [n1, n2] = createMemoryFramePipe({ clock, rng });
      const writer = PcapWriter.toFile(file, { clock, linkType: LINKTYPE_ETHERNET });
      const captured = withPcap(n1, writer); // a Link is shape-compatible with a FrameDevice
      const e1 = new EthernetLink({ device: captured, clock, rng, ipAddr: ipv4('10.210.0.1') });
      const e2 = new EthernetLink({ device: n2, clock, rng, ipAddr: ipv4('10.210.0.2') });
      e2.onReceive((ps) => {
        for (const _ of ps) e2.send(Buffer.from(ECHO_REPLY));
      });
      e1.onReceive(() => undefined);
      e1.send(Buffer.from(ECHO_REQUEST));
      clock.runUntilIdle();
      writer.close();
      const rows = tshark(file, ['frame.protocols', 'arp.opcode']);
      // request, reply to it, echo request, (e2 learned us from the request) echo reply
      expect(rows.map((r) => r[0])).toEqual(['eth:ethertype:arp', 'eth:ethertype:arp', 'eth:ethertype:ip:icmp:data', 'eth:ethertype:ip:icmp:data']);
      expect(rows.map((r) => r[1])).toEqual(['1', '2', '', '']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes the documented global header (magic a1b2c3d4, v2.4, linktype)', () => {
    const chunks: Buffer[] = [];
    const w = new PcapWriter((c) => chunks.push(c), { clock: new VirtualClock(), linkType: 101, snapLen: 100 });
    w.write(Buffer.alloc(150));
    w.close();
    const all = Buffer.concat(chunks);
    expect(all.subarray(0, 24).toString('hex')).toBe('d4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '64000000' + '65000000');
    expect(all.readUInt32LE(24 + 8)).toBe(100); // incl_len capped at snaplen
    expect(all.readUInt32LE(24 + 12)).toBe(150); // orig_len
    expect(all.length).toBe(24 + 16 + 100);
  });
});

