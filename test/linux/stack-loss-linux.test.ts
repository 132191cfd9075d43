/**
 * TCP against real Linux under loss. The kernel here has no sch_netem, so the
 * faults are injected on our side of the TUN: the stack's TunLink is wrapped
 * by withFaults (seeded; the seed is printed, TUNSTACK_LOSS_SEED replays it)
 * with loss, duplication and reordering in both directions. Kernel peers
 * (curl, Node net programs) run in a namespace this test creates and always
 * removes. Throughput under loss is printed, not asserted.
 *
 * Exploring: TUNSTACK_LOSS_FAULTS='{"tx":{"loss":0.05},"rx":{}}' replaces the
 * faults; TSNL_PCAP=/tmp/x.pcap records the kernel's view of tun0 (after our
 * tx faults, before our rx faults).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createNetns, linuxReady, type Netns } from './harness.js';
import { Stack } from '../../src/stack.js';
import { TunLink } from '../../src/link/tun.js';
import { withFaults, type FaultyLink, type LinkFaults } from '../../src/link/faults.js';
import { RealClock } from '../../src/time/real-clock.js';
import { SeededRng } from '../../src/util/random.js';
import { startServices, type RunningServices } from '../../src/apps/services.js';

const ready = linuxReady('curl');
const HOST = '10.77.9.1';
const ADDR = '10.77.9.2';
const MiB = 1024 * 1024;
// netem-like: 5% loss, 2% duplication, 2% of packets held back 3 ms (overtaken), each direction.
// TUNSTACK_LOSS_FAULTS='{"tx":{...},"rx":{...}}' overrides them to explore.
const DEFAULT_FAULTS: LinkFaults = { loss: 0.05, duplicate: 0.02, reorder: 0.02, reorderHoldMs: 3 };
const FAULTS = JSON.parse(process.env.TUNSTACK_LOSS_FAULTS ?? 'null') as { tx?: LinkFaults; rx?: LinkFaults } | null;

/** Deterministic bytes the kernel-side programs can regenerate from (n, salt). */
function pattern(n: number, salt: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i += 4) b.writeUInt32LE(Math.imul(i + salt, 2654435761) >>> 0, i);
  return b;
}
// The same generator as source text for `node -e` in the namespace.
const PATTERN_JS = `function pattern(n, salt) { const b = Buffer.alloc(n); for (let i = 0; i < n; i += 4) b.writeUInt32LE(Math.imul(i + salt, 2654435761) >>> 0, i); return b; }`;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const mbps = (bytes: number, ms: number) => ((bytes * 8) / (ms * 1000)).toFixed(1) + ' Mbit/s';

/** Wait for a spawned program's stdout to contain `marker`; resolve with everything it printed by exit. */
function output(child: ChildProcess): { ready: (marker: string) => Promise<void>; done: Promise<string> } {
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<string>((resolve) => child.on('close', () => resolve(out + (err ? `\nstderr: ${err}` : ''))));
  const ready = (marker: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => out.includes(marker) && resolve();
      child.stdout!.on('data', check);
      child.on('close', (c) => reject(new Error(`exited ${c} before '${marker}': ${out} ${err}`)));
      check();
    });
  return { ready, done };
}

describe.skipIf(!ready)('TCP over a real TUN with 5% loss, duplication and reordering both ways (linux)', () => {
  const seed = Number(process.env.TUNSTACK_LOSS_SEED ?? randomInt(2 ** 31));
  let ns: Netns;
  let stack: Stack;
  let link: FaultyLink;
  let services: RunningServices;
  let root: string;
  let bigSha: string;
  const BIG = 16 * MiB;

  beforeAll(async () => {
    console.log(`stack-loss-linux seed ${seed} (replay with TUNSTACK_LOSS_SEED=${seed})`);
    root = mkdtempSync(join(tmpdir(), 'tunstack-loss-'));
    const big = pattern(BIG, 1);
    writeFileSync(join(root, 'big.bin'), big);
    bigSha = sha(big);
    ns = await createNetns('tsnl');
    const clock = new RealClock();
    const tun = TunLink.open({ name: 'tun0', netns: ns.name, mtu: 1500, addr: HOST, prefixLen: 24, up: true });
    link = withFaults(tun, { clock, rng: new SeededRng(seed), tx: FAULTS?.tx ?? DEFAULT_FAULTS, rx: FAULTS?.rx ?? DEFAULT_FAULTS });
    stack = new Stack({ link, addr: ADDR, clock, rng: new SeededRng(seed ^ 0x7f4a7c15) });
    services = await startServices(stack, ['echo', 'http'], { httpRoot: root });
    if (process.env.TSNL_PCAP) {
      ns.spawn('tcpdump', ['-i', 'tun0', '-s', '120', '-w', process.env.TSNL_PCAP]);
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  afterAll(async () => {
    try {
      if (stack) console.log(`stack-loss-linux seed ${seed} counters:\n${stack.report()}`);
      // The kernel peers' side of the same story (retransmissions, timeouts, probes).
      const k = await ns?.exec('nstat', ['-az', 'TcpRetransSegs', 'TcpExtTCPTimeouts', 'TcpExtTCPLossProbes', 'TcpExtTCPSackRecovery', 'TcpExtTCPLostRetransmit', 'TcpExtPAWSEstab']);
      if (k) console.log(`kernel side (nstat in ${ns.name}):\n${k.stdout}`);
      await services?.close();
      await stack?.close();
    } finally {
      ns?.destroy();
      if (root) rmSync(root, { recursive: true, force: true });
    }
  });

  it('curl GET of a 16 MiB file from our HTTP service: sha256 matches', async () => {
    const t0 = performance.now();
    const r = await ns.exec('sh', ['-c', `curl -sS --max-time 40 http://${ADDR}/big.bin | sha256sum`], { timeoutMs: 45_000 });
    const ms = performance.now() - t0;
    console.log(`loss seed ${seed}: curl GET 16 MiB in ${ms.toFixed(0)} ms = ${mbps(BIG, ms)} (${r.stderr.trim()})`);
    expect(r.stdout.split(' ')[0]).toBe(bigSha);
    expect(ms).toBeLessThan(40_000);
  }, 50_000);

  it('kernel client ↔ our echo: 8 MiB full duplex, byte-exact both ways', async () => {
    const N = 8 * MiB;
    const expected = sha(pattern(N, 2));
    // The kernel client writes everything while reading the echo, then half-closes;
    // the echo service closes after echoing all of it.
    const client = ns.spawn(process.execPath, [
      '-e',
      `${PATTERN_JS}
       const data = pattern(${N}, 2); const h = require('crypto').createHash('sha256'); let n = 0;
       const t0 = Date.now();
       const s = require('net').connect(7, '${ADDR}', () => s.end(data));
       s.on('data', (d) => { n += d.length; h.update(d); });
       s.on('end', () => console.log(JSON.stringify({ n, sha: h.digest('hex'), ms: Date.now() - t0 })));
       s.on('error', (e) => { console.log('error ' + e.code); process.exit(1); });
       setTimeout(() => { console.log('timeout at ' + n); process.exit(2); }, 40000).unref();`,
    ]);
    const out = await output(client).done;
    const line = out.split('\n').find((l) => l.startsWith('{'));
    expect(line, out).toBeDefined();
    const res = JSON.parse(line!) as { n: number; sha: string; ms: number };
    console.log(`loss seed ${seed}: echo 8 MiB each way in ${res.ms} ms = ${mbps(N, res.ms)} per direction`);
    expect(res.n).toBe(N);
    expect(res.sha).toBe(expected);
  }, 50_000);

  it('our stack as client uploads 8 MiB to a kernel server: count and sha256 verified there', async () => {
    const N = 8 * MiB;
    const data = pattern(N, 3);
    const server = ns.spawn(process.execPath, [
      '-e',
      `const h = require('crypto').createHash('sha256'); let n = 0;
       require('net').createServer((s) => {
         s.on('data', (d) => { n += d.length; h.update(d); });
         s.on('end', () => { const r = JSON.stringify({ n, sha: h.digest('hex') }); console.log(r); s.end(r); });
       }).listen(5001, '${HOST}', () => console.log('listening'));
       setTimeout(() => process.exit(2), 40000).unref();`,
    ]);
    const srv = output(server);
    await srv.ready('listening');
    const t0 = performance.now();
    const reply = await new Promise<string>((resolve, reject) => {
      const sock = stack.connect({ host: HOST, port: 5001 }, () => sock.end(data));
      let got = '';
      sock.on('data', (d: Buffer) => (got += d.toString()));
      sock.on('end', () => resolve(got));
      sock.on('error', reject);
    });
    const ms = performance.now() - t0;
    console.log(`loss seed ${seed}: upload 8 MiB in ${ms.toFixed(0)} ms = ${mbps(N, ms)}`);
    if (server.pid) process.kill(server.pid);
    const kernelSide = JSON.parse(reply) as { n: number; sha: string };
    expect(kernelSide).toEqual({ n: N, sha: sha(data) });
  }, 50_000);

  it('loss really happened and was repaired by retransmission, with no IPv4 fragmentation failures', () => {
    const c = stack.counters();
    const faults = c.Faults;
    expect(faults.txLost).toBeGreaterThan(0);
    expect(faults.rxLost).toBeGreaterThan(0);
    expect(faults.txDuplicated + faults.rxDuplicated).toBeGreaterThan(0);
    expect(faults.txReordered + faults.rxReordered).toBeGreaterThan(0);
    expect(c.Tcp.RetransSegs).toBeGreaterThan(0);
    expect(c.Ip.fragFails).toBe(0);
  });
});
