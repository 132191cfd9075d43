import { describe, expect, it } from 'vitest';
import { Ipv4Layer } from '../../src/ip/ipv4.js';
import { UdpLayer } from '../../src/udp/udp.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng, randInt } from '../../src/util/random.js';
import { Ipv4Packet } from '../../src/wire/ipv4.js';
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
