/** `tunstack explain`: argument checks, then run a scenario (or read a trace) and print or draw the ladder. */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CliError } from '../run/errors.js';
import { buildLadder } from './ladder.js';
import { renderSvg } from './render-svg.js';
import { renderText } from './render-text.js';
import { runScenario } from './run-scenario.js';
import { SCENARIOS, scenarioByName } from './scenarios.js';
import { parseTraceLines } from './trace-format.js';

function numberOption(name: string, raw: string | undefined, def: number, ok: (n: number) => boolean, want: string): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new CliError(`--${name} must be ${want} (got '${raw}')`);
  return n;
}

/** Names the valid scenarios, and the likely one for a typo (edit distance ≤ 2, or a prefix). */
function unknownScenario(name: string): string {
  const names = SCENARIOS.map((s) => s.name);
  const near = names.filter((n) => n.startsWith(name) || editDistance(n, name) <= 2);
  const hint = near.length > 0 ? ` — did you mean ${near.join(' or ')}?` : '';
  return `unknown scenario '${name}'${hint} (one of ${names.join(', ')}; 'tunstack explain --list' describes each)`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

export async function explainCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      seed: { type: 'string' },
      loss: { type: 'string' },
      rtt: { type: 'string' },
      svg: { type: 'string' },
      json: { type: 'boolean', default: false },
      trace: { type: 'string' },
      list: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.list) {
    if (positionals.length > 0 || values.trace !== undefined) throw new CliError('--list lists the scenarios: give it alone (then run one with tunstack explain NAME)');
    const w = Math.max(...SCENARIOS.map((s) => s.name.length));
    process.stdout.write(SCENARIOS.map((s) => `${s.name.padEnd(w)}  ${s.title}\n`).join(''));
    return 0;
  }
  let trace;
  if (values.trace !== undefined) {
    if (positionals.length > 0) throw new CliError('--trace FILE replaces the scenario: give one or the other');
    let text: string;
    try {
      text = readFileSync(values.trace, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read --trace ${values.trace}: ${(e as Error).message}`);
    }
    const parsed = parseTraceLines(text);
    if (typeof parsed === 'string') throw new CliError(`--trace ${values.trace}: ${parsed}`);
    trace = parsed;
  } else {
    const name = positionals[0];
    if (name === undefined) throw new CliError(`name a scenario: ${SCENARIOS.map((s) => s.name).join(', ')} (or --list)`);
    if (positionals.length > 1) throw new CliError(`one scenario at a time (got ${positionals.join(' ')})`);
    if (!scenarioByName(name)) throw new CliError(unknownScenario(name));
    const seed = numberOption('seed', values.seed, 1, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
    const loss = numberOption('loss', values.loss, 0, (n) => n >= 0 && n < 1, 'a probability from 0 to below 1, such as 0.1');
    const rttMs = numberOption('rtt', values.rtt, 10, (n) => n >= 0 && n <= 10_000, 'milliseconds from 0 to 10000');
    trace = runScenario(name, { seed, loss, rttMs });
  }
  const ladder = buildLadder(trace.header, trace.steps);
  if (values.svg !== undefined) writeFileSync(values.svg, renderSvg(ladder));
  process.stdout.write(values.json ? JSON.stringify(ladder, null, 1) + '\n' : renderText(ladder));
  return 0;
}
