/** Output of `--target both`: one row per script, a column per target, and the closing count per target. */
import type { Outcome } from './runner.js';

export interface Row {
  name: string;
  tunstack?: Outcome;
  linux?: Outcome;
}

export function tally(outs: Outcome[]): { passed: number; failed: number; skipped: number } {
  const t = { passed: 0, failed: 0, skipped: 0 };
  for (const o of outs) {
    if (o.status === 'PASS') t.passed++;
    else if (o.status === 'SKIP') t.skipped++;
    else t.failed++;
  }
  return t;
}

function detail(o: Outcome): string {
  return o.status === 'FAIL' ? o.message : o.status === 'SKIP' ? o.reason : '';
}

/** Prints the table and the reasons below it; returns the exit status (1 if any cell failed). */
export function printTable(rows: Row[], out: { write(s: string): unknown }): number {
  const width = Math.max(6, ...rows.map((r) => r.name.length));
  out.write(`${'script'.padEnd(width)}  tunstack  linux\n`);
  for (const r of rows) out.write(`${r.name.padEnd(width)}  ${(r.tunstack?.status ?? '-').padEnd(8)}  ${r.linux?.status ?? '-'}\n`);
  const notes = rows.flatMap((r) =>
    (['tunstack', 'linux'] as const).flatMap((k) => {
      const o = r[k];
      return o && o.status !== 'PASS' ? [`${o.status} ${k} ${r.name}: ${detail(o)}`] : [];
    }),
  );
  if (notes.length) out.write(`\n${notes.join('\n')}\n`);
  const ts = tally(rows.flatMap((r) => (r.tunstack ? [r.tunstack] : [])));
  const lx = tally(rows.flatMap((r) => (r.linux ? [r.linux] : [])));
  out.write(`tunstack: ${ts.passed} passed, ${ts.failed} failed, ${ts.skipped} skipped\n`);
  out.write(`linux: ${lx.passed} passed, ${lx.failed} failed, ${lx.skipped} skipped\n`);
  return ts.failed + lx.failed > 0 ? 1 : 0;
}
