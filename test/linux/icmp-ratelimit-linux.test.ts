/**
 * ICMP rate limits against a real `ping -f` (an echo flood from the kernel
 * side of a TUN in a namespace this test creates and removes): with Linux's
 * default icmp_ratemask echo replies are not limited; with bit 0 set
 * (icmp_ratemask=0x1819) the per-destination limit (icmp_ratelimit, burst 6)
 * answers a handful, counts the rest as Icmp.outRateLimitHost, and the stack
 * keeps serving.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createNetns, linuxReady, type Netns } from './harness.js';
import { Stack } from '../../src/stack.js';
import { TunLink } from '../../src/link/tun.js';

const ready = linuxReady('ping');
const HOST = '10.77.19.1';
const ADDR = '10.77.19.2';

function received(out: string): number {
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  if (!m) throw new Error(`no ping summary in: ${out}`);
  return Number(m[2]);
}

describe.skipIf(!ready)('ICMP echo flood and per-destination rate limit (linux)', () => {
  let ns: Netns | undefined;
  let stack: Stack | undefined;

  afterEach(async () => {
    await stack?.close();
    ns?.destroy();
    stack = undefined;
    ns = undefined;
  });

  async function open(ratemask?: number): Promise<{ ns: Netns; stack: Stack }> {
    ns = await createNetns('tsir');
    const link = TunLink.open({ name: 'tun0', netns: ns.name, mtu: 1500, addr: HOST, prefixLen: 24, up: true });
    stack = new Stack({ link, addr: ADDR, ip: ratemask === undefined ? {} : { icmpRatemask: ratemask } });
    return { ns, stack };
  }

  it('answers every request of ping -f -c 300 with the default icmp_ratemask (echo replies exempt)', async () => {
    const { ns, stack } = await open();
    const r = await ns.exec('ping', ['-f', '-c', '300', '-w', '10', ADDR], { timeoutMs: 20_000 });
    expect(received(r.stdout)).toBe(300);
    const icmp = stack.counters().Icmp as Record<string, number>;
    expect(icmp.outEchoReps).toBe(300);
    expect(icmp.outRateLimitHost).toBe(0);
  });

  it('limits echo replies to one source under ping -f when icmp_ratemask has bit 0; counted, and service continues', async () => {
    const { ns, stack } = await open(0x1819);
    const r = await ns.exec('ping', ['-f', '-c', '300', '-w', '3', ADDR], { timeoutMs: 20_000 });
    const got = received(r.stdout);
    const icmp = stack.counters().Icmp as Record<string, number>;
    // Burst of 6, then one per second (icmp_ratelimit 1000 ms) over the ≤ 3 s the flood lasts.
    expect(got).toBeGreaterThanOrEqual(6);
    expect(got).toBeLessThanOrEqual(6 + 4);
    expect(icmp.outEchoReps).toBe(got);
    expect(icmp.outRateLimitHost).toBe(icmp.inEchos - got);
    expect(icmp.outRateLimitHost).toBeGreaterThan(0);
    // Still answering once the bucket refills.
    await new Promise((res) => setTimeout(res, 1100));
    const again = await ns.exec('ping', ['-c', '1', '-W', '2', ADDR], { timeoutMs: 10_000 });
    expect(received(again.stdout)).toBe(1);
  });
});
