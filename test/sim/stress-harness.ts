/**
 * Shared rig for the whole-Stack stress tests (test/sim/stress-*.test.ts):
 * two Stacks over a seeded createMemoryLinkPair in virtual time, a
 * connection-level endpoint that sends, reads (optionally pausing) and
 * closes, and the invariants every run must satisfy beyond byte-exactness.
 *
 * Every run is reproducible from its seed; test names carry "seed N" so
 * `npx vitest run test/sim/<file> -t "seed N"` reruns one.
 *
 * TUNSTACK_SIM_GSO=segments|super runs every stress test over the link's GSO
 * mode (super-packets with partial checksums, cut by the link or delivered
 * whole), the offloaded paths a TUN with `--offload on` exercises.
 */
import { expect } from 'vitest';
import { createMemoryLinkPair, type LinkFaults, type MemoryLink } from '../../src/link/memory.js';
import { Stack } from '../../src/stack.js';
import type { ConnectionHandler, TcpConnection, TcpOptions } from '../../src/tcp/api.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng } from '../../src/util/random.js';

export interface PairConfig {
  seed: number;
  mtu?: number;
  faults?: LinkFaults;
  faultsAtoB?: LinkFaults;
  faultsBtoA?: LinkFaults;
  tcpA?: Partial<TcpOptions>;
  tcpB?: Partial<TcpOptions>;
}

export interface Pair {
  clock: VirtualClock;
  la: MemoryLink;
  lb: MemoryLink;
  a: Stack;
  b: Stack;
}

const SIM_GSO = ((): 'segments' | 'super' | undefined => {
  const v = process.env.TUNSTACK_SIM_GSO;
  return v === 'segments' || v === 'super' ? v : undefined;
})();

/** MSL short enough that TIME_WAIT ends quickly in virtual time (2·MSL = 2 s). */
export const STRESS_MSL = 1000;

export function makePair(cfg: PairConfig): Pair {
  const clock = new VirtualClock(0);
  const [la, lb] = createMemoryLinkPair({
    clock,
    rng: new SeededRng(cfg.seed),
    mtu: cfg.mtu,
    faults: cfg.faults,
    faultsAtoB: cfg.faultsAtoB,
    faultsBtoA: cfg.faultsBtoA,
    gso: SIM_GSO ? { deliver: SIM_GSO } : undefined,
  });
  const a = new Stack({ link: la, addr: '10.0.0.1', clock, rng: new SeededRng(cfg.seed + 1), tcp: { msl: STRESS_MSL, ...cfg.tcpA } });
  const b = new Stack({ link: lb, addr: '10.0.0.2', clock, rng: new SeededRng(cfg.seed + 2), tcp: { msl: STRESS_MSL, ...cfg.tcpB } });
  return { clock, la, lb, a, b };
}

export interface EndpointOptions {
  /** Bytes to send, then shutdownWrite() (half-close). */
  out: Buffer;
  /** Largest chunk handed to send() at once. */
  chunk?: number;
  /** Stop reading during [from, to) virtual ms (a slow application); reading resumes at `to`. */
  pause?: { from: number; to: number };
  /** Wait until this virtual time before sending anything (the other side sends first). */
  sendAfter?: number;
  /** Send the data at once but hold our FIN until the peer's FIN has been read (so the peer closes first). */
  holdFin?: boolean;
}

/**
 * One application endpoint on the raw TcpConnection API: sends `out` in
 * chunks as the send buffer allows, half-closes, reads everything, and
 * close()s once the peer's FIN has been read.
 */
export class Endpoint implements ConnectionHandler {
  conn?: TcpConnection;
  got: Buffer[] = [];
  gotBytes = 0;
  events: string[] = [];
  /** Virtual time of onClose (the connection is gone for the application). */
  closedAt?: number;
  eofAt?: number;
  /** Connection states in which data was read (e.g. FIN_WAIT_2 after a half-close). */
  readStates = new Set<string>();
  private off = 0;
  private shut = false;
  private closeCalled = false;

  constructor(
    private readonly clock: VirtualClock,
    private readonly opts: EndpointOptions,
  ) {
    const p = opts.pause;
    if (p) clock.setTimer(p.to, () => this.onReadable());
    if (opts.sendAfter !== undefined) clock.setTimer(opts.sendAfter, () => this.pump());
  }

  attach(conn: TcpConnection): void {
    this.conn = conn;
    conn.handler = this;
    this.onReadable();
    this.pump();
  }

  onConnect(): void {
    this.pump();
  }
  onReadable(): void {
    const c = this.conn;
    if (!c) return;
    const p = this.opts.pause;
    const now = this.clock.now();
    if (p && now >= p.from && now < p.to) return;
    for (let b = c.read(); b; b = c.read()) {
      this.readStates.add(c.state);
      this.got.push(Buffer.from(b));
      this.gotBytes += b.length;
    }
    if (c.readEnded && this.eofAt === undefined) {
      this.eofAt = now;
      this.events.push('eof');
      this.pump();
      this.maybeClose();
    }
  }
  onWritable(): void {
    this.pump();
  }
  onError(code: string): void {
    this.events.push(`error:${code}`);
  }
  onClose(): void {
    this.closedAt = this.clock.now();
    this.events.push('close');
  }
  pump(): void {
    const c = this.conn;
    if (!c || this.shut) return;
    if (this.opts.sendAfter !== undefined && this.clock.now() < this.opts.sendAfter) return;
    if (c.state === 'SYN_SENT') return;
    const out = this.opts.out;
    const chunk = this.opts.chunk ?? 16384;
    while (this.off < out.length) {
      const n = c.send(out.subarray(this.off, this.off + chunk));
      if (n === 0) return;
      this.off += n;
    }
    if (this.opts.holdFin && this.eofAt === undefined) return;
    this.shut = true;
    c.shutdownWrite();
    this.maybeClose();
  }
  /** close() once the peer's FIN is read and all our data is queued (close() earlier would cut our data short). */
  private maybeClose(): void {
    if (this.shut && this.eofAt !== undefined && !this.closeCalled) {
      this.closeCalled = true;
      this.conn?.close();
    }
  }
  received(): Buffer {
    return Buffer.concat(this.got);
  }
}

export interface TransferResult {
  client: Endpoint;
  server: Endpoint;
  /** Virtual ms from connect until both applications saw onClose. */
  doneAt: number | undefined;
}

export interface Started {
  client: Endpoint;
  server: Endpoint;
  close(): void;
}

/** Listen on b:`port` and connect from a (optionally from `localPort`); nothing runs yet. */
export function start(p: Pair, port: number, up: EndpointOptions, down: EndpointOptions, localPort?: number): Started {
  const server = new Endpoint(p.clock, down);
  const client = new Endpoint(p.clock, up);
  const l = p.b.tcp.listen(port, 8, () => {
    const c = l.accept();
    if (c) server.attach(c);
  });
  client.conn = p.a.tcp.connect(p.b.addr, port, client, localPort);
  return { client, server, close: () => l.close() };
}

/** Both connections gone and both applications have read the peer's FIN (a paused reader may read after onClose). */
export function bothClosed(s: Started): boolean {
  const done = (e: Endpoint) => e.closedAt !== undefined && e.eofAt !== undefined;
  return done(s.client) && done(s.server);
}

/**
 * One connection a→b on `port`, both directions at once; runs until both
 * applications have closed or `limitMs` passes.
 */
export function transfer(p: Pair, port: number, up: EndpointOptions, down: EndpointOptions, limitMs: number, localPort?: number): TransferResult {
  const s = start(p, port, up, down, localPort);
  const t0 = p.clock.now();
  runUntil(p.clock, t0 + limitMs, () => {
    checkGauges(p);
    return bothClosed(s);
  });
  s.close();
  const { client, server } = s;
  const doneAt = bothClosed(s) ? Math.max(client.closedAt ?? 0, server.closedAt ?? 0, client.eofAt ?? 0, server.eofAt ?? 0) - t0 : undefined;
  return { client, server, doneAt };
}

/** Byte-exact both ways and a clean close on both sides (events eof then close, no error). */
export function expectClean(r: { client: Endpoint; server: Endpoint }, up: Buffer, down: Buffer, label: string): void {
  expect(r.server.gotBytes, `${label}: a→b byte count`).toBe(up.length);
  expect(r.client.gotBytes, `${label}: b→a byte count`).toBe(down.length);
  expect(r.server.received().equals(up), `${label}: a→b bytes`).toBe(true);
  expect(r.client.received().equals(down), `${label}: b→a bytes`).toBe(true);
  // 'close' may come first when the application was not reading as the connection ended; the data stays readable.
  expect([...r.client.events].sort(), `${label}: client events`).toEqual(['close', 'eof']);
  expect([...r.server.events].sort(), `${label}: server events`).toEqual(['close', 'eof']);
}

/** Advance virtual time in small steps until `done()` or `until`. */
export function runUntil(clock: VirtualClock, until: number, done: () => boolean): void {
  while (!done() && clock.now() < until) {
    const next = clock.nextAt();
    if (next === undefined) {
      clock.runUntil(until);
      return;
    }
    clock.runUntil(Math.min(until, Math.max(next, clock.now() + 10)));
  }
}

/**
 * CurrEstab is a gauge (RFC 1213 tcpCurrEstab: ESTABLISHED + CLOSE_WAIT);
 * connection.ts clamps it at zero, which would hide a double decrement, so
 * compare it with the connection table whenever the harness looks.
 */
export function checkGauges(p: Pair): void {
  for (const s of [p.a, p.b]) {
    const live = s.tcp.connections().filter((c) => c.state === 'ESTABLISHED' || c.state === 'CLOSE_WAIT').length;
    if (s.tcp.stats.CurrEstab !== live) expect(s.tcp.stats.CurrEstab, `CurrEstab at ${p.clock.now()} ms`).toBe(live);
  }
}

/** Non-zero counters of a group, for failure messages. */
export function nonZero(g: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(g).filter(([, v]) => v !== 0));
}

export interface InvariantOptions {
  /** RSTs are expected (e.g. close() with unread data); default false. */
  allowRst?: boolean;
}

/**
 * The invariants of any finished run, after 2·MSL has passed: no TCP state
 * left (TIME_WAIT expired, RFC 9293 §3.4.2), no oversize or discarded IPv4
 * datagram (TCP must size segments, options included, to the MTU: RFC 9293
 * §3.7.1, RFC 1122 §4.2.2.6), no RST on a clean run, gauges back to zero and
 * no counter negative.
 */
export function checkInvariants(p: Pair, label: string, opts: InvariantOptions = {}): void {
  p.clock.runUntil(p.clock.now() + 2 * STRESS_MSL + 1000);
  // A FIN (or its ACK) lost several times in a row under heavy loss is still
  // being retransmitted with backoff from the 1 s initial RTO (no RTT sample
  // on a side that sent no data): give that retry schedule time to end, no more.
  const closing = (): boolean =>
    p.a.tcp.connections().concat(p.b.tcp.connections()).some((i) => ['LAST_ACK', 'FIN_WAIT_1', 'CLOSING'].includes(i.state) && i.retransmits > 0);
  for (let i = 0; i < 60 && closing(); i++) p.clock.runUntil(p.clock.now() + 1000);
  const left = p.a.tcp.connections().concat(p.b.tcp.connections());
  expect(left, `${label}: connection tables after 2·MSL`).toEqual([]);
  for (const [name, s] of [['a', p.a], ['b', p.b]] as const) {
    const ip = s.ip.stats.ip;
    const tcp = s.tcp.stats;
    const why = `${label}: stack ${name} Ip ${JSON.stringify(nonZero(ip))} Tcp ${JSON.stringify(nonZero(tcp))}`;
    expect(ip.fragFails, why).toBe(0);
    expect(ip.outDiscards, why).toBe(0);
    expect(ip.outTooBig, why).toBe(0);
    expect(tcp.CurrEstab, why).toBe(0);
    // No established connection was ever reset (RFC 5961 makes blind resets fail, too).
    expect(tcp.EstabResets, why).toBe(0);
    // On a link that never delivers a segment late (no duplication, reordering
    // or jitter) nothing reaches a closed port either, so no RST at all. With
    // them, a late duplicate for a connection already CLOSED gets one, as
    // RFC 9293 §3.10.7.1 says (the peer in TIME_WAIT ignores it, RFC 1337).
    if (!opts.allowRst && !lateDelivery(p)) expect(tcp.OutRsts, why).toBe(0);
    for (const [k, v] of Object.entries({ ...ip, ...tcp })) expect(v, `${why}: ${k}`).toBeGreaterThanOrEqual(0);
  }
  expect(p.la.counters.oversize + p.lb.counters.oversize, `${label}: link oversize`).toBe(0);
}

function lateDelivery(p: Pair): boolean {
  const f = (x: LinkFaults) => (x.duplicate ?? 0) > 0 || (x.reorder ?? 0) > 0 || (x.jitterMs ?? 0) > 0;
  return f(p.la.faults) || f(p.lb.faults);
}

/** Seeds for a test: `base` by default, TUNSTACK_STRESS_SEEDS=N for a larger sweep (1..N). */
export function seeds(base: number[]): number[] {
  const n = Number(process.env.TUNSTACK_STRESS_SEEDS ?? 0);
  if (!Number.isFinite(n) || n <= 0) return base;
  return Array.from({ length: n }, (_, i) => i + 1);
}
