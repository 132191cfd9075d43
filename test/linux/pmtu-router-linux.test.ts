/**
 * Path MTU discovery through a real Linux router (RFC 1191, RFC 1122
 * §4.2.3.9): the stack's TUN sits in namespace A, whose kernel forwards
 * (ip_forward=1) to namespace B over a veth whose A end has MTU 1280. The
 * client in B advertises MSS 1460 (its own end has MTU 1500), so the stack's
 * first full-sized DF segments are 1500 bytes; the kernel router answers them
 * with ICMP "fragmentation needed" (next-hop MTU 1280), the stack lowers its
 * path MTU for B and resends smaller segments, and the 16 MiB download
 * completes byte-exact. Both namespaces are created here and always removed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, linuxReady, type Netns } from './harness.js';
import { Stack } from '../../src/stack.js';
import { TunLink } from '../../src/link/tun.js';
import { startServices, type RunningServices } from '../../src/apps/services.js';

const ready = linuxReady();
const ROUTER_TUN = '10.78.1.1';
const STACK = '10.78.1.2';
const ROUTER_VETH = '10.78.2.1';
const CLIENT = '10.78.2.2';

describe.skipIf(!ready)('path MTU discovery through a Linux router with a 1280-byte hop (linux)', () => {
  let a: Netns;
  let b: Netns;
  let stack: Stack;
  let services: RunningServices;
  let root: string;
  let bigSha: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'tunstack-pmtu-'));
    const big = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
    writeFileSync(join(root, 'big.bin'), big);
    bigSha = createHash('sha256').update(big).digest('hex');
    a = await createNetns('tspa');
    b = await createNetns('tspb');
    await a.exec('ip', ['link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', b.name], { check: true });
    await a.exec('ip', ['link', 'set', 'va', 'mtu', '1280'], { check: true });
    await a.exec('ip', ['addr', 'add', `${ROUTER_VETH}/24`, 'dev', 'va'], { check: true });
    await a.exec('ip', ['link', 'set', 'va', 'up'], { check: true });
    await a.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1'], { check: true });
    await b.exec('ip', ['addr', 'add', `${CLIENT}/24`, 'dev', 'vb'], { check: true });
    await b.exec('ip', ['link', 'set', 'vb', 'up'], { check: true });
    await b.exec('ip', ['route', 'add', '10.78.1.0/24', 'via', ROUTER_VETH], { check: true });
    const link = TunLink.open({ name: 'tun0', netns: a.name, mtu: 1500, addr: ROUTER_TUN, prefixLen: 24, up: true });
    stack = new Stack({ link, addr: STACK });
    services = await startServices(stack, ['http'], { httpRoot: root });
  });

  afterAll(async () => {
    await services?.close();
    await stack?.close();
    b?.destroy();
    a?.destroy();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('a 16 MiB download from namespace B arrives byte-exact after the router asks for smaller segments', async () => {
    const r = await b.exec('sh', ['-c', `curl -sS --max-time 90 http://${STACK}/big.bin | sha256sum`], { timeoutMs: 100_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.split(' ')[0]).toBe(bigSha);
    const c = stack.counters();
    console.log(
      `pmtu router: Icmp.inDestUnreachs=${c.Icmp.inDestUnreachs} Icmp.pmtuLearnt=${c.Icmp.pmtuLearnt} ` +
        `Tcp.TCPPMTUShrunk=${c.Tcp.TCPPMTUShrunk ?? 0} Tcp.RetransSegs=${c.Tcp.RetransSegs}`,
    );
    // The router's frag-needed arrived and lowered the path MTU to the 1280-byte hop, once.
    expect(c.Icmp.inDestUnreachs).toBeGreaterThanOrEqual(1);
    expect(c.Icmp.pmtuLearnt).toBe(1);
    expect(c.Tcp.TCPPMTUShrunk).toBe(1);
    expect(stack.ip.pathMtu(0x0a4e0202)).toBe(1280);
    // The router forwarded no datagram larger than its hop: nothing was fragmented on the way.
    const frag = await a.exec('sh', ['-c', "nstat -az IpFragCreates IpFragFails | awk '/Ip/ {print $1, $2}'"]);
    expect(frag.stdout).toMatch(/IpFragCreates\s+0/);
  });

  it('a second download starts with the learnt path MTU: its segments never need shrinking', async () => {
    // A connection that started at the link MTU would be told frag-needed and shrink
    // (TCPPMTUShrunk); one sized from the path-MTU cache never does. (Counting ICMP
    // arrivals instead is racy: a straggler of the first download can still draw one.)
    const before = stack.counters();
    const r = await b.exec('sh', ['-c', `curl -sS --max-time 90 http://${STACK}/big.bin | sha256sum`], { timeoutMs: 100_000 });
    expect(r.stdout.split(' ')[0]).toBe(bigSha);
    const after = stack.counters();
    expect(after.Tcp.TCPPMTUShrunk ?? 0).toBe(before.Tcp.TCPPMTUShrunk ?? 0);
    expect(after.Icmp.pmtuLearnt).toBe(before.Icmp.pmtuLearnt);
  });
});
