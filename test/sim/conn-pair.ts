/**
 * Two Connections joined back to back through FaultPipes on one VirtualClock,
 * without the layer: each side's env emits real bytes (emitTcpSegment), the
 * far side parses and checksum-verifies them (parseTcpSegment) and feeds its
 * Connection. The handshake is a simultaneous open (both sides connect),
 * which needs no listener. For full stacks use tcp-pair.ts.
 */
import { DEFAULT_TCP_OPTIONS, type ConnectionHandler, type TcpErrorCode, type TcpOptions } from '../../src/tcp/api.js';
import { Connection } from '../../src/tcp/connection.js';
import type { FourTuple, TcpEnv, TimeWaitRecord } from '../../src/tcp/env.js';
import { bump } from '../../src/tcp/stats.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng } from '../../src/util/random.js';
import { TCP_ACK, TCP_FIN, TCP_RST, emitTcpSegment, parseTcpSegment, tcpHeaderLen, type TcpRepr } from '../../src/wire/tcp.js';
import { FaultPipe, type FaultOptions } from './fault-pipe.js';

export const A_ADDR = 0x0a000001;
export const B_ADDR = 0x0a000002;

class PairEnv implements TcpEnv {
  readonly stats: Record<string, number> = {};
  peer?: Connection;
  closedKey?: FourTuple;
  timeWait?: TimeWaitRecord;
  constructor(
    readonly clock: VirtualClock,
    readonly rng: SeededRng,
    readonly options: TcpOptions,
    readonly localMss: number,
    private readonly pipe: FaultPipe,
    private readonly remote: () => PairEnv,
  ) {}
  conn?: Connection;
  sendSegment(seg: TcpRepr, localAddr: number, remoteAddr: number): void {
    const buf = Buffer.alloc(tcpHeaderLen(seg) + seg.payload.length);
    emitTcpSegment(seg, buf, 0, localAddr, remoteAddr);
    this.pipe.carry(buf, (p) => {
      const far = this.remote();
      const r = parseTcpSegment(p, localAddr, remoteAddr);
      if (typeof r === 'string') {
        bump(far.stats, r);
        return;
      }
      const tw = far.timeWait;
      if (tw && far.conn?.isClosed) {
        // A minimal TIME_WAIT (the layer's job in real stacks): re-ACK a retransmitted FIN or
        // retransmitted data whose ACK was lost (RFC 9293 §3.10.7.4: unacceptable segments get an ACK).
        if (!(r.flags & TCP_RST) && (r.flags & TCP_FIN || r.payload.length > 0)) far.reAckFromTimeWait(tw);
        return;
      }
      far.conn?.input(r);
    });
  }
  reAckFromTimeWait(tw: TimeWaitRecord): void {
    const ts = tw.tsRecent !== undefined ? { timestamp: { val: (this.clock.now() + (tw.tsOffset ?? 0)) >>> 0, ecr: tw.tsRecent } } : {};
    this.sendSegment(
      { srcPort: tw.localPort, dstPort: tw.remotePort, seq: tw.sndNxt, ack: tw.rcvNxt, flags: TCP_ACK, window: tw.window, urgent: 0, options: ts, payload: Buffer.alloc(0) },
      tw.localAddr,
      tw.remoteAddr,
    );
  }
  unregister(key: FourTuple): void {
    this.closedKey = key;
  }
  enterTimeWait(tw: TimeWaitRecord): void {
    this.timeWait = tw;
  }
  challengeAckAllowed(): boolean {
    return true;
  }
  allocateIss(): number {
    return this.rng.u32();
  }
}

export class Recorder implements ConnectionHandler {
  connected = false;
  closed = false;
  errors: TcpErrorCode[] = [];
  received: Buffer[] = [];
  receivedBytes = 0;
  onReadableHook?: () => void;
  onWritableHook?: () => void;
  conn?: Connection;
  onConnect(): void {
    this.connected = true;
  }
  onReadable(): void {
    if (this.onReadableHook) this.onReadableHook();
    else this.drain();
  }
  drain(): void {
    if (!this.conn) return;
    for (let b = this.conn.read(); b; b = this.conn.read()) {
      this.received.push(Buffer.from(b));
      this.receivedBytes += b.length;
    }
  }
  onWritable(): void {
    this.onWritableHook?.();
  }
  onError(code: TcpErrorCode): void {
    this.errors.push(code);
  }
  onClose(): void {
    this.closed = true;
  }
}

export interface ConnPair {
  clock: VirtualClock;
  a: Connection;
  b: Connection;
  ha: Recorder;
  hb: Recorder;
  envA: PairEnv;
  envB: PairEnv;
  ab: FaultPipe;
  ba: FaultPipe;
}

export function makeConnPair(seed: number, faults: FaultOptions, options: Partial<TcpOptions> = {}): ConnPair {
  const clock = new VirtualClock(0);
  const rng = new SeededRng(seed);
  const opts = { ...DEFAULT_TCP_OPTIONS, ...options };
  const ab = new FaultPipe(clock, rng, faults);
  const ba = new FaultPipe(clock, rng, faults);
  // eslint-disable-next-line prefer-const -- envA's closure refers to envB before it exists
  let envB!: PairEnv;
  const envA: PairEnv = new PairEnv(clock, rng, opts, 1460, ab, () => envB);
  envB = new PairEnv(clock, rng, opts, 1460, ba, () => envA);
  const ha = new Recorder();
  const hb = new Recorder();
  const ta = { localAddr: A_ADDR, localPort: 1111, remoteAddr: B_ADDR, remotePort: 2222 };
  const tb = { localAddr: B_ADDR, localPort: 2222, remoteAddr: A_ADDR, remotePort: 1111 };
  const a = Connection.connect(envA, ta, rng.u32(), ha);
  envA.conn = a;
  ha.conn = a;
  const b = Connection.connect(envB, tb, rng.u32(), hb);
  envB.conn = b;
  hb.conn = b;
  return { clock, a, b, ha, hb, envA, envB, ab, ba };
}
