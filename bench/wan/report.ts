/**
 * bench:wan's output: the table, the closing line, and an SVG chart (grouped
 * bars, median goodput with min–max whiskers, tunstack beside the kernel for
 * each path and direction). A "scenario" in the closing line is one path in
 * one direction, the unit the table has one row for.
 */
import { median, type Direction, type StackName, type Transfer, type WanResult } from './measure.js';

export interface Row {
  scenario: string;
  label: string;
  dir: Direction;
  goodput: Record<StackName, { median: number; min: number; max: number }>;
  retrans: Record<StackName, number>;
  rttLoadMs: Record<StackName, number | undefined>;
  ratio: number;
}

function stats(xs: number[]): { median: number; min: number; max: number } {
  return { median: median(xs) ?? 0, min: Math.min(...xs), max: Math.max(...xs) };
}

export function rows(r: WanResult): Row[] {
  const out: Row[] = [];
  for (const sc of r.scenarios) {
    for (const dir of ['down', 'up'] as const) {
      const pick = (s: StackName): Transfer[] => r.transfers.filter((t) => t.scenario === sc.name && t.dir === dir && t.stack === s);
      const [tun, ker] = [pick('tunstack'), pick('kernel')];
      if (tun.length === 0 || ker.length === 0) continue;
      const g = { tunstack: stats(tun.map((t) => t.goodputMbit)), kernel: stats(ker.map((t) => t.goodputMbit)) };
      const rtt = (ts: Transfer[]): number | undefined => median(ts.flatMap((t) => (t.rttLoadMs === undefined ? [] : [t.rttLoadMs])));
      out.push({
        scenario: sc.name,
        label: sc.label,
        dir,
        goodput: g,
        retrans: { tunstack: median(tun.map((t) => t.retrans)) ?? 0, kernel: median(ker.map((t) => t.retrans)) ?? 0 },
        rttLoadMs: { tunstack: rtt(tun), kernel: rtt(ker) },
        ratio: g.kernel.median > 0 ? g.tunstack.median / g.kernel.median : 0,
      });
    }
  }
  return out;
}

export function summaryLine(rs: readonly Row[]): string {
  return `wan: median goodput ratio tunstack/kernel ${(median(rs.map((r) => r.ratio)) ?? 0).toFixed(2)} over ${rs.length} scenarios`;
}

const f1 = (x: number): string => x.toFixed(2);
const arrow = (d: Direction): string => (d === 'down' ? 'down (server→client)' : 'up (client→server)');

export function table(r: WanResult): string {
  const rs = rows(r);
  const head = ['scenario', 'direction', 'tunstack Mbit/s median (min–max)', 'kernel Mbit/s median (min–max)', 'retrans tun/kern', 'RTT under load ms tun/kern', 'ratio'];
  const body = rs.map((x) => [
    x.scenario,
    arrow(x.dir),
    `${f1(x.goodput.tunstack.median)} (${f1(x.goodput.tunstack.min)}–${f1(x.goodput.tunstack.max)})`,
    `${f1(x.goodput.kernel.median)} (${f1(x.goodput.kernel.min)}–${f1(x.goodput.kernel.max)})`,
    `${x.retrans.tunstack}/${x.retrans.kernel}`,
    `${x.rttLoadMs.tunstack?.toFixed(0) ?? '-'}/${x.rttLoadMs.kernel?.toFixed(0) ?? '-'}`,
    f1(x.ratio),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function svgChart(r: WanResult): string {
  const rs = rows(r);
  const max = Math.max(1, ...rs.flatMap((x) => [x.goodput.tunstack.max, x.goodput.kernel.max]));
  const groupW = 64;
  const left = 50;
  const top = 56;
  const h = 260;
  const width = left + rs.length * groupW + 20;
  const y = (v: number): number => top + h - (v / max) * h;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top + h + 110}" font-family="sans-serif" font-size="11">`,
    `<text x="${left}" y="20" font-size="14">bench:wan goodput (Mbit/s, median, whiskers min–max, ${r.rounds} rounds × ${r.secs} s) — ${esc(summaryLine(rs))}</text>`,
    `<rect x="${left}" y="28" width="10" height="10" fill="#2a7ab9"/><text x="${left + 14}" y="37">tunstack</text>`,
    `<rect x="${left + 80}" y="28" width="10" height="10" fill="#c8553d"/><text x="${left + 94}" y="37">Linux ${esc(r.kernelRelease)} (cubic)</text>`,
  ];
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    parts.push(`<line x1="${left}" x2="${width - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(0)}</text>`);
  }
  rs.forEach((x, i) => {
    const gx = left + i * groupW + 8;
    (['tunstack', 'kernel'] as const).forEach((s, j) => {
      const g = x.goodput[s];
      const bx = gx + j * 24;
      parts.push(`<rect x="${bx}" y="${y(g.median)}" width="20" height="${top + h - y(g.median)}" fill="${s === 'tunstack' ? '#2a7ab9' : '#c8553d'}"><title>${s} ${x.scenario} ${x.dir}: ${f1(g.median)} Mbit/s</title></rect>`);
      parts.push(`<line x1="${bx + 10}" x2="${bx + 10}" y1="${y(g.min)}" y2="${y(g.max)}" stroke="#222"/>`);
    });
    parts.push(`<text transform="translate(${gx + 22},${top + h + 8}) rotate(60)">${esc(`${x.scenario} ${x.dir}`)} (${f1(x.ratio)}×)</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
