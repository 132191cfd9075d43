/**
 * The congestion trace (src/tcp/trace.ts) from a real lossy transfer in
 * virtual time, and `tunstack chart` drawing it (src/trace/chart.ts), plus
 * the command's misuse errors (run on the built CLI, as test/run/cli.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMemoryLinkPair } from '../../src/link/memory.js';
import { Stack } from '../../src/stack.js';
import type { TraceRecord } from '../../src/tcp/trace.js';
import { connectionsOf, parseTrace, renderChart } from '../../src/trace/chart.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng } from '../../src/util/random.js';
import { ipv4 } from '../../src/wire/ip-address.js';

const CLI = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));

/** 512 KiB over a 2%-lossy 10 ms path, traced on the sender. */
function tracedTransfer(): TraceRecord[] {
  const seed = 5;
  console.log(`trace seed=${seed}`);
  const clock = new VirtualClock(0);
  const [la, lb] = createMemoryLinkPair({ clock, rng: new SeededRng(seed), faults: { delayMs: 5, loss: 0.02, rateBytesPerSec: 5_000_000 } });
  const trace: TraceRecord[] = [];
  const a = new Stack({ link: la, addr: '10.0.0.1', clock, rng: new SeededRng(seed + 1), tcpTrace: (r) => trace.push(r) });
  const b = new Stack({ link: lb, addr: '10.0.0.2', clock, rng: new SeededRng(seed + 2) });
  const total = 512 * 1024;
  let got = 0;
  const l = b.tcp.listen(9, 4, () => {
    const c = l.accept()!;
    const drain = (): void => {
      for (let d = c.read(); d; d = c.read()) got += d.length;
    };
    c.handler = { onConnect() {}, onReadable: drain, onWritable() {}, onError() {}, onClose() {} };
  });
  const data = Buffer.alloc(total, 1);
  let sent = 0;
  const conn = a.tcp.connect(ipv4('10.0.0.2'), 9, {
    onConnect: () => pump(),
    onReadable() {},
    onWritable: () => pump(),
    onError() {},
    onClose() {},
  });
  function pump(): void {
    while (sent < total) {
      const n = conn.send(data.subarray(sent));
      if (n === 0) return;
      sent += n;
    }
  }
  while (got < total) {
    const next = clock.nextAt();
    if (next === undefined || next > 120_000) throw new Error('stalled');
    clock.runUntil(next);
  }
  return trace;
}

describe('congestion trace and chart', () => {
  const trace = tracedTransfer();

  it('records cwnd, ssthresh, in flight, srtt and rto over time, with recovery entered and left', () => {
    expect(trace.length).toBeGreaterThan(50);
    const r = trace[trace.length - 1];
    for (const k of ['t', 'cwnd', 'ssthresh', 'inflight', 'srtt', 'rto'] as const) expect(typeof r[k]).toBe('number');
    expect(trace.some((x) => x.ev === 'recovery')).toBe(true);
    expect(trace.some((x) => x.ev === 'recovery-exit')).toBe(true);
    // Time only moves forward; each entry into recovery lowers ssthresh below the window it had.
    for (let i = 1; i < trace.length; i++) expect(trace[i].t).toBeGreaterThanOrEqual(trace[i - 1].t);
    const enter = trace.find((x) => x.ev === 'recovery')!;
    expect(enter.ssthresh).toBeLessThan(Math.max(...trace.filter((x) => x.t <= enter.t).map((x) => x.cwnd)));
  });

  it('round-trips through JSON lines and draws an SVG with the series and the events', () => {
    const parsed = parseTrace(`${trace.map((r) => JSON.stringify(r)).join('\n')}\nnot json\n`);
    expect(parsed).toEqual(trace);
    const [conn] = connectionsOf(parsed);
    const svg = renderChart(parsed, conn);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline/g)?.length).toBe(5); // cwnd, ssthresh, in flight; srtt, rto
    expect(svg).toMatch(/recovery ×\d+/);
  });

  it('tunstack chart TRACE -o FILE writes the SVG; misuse exits 2 naming the fix', () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npx tsc -p .' first`);
    const dir = mkdtempSync(join(tmpdir(), 'tschart-'));
    try {
      const file = join(dir, 't.jsonl');
      writeFileSync(file, trace.map((r) => JSON.stringify(r)).join('\n'));
      const ok = spawnSync(process.execPath, [CLI, 'chart', file, '-o', join(dir, 'c.svg')], { encoding: 'utf8' });
      expect(ok.status).toBe(0);
      expect(readFileSync(join(dir, 'c.svg'), 'utf8')).toMatch(/^<svg/);
      const noOut = spawnSync(process.execPath, [CLI, 'chart', file], { encoding: 'utf8' });
      expect([noOut.status, noOut.stderr]).toEqual([2, 'tunstack: chart needs an output file: -o FILE.svg\n']);
      writeFileSync(join(dir, 'empty'), 'nothing here\n');
      const empty = spawnSync(process.execPath, [CLI, 'chart', join(dir, 'empty'), '-o', join(dir, 'x.svg')], { encoding: 'utf8' });
      expect(empty.status).toBe(2);
      expect(empty.stderr).toMatch(/--cwnd-trace FILE/);
      const badCc = spawnSync(process.execPath, [CLI, 'up', '--cc', 'vegas'], { encoding: 'utf8' });
      expect([badCc.status, badCc.stderr]).toEqual([2, "tunstack: --cc must be one of cubic, newreno, reno, bbr (got 'vegas')\n"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
