/**
 * The ladder in a terminal: the left end's column on the left, the right
 * end's on the right, one arrow per packet between them (✗ where the link
 * lost it), and under each event the rules that explain it.
 */
import { missing, type Ladder, type LadderItem } from './ladder.js';

const LANE = 90;
const TIME = 14;

/** Greedy word wrap to `width` columns (the SVG renderer uses it too). */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

function arrow(item: LadderItem & { kind: 'segment' }): string {
  const label = ` ${item.text} `;
  const why = missing(item.fate);
  const lost = why !== undefined;
  const tail = lost ? ` ✗ ${why}` : '';
  const room = LANE - 2 - tail.length;
  const body = label.length > room - 4 ? label.slice(0, room - 5) + '… ' : label;
  const dashes = room - body.length;
  const l = Math.max(2, Math.floor(dashes / 2));
  const r = Math.max(2, dashes - l);
  if (item.side === 'a') return '├' + '─'.repeat(l) + body + '─'.repeat(r) + (lost ? tail : '▶') + (lost ? '' : '┤');
  return (lost ? tail.trimStart().padStart(tail.length) : '├◀') + '─'.repeat(l) + body + '─'.repeat(r) + (lost ? '─┤' : '┤');
}

function sideText(side: 'a' | 'b', text: string): string {
  return side === 'a' ? `│ ${text}` : `${text} │`.padStart(LANE);
}

export function renderText(ladder: Ladder): string {
  const h = ladder.header;
  const lines: string[] = [];
  const title = h.source === 'live' ? 'live connection trace' : `tunstack explain ${h.source}`;
  lines.push(title);
  if (h.seed !== undefined) lines.push(`seed ${h.seed}, rtt ${h.rttMs} ms, loss ${h.loss}`);
  const left = `${h.sides.a.label} ${h.sides.a.addr}`;
  const right = `${h.sides.b.label} ${h.sides.b.addr}`;
  lines.push('');
  lines.push(' '.repeat(TIME) + left + right.padStart(LANE - left.length));
  let lastT: number | undefined;
  for (const item of ladder.items) {
    const time = item.t !== lastT ? `${(Math.round(item.t * 1000) / 1000).toFixed(3)} ms`.padStart(TIME - 1) + ' ' : ' '.repeat(TIME);
    lastT = item.t;
    switch (item.kind) {
      case 'segment':
        lines.push(time + arrow(item));
        break;
      case 'rule': {
        const who = item.side ? `${ladder.header.sides[item.side].label}: ` : '';
        const also = item.also.length ? ` (${item.also.join('; ')})` : '';
        const body = wrap(`${who}${item.label}: ${item.text}${also}`, LANE - 4);
        body.forEach((l, i) => lines.push((i === 0 ? time : ' '.repeat(TIME)) + (i === 0 ? '  ↳ ' : '    ') + l));
        break;
      }
      case 'app':
        lines.push(time + sideText(item.side, `${item.text}`));
        break;
      default:
        lines.push(time + sideText(item.side, item.kind === 'state' ? `[${item.text}]` : item.text));
    }
  }
  return lines.join('\n').replace(/[ \t]+$/gm, '') + '\n';
}
