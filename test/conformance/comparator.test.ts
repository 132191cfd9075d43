/**
 * Mutation tests of the comparator: a trace that matches the script passes,
 * and each single mutation of it (one flag, one sequence number, option order,
 * an extra packet, a missing packet, timing outside tolerance) fails — so the
 * runner cannot silently become lenient.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_COMPARE, compareOptions, compareSegment, mapInboundEcr, newSeqMap } from '../../src/conformance/comparator.js';
import { buildTcpDatagram, decodeDatagram, type RawOption, type TcpBuild } from '../../src/conformance/packet.js';
import { parseScript } from '../../src/conformance/parser.js';
import { verifyTrace, type TracePacket } from '../../src/conformance/trace.js';
import type { TcpPacketSpec } from '../../src/conformance/script.js';

const LOCAL = 0xc0a80001; // 192.168.0.1
const REMOTE = 0xc0000201; // 192.0.2.1
const ISN = 0x12345678; // our (live) ISN; the script writes it as 0

// Passive open, 1000 bytes out, active close: the sequence RFC 9293 §3.5 figure 6 and §3.6 describe.
const SCRIPT = `
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0  < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
+0  > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 700 ecr 100,nop,wscale 7>
+.1 < . 1:1(0) ack 1 win 502 <nop,nop,TS val 200 ecr 700>
+0  accept(3, ..., ...) = 4
+0  write(4, ..., 1000) = 1000
+0  > P. 1:1001(1000) ack 1 <nop,nop,TS val 710 ecr 200>
+.2 close(4) = 0
+0  > F. 1001:1001(0) ack 1 <nop,nop,TS val 900 ecr 200>
`;

const mss = (v: number): RawOption => ({ kind: 2, data: Buffer.from([v >> 8, v & 255]) });
const nop: RawOption = { kind: 1, data: Buffer.alloc(0) };
const sackOk: RawOption = { kind: 4, data: Buffer.alloc(0) };
const ws = (v: number): RawOption => ({ kind: 3, data: Buffer.from([v]) });
function ts(val: number, ecr: number): RawOption {
  const d = Buffer.alloc(8);
  d.writeUInt32BE(val, 0);
  d.writeUInt32BE(ecr, 4);
  return { kind: 8, data: d };
}

function seg(p: Partial<TcpBuild>): TcpBuild {
  return { src: LOCAL, dst: REMOTE, srcPort: 8080, dstPort: 40000, seq: ISN, ack: 0, flags: 0x10, window: 502, options: [], payload: Buffer.alloc(0), ...p };
}

/** The trace a correct stack produces for SCRIPT (times in ms). */
function goodTrace(): Array<{ time: number; seg: TcpBuild }> {
  return [
    { time: 0, seg: seg({ flags: 0x12, ack: 1, window: 65535, options: [mss(1460), sackOk, ts(5000, 100), nop, ws(7)] }) },
    { time: 100, seg: seg({ flags: 0x18, seq: ISN + 1, ack: 1, options: [nop, nop, ts(5010, 200)], payload: Buffer.alloc(1000) }) },
    { time: 300, seg: seg({ flags: 0x11, seq: ISN + 1001, ack: 1, options: [nop, nop, ts(5200, 200)] }) },
  ];
}

function run(trace: Array<{ time: number; seg: TcpBuild }>, src = SCRIPT, strict = false): string | undefined {
  const pkts: TracePacket[] = trace.map((t) => ({ time: t.time, bytes: buildTcpDatagram(t.seg) }));
  return verifyTrace(parseScript(src), pkts, { ...DEFAULT_COMPARE, strictSegments: strict });
}

describe('comparator: packetdrill matching rules', () => {
  it('accepts the trace of a correct stack (the baseline every mutation departs from)', () => {
    expect(run(goodTrace())).toBeUndefined();
  });

  it('fails when one flag differs (PSH missing on the data segment: flags are exact, PSH included)', () => {
    const t = goodTrace();
    t[1].seg.flags = 0x10;
    expect(run(t)).toMatch(/line 10: flags: expected P\. vs actual \./);
  });

  it('fails when one flag is added (ACK on a FIN-only segment would be F. vs F)', () => {
    const t = goodTrace();
    t[0].seg.flags = 0x02;
    expect(run(t)).toMatch(/flags: expected S\. vs actual S/);
  });

  it('fails when one sequence number is off by one (relative to the ISN learnt from our SYN-ACK)', () => {
    const t = goodTrace();
    t[2].seg.seq = ISN + 1002;
    expect(run(t)).toMatch(/line 12: seq: expected 1001 vs actual 1002/);
  });

  it('fails when the ACK number differs', () => {
    const t = goodTrace();
    t[1].seg.ack = 2;
    expect(run(t)).toMatch(/ack: expected 1 vs actual 2/);
  });

  it('fails when options come in another order (RFC 9293 §3.2 allows any order, packetdrill does not)', () => {
    const t = goodTrace();
    t[0].seg.options = [mss(1460), nop, ws(7), sackOk, ts(5000, 100)];
    expect(run(t)).toMatch(/line 6: options: expected sackOK.*vs actual <mss 1460,nop,wscale 7,sackOK,TS val 5000 ecr 100>/s);
  });

  it('fails when an option value differs (wscale 8 vs 7) or an option is missing', () => {
    const t = goodTrace();
    t[0].seg.options = [mss(1460), sackOk, ts(5000, 100), nop, ws(8)];
    expect(run(t)).toMatch(/wscale 7 vs 8/);
    const u = goodTrace();
    u[0].seg.options = [mss(1460), sackOk, ts(5000, 100)];
    expect(run(u)).toMatch(/options: expected/);
  });

  it('fails when TS ecr does not echo the peer TS val (RFC 7323 §4.3)', () => {
    const t = goodTrace();
    t[1].seg.options = [nop, nop, ts(5010, 100)];
    expect(run(t)).toMatch(/TS ecr 200 vs 100/);
  });

  it('fails on an extra packet sent before the last line, and ignores what comes after it (as packetdrill)', () => {
    const t = goodTrace();
    t.push({ time: 350, seg: seg({ flags: 0x14, seq: ISN + 1002 }) });
    const longer = `${SCRIPT}+.2 < . 1:1(0) ack 1002 win 502 <nop,nop,TS val 300 ecr 900>\n`;
    expect(run(t, longer)).toMatch(/unexpected extra outbound packet at 350ms: > R\. 1002:1002\(0\)/);
    expect(run(t, SCRIPT)).toBeUndefined();
    t[t.length - 1].time = 500;
    expect(run(t, longer)).toBeUndefined();
  });

  it('fails on an extra packet in the middle (a duplicate SYN-ACK is compared with the data line)', () => {
    const t = goodTrace();
    t.splice(1, 0, { time: 50, seg: t[0].seg });
    expect(run(t)).toMatch(/line 10:/);
  });

  it('fails on a missing packet', () => {
    const t = goodTrace();
    t.pop();
    expect(run(t)).toMatch(/line 12: missing outbound packet: expected \+0  > F\./);
  });

  it('fails when a packet is later than the tolerance (4 ms absolute floor)', () => {
    const t = goodTrace();
    t[1].time = 105;
    expect(run(t)).toMatch(/timing: expected at 0\.100000s .* vs actual 0\.105000s/);
  });

  it('accepts a packet within tolerance and uses 12.5% of the gap for long gaps', () => {
    const t = goodTrace();
    t[1].time = 103.9;
    expect(run(t)).toBeUndefined();
    // FIN scripted 200 ms after the close at 0.3 s: 12.5% of 0 ms gap (close is the previous event) => 4 ms floor.
    const u = goodTrace();
    u[2].time = 305;
    expect(run(u)).toMatch(/timing/);
    const long = `0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1 <...>\n+1 > S. 0:0(0) ack 1 <...>\n`;
    const syn = seg({ flags: 0x12, ack: 1, options: [mss(1460)] });
    expect(run([{ time: 0, seg: syn }, { time: 1120, seg: syn }], long)).toBeUndefined();
    expect(run([{ time: 0, seg: syn }, { time: 1130, seg: syn }], long)).toMatch(/timing/);
  });

  it('fails when a packet is early', () => {
    const t = goodTrace();
    t[2].time = 290;
    expect(run(t)).toMatch(/timing/);
  });

  it('lets two equal segments satisfy one larger scripted segment unless --strict_segments', () => {
    const t = goodTrace();
    const data = t[1].seg;
    const a = { ...data, flags: 0x10, payload: Buffer.alloc(600) };
    const b = { ...data, seq: ISN + 601, payload: Buffer.alloc(400) };
    t.splice(1, 1, { time: 100, seg: a }, { time: 100, seg: b });
    expect(run(t)).toBeUndefined();
    expect(run(t, SCRIPT, true)).toMatch(/payload length: expected 1000 vs actual 600/);
  });

  it('does not compare the window unless the line gives one, and compares it exactly when it does', () => {
    const t = goodTrace();
    t[1].seg.window = 1234;
    expect(run(t)).toBeUndefined();
    const withWin = SCRIPT.replace('> P. 1:1001(1000) ack 1', '> P. 1:1001(1000) ack 1 win 502');
    expect(run(t, withWin)).toMatch(/window: expected 502 vs actual 1234/);
  });

  it('skips option checks for <...> but still checks everything else', () => {
    const src = SCRIPT.replace('<mss 1460,sackOK,TS val 700 ecr 100,nop,wscale 7>', '<...>');
    const t = goodTrace();
    t[0].seg.options = [mss(536)];
    expect(run(t, src)).toBeUndefined();
    t[0].seg.flags = 0x12 | 0x08;
    expect(run(t, src)).toMatch(/flags/);
  });

  it('treats a missing option list as "no options expected"', () => {
    const exp: TcpPacketSpec = { proto: 'tcp', dir: '>', flags: 0x10, flagsText: '.', seq: 1, end: 1, len: 0, ack: 1 };
    const d = decodeDatagram(buildTcpDatagram(seg({ seq: ISN + 1, ack: 1, options: [nop, nop, ts(1, 2)] })));
    if (typeof d === 'string' || !d.tcp) throw new Error('decode');
    const map = newSeqMap();
    map.localOffset = ISN;
    expect(compareSegment(exp, d.tcp, map, DEFAULT_COMPARE).error).toMatch(/options/);
  });

  it('ignores trailing EOL padding unless the script lists eol', () => {
    const eol: RawOption = { kind: 0, data: Buffer.alloc(0) };
    expect(compareOptions([{ kind: 'mss', value: 1460 }], [mss(1460), eol])).toBeUndefined();
    expect(compareOptions([{ kind: 'mss', value: 1460 }, { kind: 'eol' }], [mss(1460), eol])).toBeUndefined();
    expect(compareOptions([{ kind: 'mss', value: 1460 }, { kind: 'eol' }], [mss(1460)])).toMatch(/expected/);
  });

  it('remaps inbound TS ecr to the live TS val (exact mapping first, then interpolation)', () => {
    const map = newSeqMap();
    map.tsVals.set(700, 5000);
    map.tsFirst = { script: 700, live: 5000 };
    expect(mapInboundEcr(700, map)).toBe(5000);
    expect(mapInboundEcr(710, map)).toBe(5010);
    expect(mapInboundEcr(5, newSeqMap())).toBe(5);
  });

  it('rejects a segment with a bad TCP checksum', () => {
    const b = buildTcpDatagram(goodTrace()[0].seg);
    b[b.length - 1] ^= 1;
    const d = decodeDatagram(b);
    expect(typeof d !== 'string' && d.error).toBe('bad TCP checksum');
  });
});
