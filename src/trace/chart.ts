/**
 * An SVG time series of one connection's congestion trace (src/tcp/trace.ts):
 * cwnd, ssthresh and bytes in flight above, SRTT and RTO below, events as
 * marks. Plain SVG text, no dependencies: the file opens in any browser.
 */
import type { TraceEvent, TraceRecord } from '../tcp/trace.js';

const W = 960;
const H = 560;
const LEFT = 70;
const RIGHT = 20;
const TOP_PANEL = { y: 40, h: 320 };
const BOTTOM_PANEL = { y: 410, h: 110 };

const EVENT_COLOURS: Record<TraceEvent, string> = {
  recovery: '#d62728',
  'recovery-exit': '#2ca02c',
  undo: '#9467bd',
  rto: '#000000',
  'loss-exit': '#8c564b',
  tlp: '#e377c2',
  ecn: '#ff7f0e',
};

interface Series {
  name: string;
  colour: string;
  dash?: string;
  value: (r: TraceRecord) => number;
}

/** Parse JSON lines, skipping lines that are not trace records. */
export function parseTrace(text: string): TraceRecord[] {
  const out: TraceRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as Partial<TraceRecord>;
      if (typeof r.t === 'number' && typeof r.conn === 'string' && typeof r.cwnd === 'number') out.push(r as TraceRecord);
    } catch {
      // not a record: ignored
    }
  }
  return out;
}

/** Connections in the trace, most records first. */
export function connectionsOf(records: TraceRecord[]): string[] {
  const n = new Map<string, number>();
  for (const r of records) n.set(r.conn, (n.get(r.conn) ?? 0) + 1);
  return [...n.entries()].sort((a, b) => b[1] - a[1]).map(([c]) => c);
}

function niceStep(span: number, ticks: number): number {
  const raw = span / ticks;
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A polyline of min and max per pixel column, so a dense sawtooth keeps its peaks and troughs. */
function path(rs: TraceRecord[], s: Series, x: (t: number) => number, y: (v: number) => number): string {
  const cols = new Map<number, { first: number; min: number; max: number; last: number }>();
  for (const r of rs) {
    const v = s.value(r);
    if (!Number.isFinite(v)) continue;
    const px = Math.round(x(r.t));
    const c = cols.get(px);
    if (!c) cols.set(px, { first: v, min: v, max: v, last: v });
    else {
      c.min = Math.min(c.min, v);
      c.max = Math.max(c.max, v);
      c.last = v;
    }
  }
  const pts: string[] = [];
  for (const [px, c] of [...cols.entries()].sort((a, b) => a[0] - b[0])) {
    pts.push(`${px},${y(c.first).toFixed(1)}`);
    if (c.min !== c.first) pts.push(`${px},${y(c.min).toFixed(1)}`);
    if (c.max !== c.first) pts.push(`${px},${y(c.max).toFixed(1)}`);
    pts.push(`${px},${y(c.last).toFixed(1)}`);
  }
  const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
  return `<polyline fill="none" stroke="${s.colour}" stroke-width="1.2"${dash} points="${pts.join(' ')}"/>`;
}

function panel(
  rs: TraceRecord[],
  series: Series[],
  box: { y: number; h: number },
  x: (t: number) => number,
  unit: string,
  scale: number,
): string[] {
  let max = 0;
  for (const r of rs) for (const s of series) if (Number.isFinite(s.value(r))) max = Math.max(max, s.value(r));
  max = max > 0 ? max * 1.05 : 1;
  const y = (v: number): number => box.y + box.h - (Math.min(v, max) / max) * box.h;
  const out = [`<rect x="${LEFT}" y="${box.y}" width="${W - LEFT - RIGHT}" height="${box.h}" fill="none" stroke="#999"/>`];
  const step = niceStep(max / scale, 4);
  for (let v = 0; v * scale <= max; v += step) {
    const py = y(v * scale).toFixed(1);
    out.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${py}" y2="${py}" stroke="#eee"/>`);
    out.push(`<text x="${LEFT - 6}" y="${py}" text-anchor="end" dominant-baseline="middle" font-size="11">${+v.toFixed(3)}</text>`);
  }
  out.push(`<text x="14" y="${box.y + box.h / 2}" font-size="12" transform="rotate(-90 14 ${box.y + box.h / 2})" text-anchor="middle">${esc(unit)}</text>`);
  for (const s of series) out.push(path(rs, s, x, y));
  let lx = LEFT + 8;
  for (const s of series) {
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${box.y + 12}" y2="${box.y + 12}" stroke="${s.colour}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${lx + 22}" y="${box.y + 12}" dominant-baseline="middle" font-size="11">${esc(s.name)}</text>`);
    lx += 30 + s.name.length * 7;
  }
  return out;
}

/** The SVG document for the records of connection `conn`. */
export function renderChart(all: TraceRecord[], conn: string): string {
  const rs = all.filter((r) => r.conn === conn);
  if (rs.length === 0) throw new Error(`no records for connection ${conn}`);
  const t0 = rs[0].t;
  const t1 = Math.max(rs[rs.length - 1].t, t0 + 1);
  const x = (t: number): number => LEFT + ((t - t0) / (t1 - t0)) * (W - LEFT - RIGHT);
  const kib = 1024;
  const cwndMax = Math.max(...rs.map((r) => Math.max(r.cwnd, r.inflight)));
  const top: Series[] = [
    { name: 'cwnd', colour: '#1f77b4', value: (r) => r.cwnd },
    // ssthresh is "infinite" until the first loss: drawn only once it means something.
    { name: 'ssthresh', colour: '#ff7f0e', dash: '6 3', value: (r) => (r.ssthresh <= 4 * cwndMax ? r.ssthresh : NaN) },
    { name: 'in flight', colour: '#7f7f7f', value: (r) => r.inflight },
  ];
  const bottom: Series[] = [
    { name: 'srtt', colour: '#2ca02c', value: (r) => r.srtt },
    { name: 'rto', colour: '#d62728', dash: '4 3', value: (r) => r.rto },
  ];
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${LEFT}" y="22" font-size="14">${esc(conn)} — ${rs.length} samples over ${((t1 - t0) / 1000).toFixed(2)} s</text>`,
    ...panel(rs, top, TOP_PANEL, x, 'KiB', kib),
    ...panel(rs, bottom, BOTTOM_PANEL, x, 'ms', 1),
  ];
  const evs = rs.filter((r) => r.ev);
  for (const r of evs) {
    const px = x(r.t).toFixed(1);
    out.push(`<line x1="${px}" x2="${px}" y1="${TOP_PANEL.y + TOP_PANEL.h}" y2="${TOP_PANEL.y + TOP_PANEL.h + 10}" stroke="${EVENT_COLOURS[r.ev!]}"/>`);
  }
  let lx = LEFT;
  for (const [ev, colour] of Object.entries(EVENT_COLOURS)) {
    const n = evs.filter((r) => r.ev === ev).length;
    if (n === 0) continue;
    out.push(`<rect x="${lx}" y="${TOP_PANEL.y + TOP_PANEL.h + 14}" width="10" height="10" fill="${colour}"/>`);
    const label = `${ev} ×${n}`;
    out.push(`<text x="${lx + 14}" y="${TOP_PANEL.y + TOP_PANEL.h + 23}" font-size="11">${esc(label)}</text>`);
    lx += 24 + label.length * 7;
  }
  const step = niceStep((t1 - t0) / 1000, 8);
  for (let s = 0; s <= (t1 - t0) / 1000 + 1e-9; s += step) {
    const px = x(t0 + s * 1000).toFixed(1);
    out.push(`<text x="${px}" y="${BOTTOM_PANEL.y + BOTTOM_PANEL.h + 16}" text-anchor="middle" font-size="11">${+s.toFixed(3)}</text>`);
  }
  out.push(`<text x="${W / 2}" y="${H - 6}" text-anchor="middle" font-size="12">seconds</text>`, '</svg>', '');
  return out.join('\n');
}
