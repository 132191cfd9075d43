/**
 * Congestion-control sweep in virtual time: two Stacks over the in-memory
 * link with a rate-limited bottleneck (tail-drop queue), propagation delay
 * and random loss in both directions; one bulk transfer per cell. Prints
 * goodput and the share of data segments retransmitted for each controller.
 * Deterministic (seeded), no devices, no root.
 *
 * Run: `npm run bench:sweep` (`-- --quick` for a smaller grid; `-- --chart
 * FILE.svg` also draws the trace of one cell, by default cubic at 1% loss,
 * 10 ms, 1 BDP queue; `--chart-cell LOSS,RTT,QUEUE` and `--chart-newreno`
 * or `--chart-cc bbr` pick another).
 */
import { writeFileSync } from 'node:fs';
import { Stack } from '../src/stack.js';
import { createMemoryLinkPair } from '../src/link/memory.js';
import { VirtualClock } from '../src/time/virtual-clock.js';
import { SeededRng } from '../src/util/random.js';
import type { TraceRecord } from '../src/tcp/trace.js';
import { renderChart } from '../src/trace/chart.js';
import { bulkTransfer } from './virtual-transfer.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const chartAt = argv.indexOf('--chart');
const chartFile = chartAt >= 0 ? argv[chartAt + 1] : undefined;
const cellAt = argv.indexOf('--chart-cell');
/** loss (fraction), RTT ms, queue in BDP, controller of the charted cell. */
const [chartLoss, chartRtt, chartQueue] = (cellAt >= 0 ? argv[cellAt + 1] : '0.01,10,1').split(',').map(Number);
const ccAt = argv.indexOf('--chart-cc');
const chartCc = ccAt >= 0 ? argv[ccAt + 1] : argv.includes('--chart-newreno') ? 'newreno' : 'cubic';
const RATE = 10_000_000; // bytes/s at the bottleneck (80 Mbit/s)
const MIB = quick ? 1 : 2;
const LOSSES = quick ? [0, 0.01, 0.05] : [0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2];
const RTTS = quick ? [10, 100] : [1, 10, 100];
const QUEUES = quick ? [1] : [0.5, 1, 4];
const CCS = ['newreno', 'cubic', 'bbr'];

interface Cell {
  mbps: number;
  retransPct: number;
}

function run(cc: string, loss: number, rttMs: number, queueBdp: number, trace?: TraceRecord[]): Cell {
  const clock = new VirtualClock(0);
  const bdp = (RATE * rttMs) / 1000;
  const faults = { delayMs: rttMs / 2, rateBytesPerSec: RATE, queueLimitBytes: Math.max(3000, Math.round(queueBdp * bdp)), loss };
  const [la, lb] = createMemoryLinkPair({ clock, rng: new SeededRng(7), faults });
  const tcp = { rcvBuf: 8 << 20, sndBuf: 8 << 20, congestionControl: cc };
  const a = new Stack({ link: la, addr: '10.0.0.1', clock, rng: new SeededRng(1), tcp, tcpTrace: trace ? (r) => trace.push(r) : undefined });
  const b = new Stack({ link: lb, addr: '10.0.0.2', clock, rng: new SeededRng(2), tcp });
  const total = MIB << 20;
  const { conn, secs } = bulkTransfer(clock, a, b, total, `${cc} loss ${loss} rtt ${rttMs}`);
  const segs = total / conn.info().mss;
  return { mbps: (total * 8) / secs / 1e6, retransPct: (100 * (a.tcp.stats.RetransSegs ?? 0)) / segs };
}

console.log(`virtual-time sweep: ${MIB} MiB per cell, bottleneck ${(RATE * 8) / 1e6} Mbit/s, loss each way; goodput Mbit/s (retransmitted %)`);
console.log(`${'loss'.padEnd(6)}${'rtt'.padEnd(7)}${'queue'.padEnd(8)}${CCS.map((c) => c.padEnd(18)).join('')}`);
for (const loss of LOSSES) {
  for (const rtt of RTTS) {
    for (const q of QUEUES) {
      const cells = CCS.map((cc) => run(cc, loss, rtt, q));
      const f = (c: Cell): string => `${c.mbps.toFixed(1).padStart(6)} (${c.retransPct.toFixed(1)}%)`.padEnd(18);
      console.log(`${`${loss * 100}%`.padEnd(6)}${`${rtt}ms`.padEnd(7)}${`${q}BDP`.padEnd(8)}${cells.map(f).join('')}`);
    }
  }
}
if (chartFile) {
  const trace: TraceRecord[] = [];
  const cell = run(chartCc, chartLoss, chartRtt, chartQueue, trace);
  writeFileSync(chartFile, renderChart(trace, trace[0].conn));
  console.log(`chart: ${chartFile} (${chartCc}, ${chartLoss * 100}% loss, ${chartRtt} ms, ${chartQueue} BDP queue: ${cell.mbps.toFixed(1)} Mbit/s)`);
}
