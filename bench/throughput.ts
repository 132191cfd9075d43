/**
 * Side-by-side TCP throughput in one run: the Linux kernel against itself
 * over a veth pair (the reference), and kernel TCP against tunstack over a
 * TUN with `--offload off` and `--offload on`; upload (kernel → tunstack) and
 * download (tunstack → kernel); 1 and 4 streams; MTU 1500 and 9000; several
 * rounds each, interleaved so a noisy neighbour hits every implementation
 * alike. Figures on a shared machine are only meaningful as ratios.
 *
 * Everything lives in namespaces this script creates and removes; every
 * transfer is bounded in bytes and time. Run as root:
 *   npm run bench:throughput [-- --quick] [-- --rounds N --mib N] [-- --tx-thread on|off] (-- --help for the rest)
 * Prints one table, writes bench/results/latest.json and latest.svg.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { IMPLS, caseKey, summarize, svgChart, table, type Case, type Impl, type Sample } from './throughput-report.js';
import { cleanupNetns, kernelRun, tunSide, tunstackRun, vethPair } from './throughput-run.js';

const USAGE = `usage: npm run bench:throughput [-- --quick] [--rounds N] [--mib N] [--dir up|down] [--streams N] [--mtu N]
  --quick       one round of 64 MiB, 1 stream, MTU 1500
  --rounds N    rounds per case (default 3, --quick 1)
  --mib N       MiB per transfer (default 256, --quick 64)
  --dir D       only uploads (up: kernel -> tunstack) or downloads (down)
  --streams N   only N parallel streams (default 1 and 4, --quick 1)
  --mtu N       only MTU N (default 1500 and 9000, --quick 1500)
  --tx-thread on|off  TUN writes on the addon's writer thread or the JS thread (default off)`;
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    mib: { type: 'string' },
    dir: { type: 'string' },
    streams: { type: 'string' },
    mtu: { type: 'string' },
    'tx-thread': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (values.dir !== undefined && values.dir !== 'up' && values.dir !== 'down') {
  console.error(`--dir must be up or down, not ${values.dir}\n${USAGE}`);
  process.exit(2);
}
const TX_THREAD = values['tx-thread'] === undefined ? undefined : values['tx-thread'] === 'on';
if (values['tx-thread'] !== undefined && !['on', 'off'].includes(values['tx-thread'])) {
  console.error(`--tx-thread takes on or off (writes on the addon writer thread or the JS thread)\n${USAGE}`);
  process.exit(2);
}
const QUICK = values.quick === true;
const ROUNDS = Number(values.rounds ?? (QUICK ? 1 : 3));
const MIB = Number(values.mib ?? (QUICK ? 64 : 256));
const STREAMS = values.streams !== undefined ? [Number(values.streams)] : QUICK ? [1] : [1, 4];
const MTUS = values.mtu !== undefined ? [Number(values.mtu)] : QUICK ? [1500] : [1500, 9000];
const DIRS = values.dir !== undefined ? [values.dir as 'up' | 'down'] : (['up', 'down'] as const);
const BYTES = MIB * 1024 * 1024;

async function main(): Promise<void> {
  const cases: Case[] = [];
  for (const mtu of MTUS) for (const streams of STREAMS) for (const dir of DIRS) cases.push({ dir, streams, mtu });
  const results = new Map<string, Sample[]>();
  const add = (impl: Impl, c: Case, s: Sample): void => {
    const k = `${impl} ${caseKey(c)}`;
    results.set(k, [...(results.get(k) ?? []), s]);
    console.log(`  ${k}: ${s.gbps.toFixed(2)} Gbit/s, ${s.cpuPerGiB.toFixed(2)} CPU s/GiB`);
  };
  for (const mtu of MTUS) {
    const veth = vethPair(mtu);
    const off = tunSide(mtu, 'off', TX_THREAD);
    const on = tunSide(mtu, 'on', TX_THREAD);
    try {
      for (let round = 0; round < ROUNDS; round++) {
        for (const c of cases.filter((x) => x.mtu === mtu)) {
          add('kernel-veth', c, await kernelRun(c, veth, BYTES));
          add('tunstack-offload-off', c, await tunstackRun(c, off, BYTES));
          add('tunstack-offload-on', c, await tunstackRun(c, on, BYTES));
        }
      }
    } finally {
      await off.stack.close();
      await on.stack.close();
    }
  }
  const rows = summarize(results, cases);
  const title = `TCP throughput, ${MIB} MiB per transfer, ${ROUNDS} round(s), ${new Date().toISOString()}`;
  console.log(`\n${title} (compare ratios: the machine is shared)\n`);
  console.log(table(rows));
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), JSON.stringify({ title, mib: MIB, rounds: ROUNDS, impls: IMPLS, rows }, null, 2) + '\n');
  writeFileSync(join(dir, 'latest.svg'), svgChart(rows, title));
  console.log(`\nwrote ${join(dir, 'latest.json')} and latest.svg`);
}

try {
  await main();
} finally {
  cleanupNetns();
}
