/**
 * Test scaffolding for connection tests in Repr terms (smoltcp-style
 * templates, gVisor-style matchers): a capturing fake TcpEnv on a
 * VirtualClock, a recording handler, and expectSent / expectNothing.
 */
import { expect } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng } from '../../src/util/random.js';
import { DEFAULT_TCP_OPTIONS, type ConnectionHandler, type TcpErrorCode, type TcpOptions } from '../../src/tcp/api.js';
import type { FourTuple, TcpEnv, TimeWaitRecord } from '../../src/tcp/env.js';
import type { TcpOptionsRepr, TcpRepr } from '../../src/wire/tcp.js';

export const LOCAL_ADDR = 0x0a000001; // 10.0.0.1
export const REMOTE_ADDR = 0x0a000002; // 10.0.0.2
export const LOCAL_PORT = 40000;
export const REMOTE_PORT = 80;
export const TUPLE: FourTuple = { localAddr: LOCAL_ADDR, localPort: LOCAL_PORT, remoteAddr: REMOTE_ADDR, remotePort: REMOTE_PORT };
export const LOCAL_ISS = 1000;
export const REMOTE_ISS = 5000;

export interface Sent {
  at: number;
  seg: TcpRepr;
}

export class FakeEnv implements TcpEnv {
  readonly clock = new VirtualClock(0);
  readonly rng: SeededRng;
  readonly options: TcpOptions;
  readonly stats: Record<string, number> = {};
  readonly localMss = 1460;
  readonly sent: Sent[] = [];
  readonly unregistered: FourTuple[] = [];
  readonly timeWait: TimeWaitRecord[] = [];
  challengeOk = true;

  constructor(options: Partial<TcpOptions> = {}, seed = 1) {
    this.rng = new SeededRng(seed);
    this.options = { ...DEFAULT_TCP_OPTIONS, ...options };
  }

  sendSegment(seg: TcpRepr, localAddr: number, remoteAddr: number): void {
    expect(localAddr).toBe(LOCAL_ADDR);
    expect(remoteAddr).toBe(REMOTE_ADDR);
    // Copy: the connection may hand out views of its send buffer.
    this.sent.push({ at: this.clock.now(), seg: { ...seg, payload: Buffer.from(seg.payload) } });
  }
  unregister(key: FourTuple): void {
    this.unregistered.push({ ...key });
  }
  enterTimeWait(tw: TimeWaitRecord): void {
    this.timeWait.push(tw);
  }
  challengeAckAllowed(): boolean {
    return this.challengeOk;
  }
  allocateIss(): number {
    return LOCAL_ISS;
  }
}

export type Event = 'connect' | 'readable' | 'writable' | 'close' | `error:${TcpErrorCode}`;

export class RecordingHandler implements ConnectionHandler {
  readonly events: Event[] = [];
  onConnect(): void {
    this.events.push('connect');
  }
  onReadable(): void {
    this.events.push('readable');
  }
  onWritable(): void {
    this.events.push('writable');
  }
  onError(code: TcpErrorCode): void {
    this.events.push(`error:${code}`);
  }
  onClose(): void {
    this.events.push('close');
  }
}

export interface Template {
  at?: number;
  flags?: number;
  seq?: number;
  ack?: number;
  window?: number;
  payload?: Buffer | string;
  payloadLen?: number;
  options?: TcpOptionsRepr;
}

/** Take the next captured segment and check it against the template's fields. */
export function expectSent(env: FakeEnv, t: Template): TcpRepr {
  const s = env.sent.shift();
  if (!s) throw new Error(`expected a segment ${JSON.stringify(t)}, none was sent`);
  const got = s.seg;
  const ctx = `segment sent at ${s.at}: flags=0x${got.flags.toString(16)} seq=${got.seq} ack=${got.ack} len=${got.payload.length} win=${got.window}`;
  if (t.at !== undefined) expect(s.at, ctx).toBe(t.at);
  if (t.flags !== undefined) expect(got.flags, ctx).toBe(t.flags);
  if (t.seq !== undefined) expect(got.seq, ctx).toBe(t.seq >>> 0);
  if (t.ack !== undefined) expect(got.ack, ctx).toBe(t.ack >>> 0);
  if (t.window !== undefined) expect(got.window, ctx).toBe(t.window);
  if (t.payload !== undefined) expect(got.payload.toString('hex'), ctx).toBe(Buffer.from(t.payload).toString('hex'));
  if (t.payloadLen !== undefined) expect(got.payload.length, ctx).toBe(t.payloadLen);
  if (t.options !== undefined) expect(got.options, ctx).toEqual(t.options);
  return got;
}

/** Run virtual time to `untilMs` (absolute) and check that nothing was sent on the way. */
export function expectNothing(env: FakeEnv, untilMs?: number): void {
  if (untilMs !== undefined) env.clock.runUntil(untilMs);
  expect(
    env.sent.map((s) => `at ${s.at}: flags=0x${s.seg.flags.toString(16)} seq=${s.seg.seq} len=${s.seg.payload.length}`),
  ).toEqual([]);
}

/** A segment from the peer (REMOTE → LOCAL). */
export function peer(p: {
  flags: number;
  seq: number;
  ack?: number;
  window?: number;
  payload?: Buffer | string;
  options?: TcpOptionsRepr;
}): TcpRepr {
  return {
    srcPort: REMOTE_PORT,
    dstPort: LOCAL_PORT,
    seq: p.seq >>> 0,
    ack: (p.ack ?? 0) >>> 0,
    flags: p.flags,
    window: p.window ?? 65535,
    urgent: 0,
    options: p.options ?? {},
    payload: p.payload === undefined ? Buffer.alloc(0) : Buffer.from(p.payload),
  };
}

/** Deterministic payload bytes. */
export function bytes(n: number, start = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (start + i) & 0xff;
  return b;
}

import { Connection } from '../../src/tcp/connection.js';
import { TCP_ACK as ACK_FLAG, TCP_SYN as SYN_FLAG } from '../../src/wire/tcp.js';

/** Options without TS/SACK/WS so segment sizes are round: MSS 1460 payload bytes. */
export const PLAIN = { timestamps: false, sack: false, windowScaling: false } as const;

/**
 * Active open completed at t=0 against a peer advertising `window` and MSS
 * 1460. Capture is emptied. Next send starts at LOCAL_ISS+1; peer data at REMOTE_ISS+1.
 */
export function established(env: FakeEnv, window = 65535, options: TcpOptionsRepr = { mss: 1460 }) {
  const h = new RecordingHandler();
  const c = Connection.connect(env, TUPLE, LOCAL_ISS, h);
  c.input(peer({ flags: SYN_FLAG | ACK_FLAG, seq: REMOTE_ISS, ack: LOCAL_ISS + 1, window, options }));
  env.sent.length = 0;
  h.events.length = 0;
  return { c, h };
}
