/**
 * TCP options (RFC 9293 §3.2; MSS §3.7.1; window scale and timestamps
 * RFC 7323 §2–3; SACK RFC 2018). Parsing normalises into TcpOptionsRepr;
 * emitting follows Linux's layout byte for byte (tcp_options_write), so our
 * segments look like Linux's on the wire:
 *   SYN:   mss, [sackOK+TS | nop,nop,TS | nop,nop,sackOK], nop,wscale
 *   data:  nop,nop,TS, then nop,nop,SACK blocks
 */
import type { TcpOptionsRepr } from './tcp.js';

export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WSCALE = 3;
export const TCPOPT_SACK_PERMITTED = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;

/** Largest shift allowed by RFC 7323 §2.3. */
export const MAX_WSCALE = 14;
/** Options area is at most 40 bytes (data offset 15 words). */
export const MAX_OPTIONS_LEN = 40;

/** Length of timestamp option plus the two NOPs Linux aligns it with. */
export const TS_OPTION_SPACE = 12;

/**
 * Parse the options area buf[off, end) into `out`. Returns null when fine or
 * a drop reason. Following RFC 9293 §3.2 MUST-7 / Linux, an option whose
 * length byte is < 2 or overruns the area is malformed ('badOptionLength').
 * A known option with the wrong fixed length is ignored as Linux's
 * tcp_parse_options does (it checks `opsize == TCPOLEN_*`), not dropped.
 * Unknown kinds are skipped by their length (RFC 9293 §3.2 MUST-6).
 * `tsInto`, when given, receives the timestamp values instead of a new object.
 */
export function parseTcpOptions(
  buf: Buffer,
  off: number,
  end: number,
  out: TcpOptionsRepr,
  tsInto?: { val: number; ecr: number },
): string | null {
  let i = off;
  while (i < end) {
    const kind = buf[i];
    if (kind === TCPOPT_EOL) break;
    if (kind === TCPOPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) return 'badOptionLength';
    const len = buf[i + 1];
    if (len < 2 || i + len > end) return 'badOptionLength';
    switch (kind) {
      case TCPOPT_MSS:
        // Linux tcp_parse_options takes the MSS only `if (in_mss)`: an MSS of 0 is ignored.
        if (len === 4 && buf.readUInt16BE(i + 2) !== 0) out.mss = buf.readUInt16BE(i + 2);
        break;
      case TCPOPT_WSCALE:
        // RFC 7323 §2.3: a shift above 14 is logged and treated as 14.
        if (len === 3) out.wscale = Math.min(buf[i + 2], MAX_WSCALE);
        break;
      case TCPOPT_SACK_PERMITTED:
        if (len === 2) out.sackPermitted = true;
        break;
      case TCPOPT_SACK:
        if (len >= 10 && (len - 2) % 8 === 0) {
          const blocks: Array<[number, number]> = [];
          for (let p = i + 2; p < i + len; p += 8) blocks.push([buf.readUInt32BE(p), buf.readUInt32BE(p + 4)]);
          out.sack = blocks;
        }
        break;
      case TCPOPT_TIMESTAMP:
        if (len === 10) {
          // `tsInto`: the caller's reusable object (tcp.ts parseTcpSegment with a scratch).
          const ts = tsInto ?? { val: 0, ecr: 0 };
          ts.val = buf.readUInt32BE(i + 2);
          ts.ecr = buf.readUInt32BE(i + 6);
          out.timestamp = ts;
        }
        break;
      default:
        break;
    }
    i += len;
  }
  return null;
}

/** How many SACK blocks fit beside the other options (RFC 2018 §3: 4, or 3 with timestamps). */
function sackBlocksFitting(o: TcpOptionsRepr): number {
  if (!o.sack || o.sack.length === 0) return 0;
  let used = 0;
  if (o.mss !== undefined) used += 4;
  if (o.timestamp || o.sackPermitted) used += o.timestamp ? TS_OPTION_SPACE : 4;
  if (o.wscale !== undefined) used += 4;
  const room = Math.floor((MAX_OPTIONS_LEN - used - 4) / 8);
  return Math.max(0, Math.min(o.sack.length, room));
}

/** Bytes the options take when emitted (always a multiple of 4). */
export function tcpOptionsLen(o: TcpOptionsRepr): number {
  let n = 0;
  if (o.mss !== undefined) n += 4;
  if (o.timestamp) n += TS_OPTION_SPACE;
  else if (o.sackPermitted) n += 4;
  if (o.wscale !== undefined) n += 4;
  const blocks = sackBlocksFitting(o);
  if (blocks > 0) n += 4 + 8 * blocks;
  return n;
}

/** Write the options at buf[off]; returns bytes written (== tcpOptionsLen(o)). */
export function emitTcpOptions(o: TcpOptionsRepr, buf: Buffer, off: number): number {
  let i = off;
  if (o.mss !== undefined) {
    buf[i] = TCPOPT_MSS;
    buf[i + 1] = 4;
    buf.writeUInt16BE(o.mss & 0xffff, i + 2);
    i += 4;
  }
  if (o.timestamp) {
    if (o.sackPermitted) {
      // Linux packs sackOK into the two bytes it would otherwise pad with NOPs.
      buf[i] = TCPOPT_SACK_PERMITTED;
      buf[i + 1] = 2;
    } else {
      buf[i] = TCPOPT_NOP;
      buf[i + 1] = TCPOPT_NOP;
    }
    buf[i + 2] = TCPOPT_TIMESTAMP;
    buf[i + 3] = 10;
    buf.writeUInt32BE(o.timestamp.val >>> 0, i + 4);
    buf.writeUInt32BE(o.timestamp.ecr >>> 0, i + 8);
    i += TS_OPTION_SPACE;
  } else if (o.sackPermitted) {
    buf[i] = TCPOPT_NOP;
    buf[i + 1] = TCPOPT_NOP;
    buf[i + 2] = TCPOPT_SACK_PERMITTED;
    buf[i + 3] = 2;
    i += 4;
  }
  if (o.wscale !== undefined) {
    buf[i] = TCPOPT_NOP;
    buf[i + 1] = TCPOPT_WSCALE;
    buf[i + 2] = 3;
    buf[i + 3] = Math.min(o.wscale, MAX_WSCALE);
    i += 4;
  }
  const blocks = sackBlocksFitting(o);
  if (blocks > 0 && o.sack) {
    buf[i] = TCPOPT_NOP;
    buf[i + 1] = TCPOPT_NOP;
    buf[i + 2] = TCPOPT_SACK;
    buf[i + 3] = 2 + 8 * blocks;
    i += 4;
    for (let b = 0; b < blocks; b++) {
      buf.writeUInt32BE(o.sack[b][0] >>> 0, i);
      buf.writeUInt32BE(o.sack[b][1] >>> 0, i + 4);
      i += 8;
    }
  }
  return i - off;
}
