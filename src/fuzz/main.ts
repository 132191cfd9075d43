/**
 * `npm run fuzz -- [--target NAME] [--seconds S] [--inputs N] [--seed N] [--path P]`:
 * run fuzz targets (all when none is named) for S seconds each, or until N
 * inputs in all (shared evenly by the targets, each still bounded by S when
 * --seconds is given too), and end with
 * one line `fuzz: <inputs> inputs, <failures> failures`. A failure prints the
 * shrunk input, the broken invariant and the seed/path that replays it, and
 * is saved under fuzz/crashes/ to become a regression test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTargetChunked, type FuzzResult } from './harness.js';
import { ALL_TARGETS } from './targets.js';
import { repoRoot } from './corpus.js';

function usage(msg: string): never {
  process.stderr.write(`fuzz: ${msg}\nusage: npm run fuzz -- [--target NAME] [--seconds S] [--inputs N] [--seed N] [--path P]\ntargets: ${ALL_TARGETS.map((t) => t.name).join(', ')}\n`);
  process.exit(2);
}

interface FuzzArgs {
  targets: string[];
  seconds: number;
  inputs?: number;
  seed: number;
  path?: string;
}

function parseArgs(argv: string[]): FuzzArgs {
  const targets: string[] = [];
  let seconds: number | undefined;
  let inputs: number | undefined;
  let seed = Date.now() >>> 0;
  let path: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--help' || a === '-h') usage('run fuzz targets');
    if (v === undefined) usage(`${a} needs a value`);
    i++;
    if (a === '--target') targets.push(...v.split(','));
    else if (a === '--seconds') seconds = Number(v);
    else if (a === '--inputs') inputs = Number(v);
    else if (a === '--seed') seed = Number(v) >>> 0;
    else if (a === '--path') path = v;
    else usage(`unknown option ${a}`);
  }
  if (seconds !== undefined && (!Number.isFinite(seconds) || seconds <= 0)) usage('--seconds takes a positive number');
  if (inputs !== undefined && (!Number.isInteger(inputs) || inputs <= 0)) usage('--inputs takes a positive integer');
  for (const t of targets) if (!ALL_TARGETS.some((x) => x.name === t)) usage(`no target named '${t}'`);
  // With only --inputs, time is unbounded (a day); with neither, 10 s per target.
  return { targets, seconds: seconds ?? (inputs !== undefined ? 86400 : 10), inputs, seed, path };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const chosen = o.targets.length ? ALL_TARGETS.filter((t) => o.targets.includes(t.name)) : ALL_TARGETS;
  let inputs = 0;
  let failures = 0;
  const share = o.inputs === undefined ? undefined : Math.ceil(o.inputs / chosen.length);
  for (const t of chosen) {
    const r: FuzzResult = await runTargetChunked(t, { seconds: o.seconds, inputs: share, seed: o.seed, path: o.path });
    inputs += r.inputs;
    failures += r.failures;
    console.log(`${t.name}: ${r.inputs} inputs, ${r.failures} failures (seed ${r.seed})`);
    if (r.failures) {
      console.log(`  replay: npm run fuzz -- --target ${t.name} --seed ${r.seed} --path ${r.path}`);
      console.log(`  input: ${r.counterexample}`);
      console.log(`  ${r.error}`);
      const dir = join(repoRoot(), 'fuzz', 'crashes');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${t.name}-${r.seed}.json`), JSON.stringify(r, null, 2) + '\n');
    }
  }
  console.log(`fuzz: ${inputs} inputs, ${failures} failures`);
  process.exitCode = failures ? 1 : 0;
}

await main();
