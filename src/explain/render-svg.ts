/** The ladder as an SVG picture: two timelines, slanted arrows from send to arrival, rules in grey. */
import { missing, type Ladder } from './ladder.js';
import { wrap } from './render-text.js';

const W = 1320;
const ROW = 18;
const XA = 330;
const XB = 930;
/** Characters per rule line (monospace 11px is about 6.6 px a character). */
const RULE_CHARS = 145;

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Timer glyphs are for terminals; SVG fonts often lack them, and the words say it anyway. */
const plain = (s: string): string => s.replace(/^[⏱⏰⏹]\s*/u, '');


export function renderSvg(ladder: Ladder): string {
  const h = ladder.header;
  const out: string[] = [];
  let y = 60;
  let lastT: number | undefined;
  const body: string[] = [];
  for (const item of ladder.items) {
    const showT = item.t !== lastT;
    lastT = item.t;
    if (showT) body.push(`<text x="10" y="${y + 4}" class="t">${(Math.round(item.t * 1000) / 1000).toFixed(3)} ms</text>`);
    if (item.kind === 'segment') {
      const [x1, x2] = item.side === 'a' ? [XA, XB] : [XB, XA];
      const why = missing(item.fate);
      const lost = why !== undefined;
      // Label above, arrow slanting down one row: send time to arrival.
      body.push(`<text x="${(XA + XB) / 2}" y="${y + 4}" class="lbl" text-anchor="middle">${esc(item.text)}${lost ? ` ✗ ${why}` : ''}</text>`);
      const y1 = y + 9;
      const xEnd = lost ? x1 + (x2 - x1) * 0.6 : x2;
      const yEnd = y1 + ROW * (lost ? 0.6 : 1);
      body.push(`<line x1="${x1}" y1="${y1}" x2="${xEnd}" y2="${yEnd}" class="${lost ? 'lost' : 'seg'}" marker-end="url(#${lost ? 'x' : 'arrow'})"/>`);
      y += ROW * 1.6;
    } else if (item.kind === 'rule') {
      const who = item.side ? `${h.sides[item.side].label}: ` : '';
      const also = item.also.length ? ` (${item.also.join('; ')})` : '';
      wrap(`${who}${item.label}: ${item.text}${also}`, RULE_CHARS).forEach((line, i) => {
        body.push(`<text x="${XA - 150}" y="${y + 4}" class="rule">${i === 0 ? '↳ ' : '  '}${esc(line)}</text>`);
        y += ROW * 0.85;
      });
      y += ROW * 0.15;
    } else {
      const x = item.side === 'a' ? XA - 8 : XB + 8;
      const anchor = item.side === 'a' ? 'end' : 'start';
      body.push(`<text x="${x}" y="${y + 4}" class="${item.kind}" text-anchor="${anchor}">${esc(item.kind === 'state' ? `[${item.text}]` : plain(item.text))}</text>`);
      y += ROW;
    }
  }
  const height = y + 30;
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" xml:space="preserve" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="monospace" font-size="12">`);
  out.push(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#1f4e9c"/></marker>` +
    `<marker id="x" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="9" markerHeight="9"><path d="M0,0 L10,10 M10,0 L0,10" stroke="#c0392b" stroke-width="2"/></marker></defs>`);
  out.push(`<style>.seg{stroke:#1f4e9c;stroke-width:1.3}.lost{stroke:#c0392b;stroke-width:1.3;stroke-dasharray:4 3}.lbl{fill:#111}.rule{fill:#777;font-size:11px}.t{fill:#555}.state{fill:#0a7d32;font-weight:bold}.timer{fill:#8a5a00}.cwnd{fill:#6a1b9a}.app{fill:#000;font-style:italic}.hdr{font-weight:bold;font-size:14px}</style>`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="10" y="20" class="hdr">${esc(h.source === 'live' ? 'live connection' : `tunstack explain ${h.source}`)}</text>`);
  out.push(`<text x="${XA}" y="44" class="hdr" text-anchor="middle">${esc(`${h.sides.a.label} ${h.sides.a.addr}`)}</text>`);
  out.push(`<text x="${XB}" y="44" class="hdr" text-anchor="middle">${esc(`${h.sides.b.label} ${h.sides.b.addr}`)}</text>`);
  out.push(`<line x1="${XA}" y1="50" x2="${XA}" y2="${y}" stroke="#999"/><line x1="${XB}" y1="50" x2="${XB}" y2="${y}" stroke="#999"/>`);
  out.push(...body);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
