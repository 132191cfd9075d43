/**
 * README honesty for the command line: the subcommands, each one's flags and
 * the explain scenarios are the same in three places — the code that parses
 * them (src/cli.ts, src/explain/command.ts, src/trace/chart-cli.ts,
 * src/conformance/main.ts), the usage texts `--help` prints
 * (src/cli-usage.ts), and README.md — and every `npm run X` the README
 * names is a script in package.json. A flag added in one place and not the
 * others fails here, naming it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHART_USAGE, CONFORMANCE_USAGE, EXPLAIN_USAGE, STAT_USAGE, UP_USAGE, USAGE } from '../src/cli-usage.js';
import { SCENARIOS } from '../src/explain/scenarios.js';

const read = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
const README = read('README.md');
const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();
const flagsIn = (text: string): string[] => sorted(text.match(/--[a-z][a-z-]*[a-z]/g) ?? []);

/** The README from the heading that starts with `start` to the next heading of the same or a higher level. */
function section(start: string): string {
  const at = README.indexOf(`\n${start}`);
  if (at < 0) throw new Error(`README has no heading '${start}'`);
  const level = start.match(/^#+/)![0].length;
  const rest = README.slice(at + 1);
  const next = rest.slice(1).search(new RegExp(`\\n#{1,${level}} `));
  return next < 0 ? rest : rest.slice(0, next + 1);
}

/** Long flags in a usage text's option lines (`  --name ARG   text`, `  -i, --info   text`, `  --tun NAME, --tap NAME   text`). */
function usageFlags(usage: string): string[] {
  const heads = usage.split('\n').filter((l) => /^ {2}-/.test(l)).map((l) => l.trim().split(/\s{2,}/)[0]);
  return heads.flatMap(flagsIn).filter((f) => f !== '--help').sort();
}

/** The options a parseArgs call declares, in the body of `function name` in `file`. */
function parsedFlags(file: string, fn: string): string[] {
  const src = read(file);
  const start = src.indexOf(`function ${fn}(`);
  if (start < 0) throw new Error(`${file} has no function ${fn}`);
  const end = src.indexOf('\n}', start);
  const body = src.slice(start, end);
  return sorted([...body.matchAll(/(?:'([a-z][a-z-]*)'|\b([a-z]+)): \{ type: '(?:string|boolean)'/g)].map((m) => `--${m[1] ?? m[2]}`));
}

describe('README and --help agree with the code about the command line', () => {
  it('the subcommands: dispatched by src/cli.ts, listed by `tunstack help`, and in the README command block', () => {
    const cli = read('src/cli.ts');
    const dispatched = sorted([...cli.matchAll(/case '([a-z]+)':\n\s+return wantsHelp/g)].map((m) => m[1]));
    expect(dispatched).toEqual(['chart', 'conformance', 'explain', 'stat', 'up']);
    const inUsage = sorted([...USAGE.matchAll(/^ {2}tunstack ([a-z]+)/gm)].map((m) => m[1]).filter((c) => c !== 'help'));
    expect(inUsage).toEqual(dispatched);
    const block = section('## The `tunstack` command').split('```')[1];
    for (const c of dispatched) expect(block, `README command block lists ${c}`).toMatch(new RegExp(`^tunstack ${c}\\b`, 'm'));
    const inReadme = sorted([...block.matchAll(/^tunstack ([a-z]+)/gm)].map((m) => m[1]));
    expect(inReadme).toEqual(dispatched);
  });

  it('tunstack up: the parsed flags, `up --help` and the README options table are the same set', () => {
    // --conformance-agent is the hidden wire-mode agent flag (src/run/agent.ts), documented under "Wire mode".
    const parsed = parsedFlags('src/cli.ts', 'parseUp').filter((f) => f !== '--conformance-agent');
    expect(usageFlags(UP_USAGE)).toEqual(parsed);
    const table = section('## The `tunstack` command')
      .split('\n')
      .filter((l) => l.startsWith('| `--'))
      .flatMap((l) => flagsIn(l.split('|')[1]));
    expect(sorted(table)).toEqual(parsed);
  });

  it('tunstack stat: parsed flags = `stat --help` flags, each in the README', () => {
    const parsed = parsedFlags('src/cli.ts', 'statCommand');
    expect(usageFlags(STAT_USAGE)).toEqual(parsed);
    const doc = section('### `tunstack stat -i`') + section('## The `tunstack` command');
    for (const f of parsed) expect(flagsIn(doc), `README documents stat ${f}`).toContain(f);
  });

  it('tunstack explain: parsed flags = `explain --help` flags, each in the README explain section; the scenario list is SCENARIOS', () => {
    const parsed = parsedFlags('src/explain/command.ts', 'explainCommand');
    expect(usageFlags(EXPLAIN_USAGE)).toEqual(parsed);
    const doc = section('### `tunstack explain`');
    for (const f of parsed) expect(flagsIn(doc), `README documents explain ${f}`).toContain(f);
    const listed = doc.match(/Scenarios \(`tunstack explain --list`\):([\s\S]*?)\. Options/)![1];
    expect(sorted([...listed.matchAll(/`([a-z-]+)`/g)].map((m) => m[1]))).toEqual(sorted(SCENARIOS.map((s) => s.name)));
  });

  it('tunstack chart: parsed flags = `chart --help` flags, each in the README', () => {
    const parsed = parsedFlags('src/trace/chart-cli.ts', 'chartCommand');
    expect(usageFlags(CHART_USAGE)).toEqual(parsed.filter((f) => f !== '--output'));
    expect(CHART_USAGE).toMatch(/^ {2}-o FILE/m); // --output is spelled -o
    const doc = section('## Congestion control and loss recovery') + section('## The `tunstack` command');
    for (const f of usageFlags(CHART_USAGE)) expect(flagsIn(doc), `README documents chart ${f}`).toContain(f);
  });

  it('tunstack conformance: the runner\'s flags = `conformance --help` flags, each in the README', () => {
    const src = read('src/conformance/main.ts');
    const parsed = sorted([...src.matchAll(/a === '(--[a-z-]+)'/g), ...src.matchAll(/argv\.includes\('(--[a-z-]+)'\)/g)].map((m) => m[1]));
    expect(usageFlags(CONFORMANCE_USAGE)).toEqual(parsed);
    const doc = section('## Conformance scripts');
    for (const f of parsed) expect(flagsIn(doc), `README documents conformance ${f}`).toContain(f);
  });

  it('every `npm run X` the README names is a package.json script', () => {
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    const named = sorted([...README.matchAll(/npm run ([a-z][a-z:-]*)/g)].map((m) => m[1]));
    expect(named.length).toBeGreaterThan(5);
    for (const n of named) expect(scripts, `npm run ${n}`).toContain(n);
  });
});
