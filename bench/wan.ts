/**
 * `npm run bench:wan -- [--quick] [--rounds N] [--secs S] [--scenario NAME]... [--cc cubic|bbr|newreno] [--rate-scale F] [--cwnd-trace FILE] [--out DIR] [--vm]`
 *
 * tunstack against Linux TCP over emulated WAN paths (sch_netem): the same
 * kernel client, the same router, the same netem, the server either tunstack
 * on its TUN or kernel TCP in a namespace (bench/wan/topology.ts), both
 * running the same congestion control (`--cc`, default CUBIC). Both
 * directions, fixed-time transfers, ≥ 3 rounds (1 with --quick). Where the
 * running kernel has no sch_netem (this machine kind), the measuring half
 * runs inside `npm run vm` and hands its results back as one JSON line.
 * Prints the table, writes JSON + SVG, ends with
 * `wan: median goodput ratio tunstack/kernel X.XX over N scenarios`.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { VmError } from '../src/vm/errors.js';
import { runVm } from '../src/vm/launch.js';
import { guestEnv } from '../src/vm/main.js';
import { CONGESTION_CONTROLLERS, isCongestionControl } from '../src/tcp/congestion/index.js';
import { DEFAULT_TCP_OPTIONS } from '../src/tcp/api.js';
import { measure, type WanResult } from './wan/measure.js';
import { rows, summaryLine, svgChart, table } from './wan/report.js';
import { pickScenarios, scaleRate, SCENARIOS, type Scenario } from './wan/scenarios.js';
import { KERNEL_CC } from './wan/topology.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RESULT_MARK = 'WAN-RESULT-JSON ';
/** A line of tunstack's --cwnd-trace handed back from the VM (the guest's files vanish with it). */
const TRACE_MARK = 'WAN-CWND-TRACE ';
/** Where the measuring run inside the VM has tunstack write its congestion trace. */
const GUEST_TRACE = '/tmp/tunstack-wan-cwnd.jsonl';

interface Cli {
  rounds: number;
  secs: number;
  scenarios: string[];
  out: string;
  cc: string;
  /** Host path for tunstack's congestion trace (--cwnd-trace). */
  cwndTrace?: string;
  forceVm: boolean;
  inner: boolean;
  passthrough: string[];
  /** --rate-scale: every scenario's rate times this. */
  rateScale: number;
}

const scenariosOf = (cli: Cli): Scenario[] => pickScenarios(cli.scenarios).map((s) => scaleRate(s, cli.rateScale));

function usage(msg: string): never {
  process.stderr.write(`bench:wan: ${msg}\nusage: npm run bench:wan -- [--quick] [--rounds N] [--secs S] [--scenario ${SCENARIOS.map((s) => s.name).join('|')}]... [--cc ${Object.keys(KERNEL_CC).join('|')}] [--rate-scale F] [--cwnd-trace FILE] [--out DIR] [--vm]\n`);
  process.exit(2);
}

function parse(argv: string[]): Cli {
  const cli: Cli = { rounds: 3, secs: 6, scenarios: [], out: join(ROOT, 'bench/results'), cc: DEFAULT_TCP_OPTIONS.congestionControl, forceVm: false, inner: false, passthrough: [], rateScale: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min: number): number => {
      const n = Number(argv[++i]);
      if (!Number.isFinite(n) || n < min) usage(`${a} needs a number ≥ ${min}`);
      cli.passthrough.push(a, String(n));
      return n;
    };
    if (a === '--quick') {
      cli.rounds = 1;
      cli.secs = 4;
      cli.passthrough.push(a);
    } else if (a === '--rounds') cli.rounds = Math.floor(num(1));
    else if (a === '--secs') cli.secs = num(3);
    else if (a === '--rate-scale') {
      cli.rateScale = num(0.01);
      if (cli.rateScale > 1) usage('--rate-scale is at most 1 (rates stay at or below 20 Mbit/s under TCG)');
    }
    else if (a === '--scenario') {
      const n = argv[++i] ?? usage('--scenario needs a name');
      cli.scenarios.push(n);
      cli.passthrough.push(a, n);
    } else if (a === '--cc') {
      cli.cc = argv[++i] ?? usage('--cc needs a name');
      cli.passthrough.push(a, cli.cc);
    } else if (a === '--cwnd-trace') cli.cwndTrace = resolve(argv[++i] ?? usage('--cwnd-trace needs a file'));
    else if (a === '--out') cli.out = resolve(argv[++i] ?? usage('--out needs a directory'));
    else if (a === '--vm') cli.forceVm = true;
    else if (a === '--inner') cli.inner = true;
    else usage(`unknown option ${a}`);
  }
  if (!isCongestionControl(cli.cc)) usage(`--cc ${cli.cc}: tunstack has ${CONGESTION_CONTROLLERS.join(', ')}`);
  if (!KERNEL_CC[cli.cc]) usage(`--cc ${cli.cc}: no kernel counterpart (have: ${Object.keys(KERNEL_CC).join(', ')})`);
  try {
    pickScenarios(cli.scenarios);
  } catch (e) {
    usage((e as Error).message);
  }
  return cli;
}

/** Does this kernel have sch_netem? Probed on the loopback of a namespace made for the purpose. */
export function kernelHasNetem(): boolean {
  const ns = `wprobe-${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) return false;
  try {
    return spawnSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']).status === 0;
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

const log = (m: string): void => void process.stderr.write(`bench:wan: ${m}\n`);

async function measureHere(cli: Cli, where: string): Promise<WanResult> {
  return measure({ root: ROOT, scenarios: scenariosOf(cli), rounds: cli.rounds, secs: cli.secs, where, kernelRelease: release(), cc: cli.cc, cwndTrace: cli.cwndTrace, log });
}

/** Run the measuring half in a VM; its stderr streams through, its result comes back on stdout. */
async function measureInVm(cli: Cli): Promise<WanResult> {
  let result: WanResult | undefined;
  let pending = '';
  const stdout = new Writable({
    write(chunk: Buffer, _enc, cb) {
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith(RESULT_MARK)) result = JSON.parse(line.slice(RESULT_MARK.length)) as WanResult;
        else if (line.startsWith(TRACE_MARK)) appendFileSync(cli.cwndTrace!, line.slice(TRACE_MARK.length) + '\n');
        else process.stdout.write(line + '\n');
      }
      cb();
    },
  });
  const transfers = scenariosOf(cli).length * cli.rounds * 4;
  const status = await runVm({
    argv: [process.execPath, join(ROOT, 'dist/bench/wan.js'), '--inner', ...cli.passthrough, ...(cli.cwndTrace ? ['--cwnd-trace', GUEST_TRACE] : [])],
    cwd: ROOT,
    env: guestEnv(process.env, {}),
    accel: 'auto',
    cpus: 2,
    memoryMiB: 2048,
    timeoutMs: (300 + transfers * (cli.secs + 6)) * 1000,
    bootTimeoutMs: 120_000,
    stdout,
    stderr: process.stderr,
    log: (m) => log(`vm: ${m}`),
  });
  if (status !== 0 || !result) throw new VmError(`the measuring run in the VM failed (status ${status}${result ? '' : ', no result'})`, status || 1);
  return result;
}

function render(cli: Cli, r: WanResult): void {
  mkdirSync(cli.out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const json = join(cli.out, `wan-${stamp}.json`);
  const svg = join(cli.out, `wan-${stamp}.svg`);
  writeFileSync(json, JSON.stringify({ ...r, rows: rows(r) }, null, 2) + '\n');
  writeFileSync(svg, svgChart(r));
  // The newest run also under a fixed name (bench/results/latest.* are bench:throughput's).
  writeFileSync(join(cli.out, 'wan-latest.json'), JSON.stringify({ ...r, rows: rows(r) }, null, 2) + '\n');
  writeFileSync(join(cli.out, 'wan-latest.svg'), svgChart(r));
  process.stdout.write(`\nbench:wan on Linux ${r.kernelRelease} (${r.where}); ${r.rounds} round(s) × ${r.secs} s per transfer; kernel ${r.cc.kernel}, tunstack ${r.cc.tunstack}\n`);
  process.stdout.write(`unconstrained download: tunstack ${r.unconstrainedMbit.tunstack.toFixed(1)} Mbit/s, kernel ${r.unconstrainedMbit.kernel.toFixed(1)} Mbit/s\n`);
  for (const s of r.scenarios) {
    process.stdout.write(`  ${s.name}: ${s.label}; ${s.netem}; idle RTT tunstack ${s.idleRttMs.tunstack?.toFixed(1) ?? '-'} ms, kernel ${s.idleRttMs.kernel?.toFixed(1) ?? '-'} ms\n`);
  }
  const traced = cli.cwndTrace ? `; tunstack's congestion trace in ${cli.cwndTrace} (draw it: node dist/src/cli.js chart ${cli.cwndTrace} -o cwnd.svg --conn ID)` : '';
  process.stdout.write(`${table(r)}\n\nwrote ${json} and ${svg} (also wan-latest.json/.svg)${traced}\n${summaryLine(rows(r))}\n`);
}

async function main(argv: string[]): Promise<number> {
  const cli = parse(argv);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) usage('needs root (network namespaces, TUN, tc qdiscs)');
  if (cli.inner) {
    const r = await measureHere(cli, 'inside npm run vm');
    if (cli.cwndTrace) {
      for (const line of readFileSync(cli.cwndTrace, 'utf8').split('\n')) if (line) process.stdout.write(TRACE_MARK + line + '\n');
    }
    process.stdout.write(RESULT_MARK + JSON.stringify(r) + '\n');
    return 0;
  }
  if (cli.cwndTrace) writeFileSync(cli.cwndTrace, '');
  let r: WanResult;
  if (!cli.forceVm && kernelHasNetem()) r = await measureHere(cli, 'host kernel with sch_netem');
  else {
    log(`${cli.forceVm ? '--vm given' : `this kernel (${release()}) has no sch_netem`}: measuring inside npm run vm`);
    r = await measureInVm(cli);
  }
  render(cli, r);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (c) => process.exit(c),
    (e: unknown) => {
      process.stderr.write(`bench:wan: ${e instanceof VmError ? e.message : e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(e instanceof VmError ? e.status : 1);
    },
  );
}
