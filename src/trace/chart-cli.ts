/** `tunstack chart TRACE -o FILE.svg [--conn ID]`: draw a congestion trace written by `tunstack up --cwnd-trace FILE`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CliError } from '../run/errors.js';
import { connectionsOf, parseTrace, renderChart } from './chart.js';

export function chartCommand(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    options: { output: { type: 'string', short: 'o' }, conn: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new CliError('chart needs one trace file: tunstack chart TRACE -o FILE.svg');
  if (!values.output) throw new CliError('chart needs an output file: -o FILE.svg');
  let text: string;
  try {
    text = readFileSync(positionals[0], 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${positionals[0]}: ${(e as Error).message}`);
  }
  const records = parseTrace(text);
  const conns = connectionsOf(records);
  if (conns.length === 0) throw new CliError(`${positionals[0]} holds no trace records (write one with 'tunstack up --cwnd-trace FILE')`);
  const conn = values.conn ?? conns[0];
  if (!conns.includes(conn)) throw new CliError(`no connection ${conn} in the trace; it has: ${conns.slice(0, 10).join(', ')}`);
  writeFileSync(values.output, renderChart(records, conn));
  process.stdout.write(`${values.output}: ${conn}, ${records.filter((r) => r.conn === conn).length} samples\n`);
  return 0;
}
