/**
 * DNS both ways over a real TUN: `dig` on the kernel side asks our server
 * (UDP, TCP, PTR, NXDOMAIN, a truncated answer retried over TCP), and our
 * stub resolver asks `dnsmasq` running on the kernel side of the namespace
 * (bound to the namespace address only, killed by PID).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import dnsPacket from 'dns-packet';
import { createNetns, linuxReady, type Netns } from '../linux/harness.js';
import { Stack } from '../../src/stack.js';
import { TunLink } from '../../src/link/tun.js';
import { startServices, type RunningServices } from '../../src/apps/services.js';
import { DnsError } from '../../src/dns/resolver.js';

const ready = linuxReady();
const tools = ['dig', 'dnsmasq'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
if (ready && tools.length > 0) console.warn(`SKIP (dns linux): missing ${tools.join(', ')} (Debian dnsutils, dnsmasq)`);
const HOST = '10.77.41.1';
const ADDR = '10.77.41.2';
const BIG = Array.from({ length: 100 }, (_, i) => `10.77.42.${i + 1}`);

describe.skipIf(!ready || tools.length > 0)('DNS over a real TUN: dig against us, our resolver against dnsmasq (linux)', () => {
  let ns: Netns;
  let stack: Stack;
  let services: RunningServices;

  const dig = async (args: string[]) => (await ns.exec('dig', [`@${ADDR}`, '+time=2', '+tries=2', ...args], { timeoutMs: 15_000 })).stdout;

  beforeAll(async () => {
    ns = await createNetns('tsdns');
    const link = TunLink.open({ name: 'tun0', netns: ns.name, mtu: 1500, addr: HOST, prefixLen: 24, up: true });
    stack = new Stack({ link, addr: ADDR });
    services = await startServices(stack, ['dns'], {
      hostname: 'tunstack.test',
      dnsRecords: [{ name: 'web.test', addr: '10.77.41.80' }, ...BIG.map((addr) => ({ name: 'big.test', addr }))],
    });
  });

  afterAll(async () => {
    await services?.close();
    await stack?.close();
    ns?.destroy();
  });

  it('dig @stack name: A for --hostname and --dns-record names, authoritative', async () => {
    expect((await dig(['+short', 'tunstack.test'])).trim()).toBe(ADDR);
    expect((await dig(['+short', 'WEB.test.'])).trim()).toBe('10.77.41.80');
    const full = await dig(['tunstack.test']);
    expect(full).toMatch(/status: NOERROR/);
    expect(full).toMatch(/flags: qr aa rd;/);
  });

  it('dig -x: PTR back to the name; unknown names: NXDOMAIN; other types: NODATA', async () => {
    expect((await dig(['+short', '-x', ADDR])).trim()).toBe('tunstack.test.');
    expect(await dig(['nope.test'])).toMatch(/status: NXDOMAIN/);
    const aaaa = await dig(['tunstack.test', 'AAAA']);
    expect(aaaa).toMatch(/status: NOERROR/);
    expect(aaaa).toMatch(/ANSWER: 0,/);
  });

  it('dig +tcp: the same answer over TCP port 53', async () => {
    const opens = () => (stack.counters().Tcp as Record<string, number>).PassiveOpens ?? 0;
    const before = opens();
    expect((await dig(['+tcp', '+short', 'tunstack.test'])).trim()).toBe(ADDR);
    expect(opens()).toBe(before + 1);
  });

  it('a 100-address answer is truncated over UDP (TC) and dig retries over TCP', async () => {
    const out = await dig(['big.test']);
    expect(out).toMatch(/Truncated, retrying in TCP mode/);
    expect(out).toMatch(/ANSWER: 100,/);
    const noedns = await dig(['+noedns', '+ignore', 'big.test']);
    expect(noedns).toMatch(/flags: qr aa tc rd;/);
  });

  it('our stub resolver against dnsmasq on the kernel side: A, NXDOMAIN, and ETIMEOUT after retries', async () => {
    const dnsmasq = ns.spawn('dnsmasq', [
      '--keep-in-foreground', '--no-resolv', '--no-hosts', '--conf-file=/dev/null', '--pid-file=',
      `--listen-address=${HOST}`, '--bind-interfaces', '--port=53', '--log-queries', '--log-facility=-',
      '--address=/kernel.test/10.77.41.99', '--address=/gone.test/',
    ]);
    try {
      let stderr = '';
      dnsmasq.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      for (let i = 0; i < 50 && !/started/.test(stderr); i++) await new Promise((r) => setTimeout(r, 100));
      expect(stderr).toMatch(/started/);
      expect(await stack.resolve4('kernel.test', { server: HOST })).toEqual(['10.77.41.99']);
      await expect(stack.resolve4('gone.test', { server: HOST })).rejects.toMatchObject({ code: 'ENOTFOUND' });
      expect(stderr).toMatch(/query\[A\] kernel\.test from 10\.77\.41\.2/);
      // No server on port 5353: every try times out (the ICMP port unreachable is not an answer).
      const t0 = Date.now();
      const err = await stack.resolve4('kernel.test', { server: HOST, port: 5353, timeoutMs: 200, tries: 3 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DnsError);
      expect((err as DnsError).code).toBe('ETIMEOUT');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    } finally {
      if (dnsmasq.pid !== undefined && dnsmasq.exitCode === null) process.kill(dnsmasq.pid, 'SIGTERM');
    }
  });

  // Last: it empties the kernel side's RRL bucket.
  it('a flood of 1000 UDP queries for the 100-address name gets at most burst + slips back (RRL), counted; dig +tcp still answers', async () => {
    const before = { ...services.counters().Dns };
    // 1000 EDNS0 queries in 20 bursts of 50, 20 ms apart (a burst of 1000 would overflow the
    // TUN's 500-packet queue before the stack saw it), then count what comes back.
    const script = `
      const dgram = require('dgram'); const s = dgram.createSocket('udp4');
      const q = Buffer.from('${ednsQuery('big.test').toString('hex')}', 'hex');
      let full = 0, tc = 0, tcMax = 0;
      s.on('message', (m) => { if (m[2] & 2) { tc++; tcMax = Math.max(tcMax, m.length); } else full++; });
      const burst = (k) => { for (let i = 0; i < 50; i++) s.send(q, 53, '${ADDR}'); if (k < 19) setTimeout(() => burst(k + 1), 20); };
      s.bind(0, () => { burst(0);
        setTimeout(() => { console.log(JSON.stringify({ full, tc, tcMax, qLen: q.length })); s.close(); }, 1500); });`;
    const r = await ns.exec(process.execPath, ['-e', script], { timeoutMs: 15_000 });
    const got = JSON.parse(r.stdout.trim()) as { full: number; tc: number; tcMax: number; qLen: number };
    const after = services.counters().Dns;
    const d = (k: string) => after[k] - before[k];
    // Most arrive (on a busy machine some are lost in the TUN's queue, before the stack).
    expect(d('udpQueries')).toBeGreaterThan(600);
    // Default limit: 40 at once plus 20/s over the ≤ 1.5 s of the flood; every 2nd limited response slips out truncated.
    expect(got.full).toBeGreaterThanOrEqual(40);
    expect(got.full).toBeLessThanOrEqual(40 + 2 * 20);
    expect(got.full).toBe(d('answered'));
    expect(got.tc).toBe(d('rrlSlipped'));
    expect(d('rrlDropped') + d('rrlSlipped') + d('answered')).toBe(d('udpQueries'));
    // Past the limit nothing is amplified: a slipped reply is no larger than the query.
    expect(got.tc).toBeGreaterThan(250);
    expect(d('rrlDropped')).toBeGreaterThan(250);
    expect(got.tcMax).toBeLessThanOrEqual(got.qLen);
    // TCP proves the source address and is not limited.
    const tcp = await dig(['+tcp', '+short', 'tunstack.test']);
    expect(tcp.trim()).toBe(ADDR);
  });
});

function ednsQuery(name: string): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: 1,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', class: 'IN', name }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: 0 } as never],
  });
}
