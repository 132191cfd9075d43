import { describe, expect, it } from 'vitest';
import { Ipv4Layer } from '../../src/ip/ipv4.js';
import { UdpLayer } from '../../src/udp/udp.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng, randInt } from '../../src/util/random.js';
import { Ipv4Packet } from '../../src/wire/ipv4.js';
import { Stack } from '../../src/stack.js';
import { EthernetLink } from '../../src/link/ethernet-link.js';
import {
  ETH_ARP_REQUEST_FRAME,
  ETH_ECHO_FRAME,
  ETH_PEER_MAC,
  LINUX_ACK_SACK1,
  LINUX_ACK_SACK2,
  LINUX_SYN_ACK,
  TUN_SCRIPT,
} from '../wire/linux-captures.js';
import {
  A_10_9_0_2,
  FakeLink,
  LINUX_ECHO_REQUEST,
  LINUX_UDP_HELLO,
  LINUX_UDP_NOBODY,
  linuxBigEchoFragments,
} from './helpers.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x7515);

function setup(seed: number) {
  const link = new FakeLink(1500);
  const clock = new VirtualClock(0);
  const ip = new Ipv4Layer({ link, addr: A_10_9_0_2, clock });
  const udp = new UdpLayer({ ip, rng: new SeededRng(seed) });
  const sock = udp.createSocket();
  sock.on('message', () => {});
  sock.bind(7);
  return { link, clock, ip, udp };
}

describe('hostile input never throws (every drop is counted)', () => {
  it(`random bytes and mutations of valid packets (seed ${SEED})`, () => {
    console.log(`fuzz seed ${SEED}`);
    const rng = new SeededRng(SEED);
    const { link, clock, ip, udp } = setup(SEED);
    const seeds = [LINUX_ECHO_REQUEST(), LINUX_UDP_HELLO(), LINUX_UDP_NOBODY(), ...linuxBigEchoFragments()];
    for (let i = 0; i < 20_000; i++) {
      let pkt: Buffer;
      if (i % 4 === 0) {
        pkt = Buffer.alloc(randInt(rng, 80));
        for (let j = 0; j < pkt.length; j++) pkt[j] = randInt(rng, 256);
        if (pkt.length > 0 && randInt(rng, 2) === 0) pkt[0] = 0x45;
      } else {
        const base = seeds[randInt(rng, seeds.length)];
        pkt = Buffer.from(base.subarray(0, base.length - (randInt(rng, 4) === 0 ? randInt(rng, base.length) : 0)));
        const flips = 1 + randInt(rng, 4);
        for (let k = 0; k < flips && pkt.length; k++) pkt[randInt(rng, Math.min(pkt.length, 48))] = randInt(rng, 256);
        // Half the time fix the header checksum so mutations reach the layers above.
        if (pkt.length >= 20 && randInt(rng, 2) === 0 && pkt[0] >>> 4 === 4) {
          const hl = (pkt[0] & 15) * 4;
          if (hl >= 20 && hl <= pkt.length) Ipv4Packet.over(pkt).fillChecksum();
        }
      }
      expect(() => link.inject(pkt)).not.toThrow();
      if (i % 1000 === 0) clock.advance(1000);
      link.take();
    }
    expect(ip.stats.ip.handlerError).toBe(0);
    expect(ip.stats.ip.inReceives).toBe(20_000);
    // The mutations reached every layer, not just the header check.
    expect(ip.stats.ip.badChecksum).toBeGreaterThan(0);
    expect(ip.stats.ip.inDelivers).toBeGreaterThan(100);
    expect(ip.stats.icmp.inBadChecksum).toBeGreaterThan(0);
    expect(udp.stats.InCsumErrors).toBeGreaterThan(0);
    clock.advance(60_000);
    expect(ip.reassemblyBytes).toBe(0);
  });
});

describe('hostile frames through the whole stack never throw (Ethernet → ARP/IPv4 → ICMP/UDP/TCP)', () => {
  const FRAME_SEED = Number(process.env.FUZZ_SEED ?? 0x7516);

  it(`mutations of captured Linux frames and TCP segments (seed ${FRAME_SEED})`, () => {
    console.log(`frame fuzz seed ${FRAME_SEED}`);
    const rng = new SeededRng(FRAME_SEED);
    const device = new FakeLink(1500);
    const clock = new VirtualClock(0);
    const eth = new EthernetLink({ device, clock, rng: new SeededRng(FRAME_SEED + 1), ipAddr: TUN_SCRIPT, mac: ETH_PEER_MAC });
    const stack = new Stack({ link: eth, addr: TUN_SCRIPT, clock, rng: new SeededRng(FRAME_SEED + 2) });
    const server = stack.createServer(() => {});
    server.listen(40000); // the captured SYN-ACKs' destination port: mutations also reach the listener
    const sock = stack.createUdpSocket();
    sock.on('message', () => {});
    sock.bind(7);
    // Captured IPv4 packets re-addressed to this stack, each in an Ethernet header for our MAC.
    const toUs = (p: Buffer): Buffer => {
      const q = Buffer.from(p);
      q.writeUInt32BE(TUN_SCRIPT, 16);
      Ipv4Packet.over(q).fillChecksum();
      return q;
    };
    const ethHeader = ETH_ECHO_FRAME().subarray(0, 14);
    const ipSeeds = [LINUX_SYN_ACK(), LINUX_ACK_SACK2(), LINUX_ACK_SACK1(), LINUX_UDP_HELLO(), LINUX_ECHO_REQUEST()].map((p, i) =>
      i < 3 ? p : toUs(p),
    );
    const arp = ETH_ARP_REQUEST_FRAME();
    arp.writeUInt32BE(TUN_SCRIPT, 38); // asks for our address
    const seeds = [...ipSeeds.map((p) => Buffer.concat([ethHeader, p])), arp];
    for (let i = 0; i < 20_000; i++) {
      const base = seeds[randInt(rng, seeds.length)];
      const f = Buffer.from(base.subarray(0, base.length - (randInt(rng, 4) === 0 ? randInt(rng, base.length) : 0)));
      const flips = 1 + randInt(rng, 3);
      // Mutate past the Ethernet addresses most of the time so frames reach the layers above.
      for (let k = 0; k < flips && f.length > 12; k++) f[12 + randInt(rng, Math.min(f.length - 12, 60))] = randInt(rng, 256);
      if (f.length >= 34 && f.readUInt16BE(12) === 0x0800 && randInt(rng, 2) === 0 && f[14] >>> 4 === 4) {
        const hl = (f[14] & 15) * 4;
        if (hl >= 20 && 14 + hl <= f.length) Ipv4Packet.over(f.subarray(14)).fillChecksum();
      }
      expect(() => device.inject(f)).not.toThrow();
      if (i % 500 === 0) clock.advance(1000);
      device.take();
    }
    const c = stack.counters();
    expect(c.Ip.handlerError).toBe(0);
    expect(eth.counters.rxFrames).toBe(20_000);
    // Every layer saw hostile input and counted it.
    expect(eth.counters.rxUnknownType + eth.counters.rxNotEthernetII).toBeGreaterThan(0);
    expect(eth.arp.counters.rxMalformed).toBeGreaterThan(0);
    expect(c.Ip.badChecksum).toBeGreaterThan(0);
    expect(c.Icmp.inBadChecksum).toBeGreaterThan(0);
    expect(c.Udp.InCsumErrors).toBeGreaterThan(0);
    expect(c.Tcp.InCsumErrors).toBeGreaterThan(0);
    expect(c.Tcp.InSegs).toBeGreaterThan(1000);
    clock.advance(120_000);
    expect(stack.ip.reassemblyBytes).toBe(0);
  });
});
