/**
 * Summaries of the throughput benchmark: one text table (Gbit/s median and
 * min–max over the rounds, CPU seconds per GiB moved, ratio to the kernel in
 * the same case), the JSON record, and a static SVG bar chart.
 */

export type Impl = 'kernel-veth' | 'tunstack-offload-off' | 'tunstack-offload-on';
export const IMPLS: Impl[] = ['kernel-veth', 'tunstack-offload-off', 'tunstack-offload-on'];

export interface Case {
  dir: 'up' | 'down';
  streams: number;
  mtu: number;
}

export interface Sample {
  gbps: number;
  cpuPerGiB: number;
}

export interface Row extends Case {
  impl: Impl;
  samples: Sample[];
  median: number;
  min: number;
  max: number;
  cpuPerGiB: number;
  ratioToKernel: number | null;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const caseKey = (c: Case): string => `${c.dir} ${c.streams}x mtu${c.mtu}`;

export function summarize(results: Map<string, Sample[]>, cases: Case[]): Row[] {
  const rows: Row[] = [];
  for (const c of cases) {
    const k = results.get(`kernel-veth ${caseKey(c)}`);
    const kernelMedian = k && k.length > 0 ? median(k.map((s) => s.gbps)) : null;
    for (const impl of IMPLS) {
      const samples = results.get(`${impl} ${caseKey(c)}`) ?? [];
      if (samples.length === 0) continue;
      const g = samples.map((s) => s.gbps);
      const m = median(g);
      rows.push({
        ...c,
        impl,
        samples,
        median: m,
        min: Math.min(...g),
        max: Math.max(...g),
        cpuPerGiB: median(samples.map((s) => s.cpuPerGiB)),
        ratioToKernel: kernelMedian ? m / kernelMedian : null,
      });
    }
  }
  return rows;
}

export function table(rows: Row[]): string {
  const head = ['case', 'implementation', 'Gbit/s median', 'min–max', 'CPU s/GiB', 'vs kernel'];
  const body = rows.map((r) => [
    caseKey(r),
    r.impl,
    r.median.toFixed(2),
    `${r.min.toFixed(2)}–${r.max.toFixed(2)}`,
    r.cpuPerGiB.toFixed(2),
    r.ratioToKernel === null ? '-' : r.ratioToKernel.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...body.map(line)].join('\n');
}

const COLORS: Record<Impl, string> = {
  'kernel-veth': '#888888',
  'tunstack-offload-off': '#4a90d9',
  'tunstack-offload-on': '#e07b39',
};

/** Grouped bars (one group per case, one bar per implementation), min–max whiskers. */
export function svgChart(rows: Row[], title: string): string {
  const groups = [...new Set(rows.map((r) => caseKey(r)))];
  const maxV = Math.max(1, ...rows.map((r) => r.max));
  const bar = 18;
  const gap = 22;
  const groupW = IMPLS.length * bar + gap;
  const left = 50;
  const top = 40;
  const h = 260;
  const width = left + groups.length * groupW + 20;
  const height = top + h + 90;
  const y = (v: number): number => top + h - (v / maxV) * h;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${left}" y="20" font-size="14">${escapeXml(title)}</text>`);
  for (let t = 0; t <= 4; t++) {
    const v = (maxV * t) / 4;
    out.push(`<line x1="${left}" x2="${width - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  out.push(`<text x="12" y="${top + h / 2}" transform="rotate(-90 12 ${top + h / 2})" text-anchor="middle">Gbit/s</text>`);
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + gap / 2;
    IMPLS.forEach((impl, ii) => {
      const r = rows.find((row) => caseKey(row) === g && row.impl === impl);
      if (!r) return;
      const x = x0 + ii * bar;
      out.push(`<rect x="${x}" y="${y(r.median)}" width="${bar - 2}" height="${top + h - y(r.median)}" fill="${COLORS[impl]}"><title>${impl} ${g}: ${r.median.toFixed(2)} Gbit/s</title></rect>`);
      const cx = x + (bar - 2) / 2;
      out.push(`<line x1="${cx}" x2="${cx}" y1="${y(r.min)}" y2="${y(r.max)}" stroke="black"/>`);
    });
    const cx = x0 + (IMPLS.length * bar) / 2;
    out.push(`<text x="${cx}" y="${top + h + 14}" text-anchor="end" transform="rotate(-35 ${cx} ${top + h + 14})">${escapeXml(g)}</text>`);
  });
  IMPLS.forEach((impl, i) => {
    const x = left + i * 170;
    out.push(`<rect x="${x}" y="${height - 18}" width="10" height="10" fill="${COLORS[impl]}"/><text x="${x + 14}" y="${height - 9}">${impl}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
