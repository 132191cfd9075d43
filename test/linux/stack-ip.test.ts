/**
 * The stack against real Linux: a TUN device in a namespace this test
 * creates (and always removes), the kernel on one side, our stack on the
 * other, driven by the real tools — ping, traceroute, socat, a Node dgram
 * client — run inside that namespace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, linuxReady, type Netns } from './harness.js';
import { Stack } from '../../src/stack.js';
import { TunLink } from '../../src/link/tun.js';
import { startUdpEcho } from '../../src/apps/udp-echo.js';

const ready = linuxReady('ping', 'traceroute', 'socat');
const HOST = '10.77.9.1';
const ADDR = '10.77.9.2';

describe.skipIf(!ready)('IPv4/ICMP/UDP over a real TUN (linux)', () => {
  let ns: Netns;
  let stack: Stack;

  beforeAll(async () => {
    ns = await createNetns('tsfd');
    const link = TunLink.open({ name: 'tun0', netns: ns.name, mtu: 1500, addr: HOST, prefixLen: 24, up: true });
    stack = new Stack({ link, addr: ADDR });
    startUdpEcho(stack.udp, 7);
  });

  afterAll(async () => {
    await stack?.close();
    ns?.destroy();
  });

  it('answers ping -c 5 with 5 replies (RFC 792 echo)', async () => {
    const r = await ns.exec('ping', ['-c', '5', '-i', '0.2', '-W', '2', ADDR], { timeoutMs: 15_000 });
    expect(r.stdout).toMatch(/5 packets transmitted, 5 received/);
  });

  it('answers ping -s 4000: the request and the reply are both fragmented (RFC 791 §3.2)', async () => {
    const before = stack.counters().Ip as Record<string, number>;
    const fragsIn = before.reasmOks;
    const r = await ns.exec('ping', ['-c', '3', '-i', '0.2', '-W', '2', '-s', '4000', ADDR], { timeoutMs: 15_000 });
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/);
    expect(r.stdout).toMatch(/4008 bytes from/);
    const after = stack.counters().Ip as Record<string, number>;
    expect(after.reasmOks).toBe(fragsIn + 3);
    expect(after.fragCreates).toBeGreaterThanOrEqual(9);
  });

  it('traceroute -n (UDP probes) reaches the stack in one hop via port unreachable', async () => {
    const r = await ns.exec('traceroute', ['-n', '-q', '1', '-w', '2', ADDR], { timeoutMs: 30_000 });
    const hops = r.stdout.trim().split('\n').slice(1);
    expect(hops).toHaveLength(1);
    expect(hops[0]).toMatch(new RegExp(`^ 1  ${ADDR.replace(/\./g, '\\.')}  `));
  });

  it('traceroute -I -n (ICMP echo probes) reaches the stack in one hop', async () => {
    const r = await ns.exec('traceroute', ['-I', '-n', '-q', '1', '-w', '2', ADDR], { timeoutMs: 30_000 });
    const hops = r.stdout.trim().split('\n').slice(1);
    expect(hops).toHaveLength(1);
    expect(hops[0]).toMatch(new RegExp(`^ 1  ${ADDR.replace(/\./g, '\\.')}  `));
  });

  it('echoes a UDP datagram on port 7 (socat as the kernel-side client)', async () => {
    const r = await ns.exec('sh', ['-c', `printf 'hello tunstack' | socat -t 2 - UDP4:${ADDR}:7`], { timeoutMs: 10_000 });
    expect(r.stdout).toBe('hello tunstack');
  });

  it('UDP to a closed port gets ICMP port unreachable (Linux reports ECONNREFUSED on a connected socket)', async () => {
    const noPorts = stack.udp.stats.NoPorts;
    const script = `
      const s = require('dgram').createSocket('udp4');
      const t = setTimeout(() => { console.log('no-error'); process.exit(0); }, 3000);
      s.on('error', (e) => { console.log(e.code); clearTimeout(t); process.exit(0); });
      s.connect(9999, '${ADDR}', () => { s.send('x'); setTimeout(() => s.send('y'), 200); });`;
    const r = await ns.exec(process.execPath, ['-e', script], { timeoutMs: 10_000 });
    expect(r.stdout.trim()).toBe('ECONNREFUSED');
    expect(stack.udp.stats.NoPorts).toBeGreaterThan(noPorts);
  });
});
