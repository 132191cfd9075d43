import { describe, expect, it } from 'vitest';
import { startUdpEcho } from '../../src/apps/udp-echo.js';
import { Ipv4Layer } from '../../src/ip/ipv4.js';
import { UdpLayer } from '../../src/udp/udp.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng } from '../../src/util/random.js';
import { Ipv4Packet } from '../../src/wire/ipv4.js';
import { UdpPacket } from '../../src/wire/udp.js';
import { A_10_9_0_1, A_10_9_0_2, FakeLink, LINUX_UDP_HELLO } from '../ip/helpers.js';

describe('UDP echo service (RFC 862)', () => {
  it('echoes a captured Linux datagram back to its sender, then stops after close', async () => {
    const link = new FakeLink();
    const ip = new Ipv4Layer({ link, addr: A_10_9_0_2, clock: new VirtualClock() });
    const udp = new UdpLayer({ ip, rng: new SeededRng(1) });
    const echo = startUdpEcho(udp);
    link.inject(LINUX_UDP_HELLO());
    const [out] = link.take();
    const v = Ipv4Packet.parse(out);
    if (typeof v === 'string') throw new Error(v);
    expect(v.dst).toBe(A_10_9_0_1);
    const u = UdpPacket.parse(v.payload, v.src, v.dst);
    if (typeof u === 'string') throw new Error(u);
    expect([u.srcPort, u.dstPort, u.payload.toString()]).toEqual([7, 40000, 'hello']);
    echo.close();
    await new Promise((r) => echo.socket.once('close', r));
    link.inject(LINUX_UDP_HELLO());
    expect(udp.stats.NoPorts).toBe(1);
  });
});
