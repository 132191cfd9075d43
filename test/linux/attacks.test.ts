/**
 * The attack catalogue over a real TUN: the stack in a namespace this test
 * creates (always removed), attacked from the kernel side by
 * test/linux/attacks.py (scapy-built packets from a raw socket, so sources
 * can be spoofed; nothing can leave: the namespace has no default route).
 * Each attack ends the same way: dropped and counted under a named reason,
 * and the stack still answers ping and HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createNetns, linuxReady, type Netns } from './harness.js';
import { Stack } from '../../src/stack.js';
import { TunLink } from '../../src/link/tun.js';
import { startServices, type RunningServices } from '../../src/apps/services.js';

const PYTHON = '/usr/bin/python3';
const scapyOk = spawnSync(PYTHON, ['-c', 'import scapy.all'], { encoding: 'utf8' }).status === 0;
if (!scapyOk) console.warn('SKIP (attacks): missing python3-scapy (apt-get install python3-scapy)');
const ready = linuxReady() && scapyOk;
const HOST = '10.77.12.1';
const ADDR = '10.77.12.2';
const SCRIPT = fileURLToPath(new URL('./attacks.py', import.meta.url));

type Counts = Record<string, number>;

describe.skipIf(!ready)('attack catalogue over a real TUN (linux, scapy)', () => {
  let ns: Netns;
  let stack: Stack;
  let services: RunningServices;
  let driver: ChildProcessWithoutNullStreams;
  let lines: Interface;
  const pending: Array<(l: string) => void> = [];

  beforeAll(async () => {
    ns = await createNetns('tsat');
    const link = TunLink.open({ name: 'tun0', netns: ns.name, mtu: 1500, addr: HOST, prefixLen: 24, up: true });
    stack = new Stack({ link, addr: ADDR });
    services = await startServices(stack, ['echo', 'http']);
    const routes = await ns.exec('ip', ['route', 'show', 'default']);
    if (routes.stdout.trim() !== '') throw new Error(`namespace ${ns.name} has a default route; refusing to send spoofed packets`);
    // The kernel knows nothing of the hand-made connections: drop its RSTs to them (ports 40000-41999, TTL 64).
    await ns.exec('iptables', ['-A', 'OUTPUT', '-p', 'tcp', '--sport', '40000:41999', '--tcp-flags', 'RST', 'RST', '-m', 'ttl', '--ttl-eq', '64', '-j', 'DROP'], { check: true });
    driver = spawn('ip', ['netns', 'exec', ns.name, PYTHON, '-u', SCRIPT, ADDR, HOST], { stdio: ['pipe', 'pipe', 'pipe'] });
    driver.stderr.on('data', (d: Buffer) => process.stderr.write(`attacks.py: ${d}`));
    lines = createInterface({ input: driver.stdout });
    lines.on('line', (l) => pending.shift()?.(l));
  });

  afterAll(async () => {
    lines?.close();
    if (driver?.pid !== undefined && driver.exitCode === null) process.kill(driver.pid, 'SIGKILL');
    await services?.close();
    await stack?.close();
    ns?.destroy();
  });

  /** Run one attack in the driver; resolves with its JSON result once the stack had time to read everything. */
  async function run(name: string): Promise<Record<string, unknown>> {
    const line = await new Promise<string>((resolve) => {
      pending.push(resolve);
      driver.stdin.write(name + '\n');
    });
    const [status, , ...rest] = line.split(' ');
    if (status !== 'ok') throw new Error(`attacks.py ${name}: ${rest.join(' ')}`);
    await new Promise((r) => setTimeout(r, 100));
    return JSON.parse(rest.join(' ')) as Record<string, unknown>;
  }

  function counts(): Counts {
    const c = stack.counters();
    const out: Counts = {};
    for (const g of ['Ip', 'Icmp', 'Tcp', 'Udp']) for (const [k, v] of Object.entries(c[g])) out[`${g}.${k}`] = v;
    return out;
  }

  function grew(before: Counts, after: Counts): Counts {
    const d: Counts = {};
    for (const [k, v] of Object.entries(after)) if (v !== (before[k] ?? 0) && k !== 'Tcp.CurrEstab') d[k] = v - (before[k] ?? 0);
    return d;
  }

  async function stillServes(): Promise<void> {
    const p = await ns.exec('ping', ['-c', '1', '-W', '2', ADDR], { timeoutMs: 5000 });
    expect(p.stdout).toMatch(/1 received/);
    const h = await ns.exec('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', `http://${ADDR}/`], { timeoutMs: 8000 });
    expect(h.stdout).toBe('200');
  }

  /** [attack, counters that must grow (at least by n)] */
  const catalogue: Array<[string, Counts]> = [
    ['teardrop', { 'Ip.reasmOverlaps': 1 }],
    ['overlap-rewrite', { 'Ip.reasmOverlaps': 1 }],
    ['ping-of-death', { 'Ip.reasmTooBig': 1 }],
    ['tiny-fragments', { 'Ip.tinyFragment': 2 }],
    ['land', { 'Ip.badSource': 1 }],
    ['syn-fin', { 'Tcp.badFlags': 1 }],
    ['syn-rst', { 'Tcp.badFlags': 1 }],
    ['xmas', { 'Tcp.dropListenOther': 1 }],
    ['null', { 'Tcp.dropListenOther': 1 }],
    ['data-offset', { 'Tcp.badDataOffset': 1 }],
    ['option-lengths', { 'Tcp.badOptionLength': 4 }],
    ['source-route', { 'Ip.sourceRouted': 2 }],
    ['bad-ip-options', { 'Ip.badOptions': 1 }],
    ['martian-sources', { 'Ip.badSource': 4 }],
    ['icmp-redirect', { 'Icmp.inRedirects': 1 }],
    ['icmp-error-about-icmp-error', { 'Icmp.inDestUnreachs': 1, 'Icmp.inTimeExcds': 1 }],
    ['frag-needed-absurd', { 'Icmp.inDestUnreachs': 2 }],
  ];

  for (const [name, want] of catalogue) {
    it(`${name}: dropped and counted under ${Object.keys(want).join(', ')}; still answers ping and HTTP`, async () => {
      const before = counts();
      const r = await run(name);
      const d = grew(before, counts());
      for (const [k, n] of Object.entries(want)) expect(d[k] ?? 0, `${k} in ${JSON.stringify(d)}`).toBeGreaterThanOrEqual(n);
      // Nothing of it was answered with ICMP, and nothing reached an application.
      if ('icmp' in r) expect(r.icmp).toEqual([]);
      expect(d['Ip.handlerError'] ?? 0).toBe(0);
      await stillServes();
    });
  }

  it('fragment flood from 4000 sources: reassembly memory stays under ipfrag_high_thresh (4 MiB), oldest evicted', async () => {
    const before = counts();
    await run('fragment-flood');
    const d = grew(before, counts());
    console.log(`fragment flood: ${d['Ip.reasmReqds'] ?? 0} fragments taken, ${d['Ip.reasmEvicted'] ?? 0} evicted, ${stack.ip.reassemblyBytes} bytes held`);
    expect(d['Ip.reasmEvicted'] ?? 0).toBeGreaterThan(0);
    expect(stack.ip.reassemblyBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    await stillServes();
  });

  it('an SYN with MSS 0 is answered (the option is ignored, as Linux)', async () => {
    expect((await run('mss-zero')).synack).toBe(true);
  });

  for (const name of ['seq-wrap-2^31', 'seq-wrap-2^32', 'ts-wrap']) {
    it(`${name}: 1200 bytes whose sequence numbers${name === 'ts-wrap' ? ' and timestamps' : ''} cross the wrap are all acknowledged`, async () => {
      const r = await run(name);
      expect(r.ack).toBe(r.expected);
      await stillServes();
    });
  }
});
