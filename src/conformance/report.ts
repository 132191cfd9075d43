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

/** `--target both`: the header, then one row per script as it completes, then reasons and counts. */
export class BothTable {
  private readonly rows: Row[] = [];

  constructor(
    private readonly out: { write(s: string): unknown },
    names: string[],
    private readonly width = Math.max(6, ...names.map((n) => n.length)),
  ) {
    out.write(`${'script'.padEnd(this.width)}  tunstack  linux\n`);
  }

  add(r: Row): void {
    this.rows.push(r);
    this.out.write(`${r.name.padEnd(this.width)}  ${(r.tunstack?.status ?? '-').padEnd(8)}  ${r.linux?.status ?? '-'}\n`);
  }

  /** Reasons below the table, one count line per target; returns the exit status (1 if any cell failed). */
  finish(): number {
    const notes = this.rows.flatMap((r) =>
      (['tunstack', 'linux'] as const).flatMap((k) => {
        const o = r[k];
        return o && o.status !== 'PASS' ? [`${o.status} ${k} ${r.name}: ${detail(o)}`] : [];
      }),
    );
    if (notes.length) this.out.write(`\n${notes.join('\n')}\n`);
    const ts = tally(this.rows.flatMap((r) => (r.tunstack ? [r.tunstack] : [])));
    const lx = tally(this.rows.flatMap((r) => (r.linux ? [r.linux] : [])));
    this.out.write(`tunstack: ${ts.passed} passed, ${ts.failed} failed, ${ts.skipped} skipped\n`);
    this.out.write(`linux: ${lx.passed} passed, ${lx.failed} failed, ${lx.skipped} skipped\n`);
    return ts.failed + lx.failed > 0 ? 1 : 0;
  }
}
