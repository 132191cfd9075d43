/**
 * An observer for a TcpPair (tcp-pair.ts), not another harness: it wraps the
 * two FaultPipes to log every segment as Reprs at the time it is *sent*
 * (so retransmission schedules can be read off exactly), to drop chosen
 * segments deterministically (instead of by a loss probability), and to
 * inject hand-built segments from a spoofed peer straight into a layer.
 * It also traces the state of watched connections after every delivery,
 * so a test can assert the exact path through the RFC 9293 §3.3.2 diagram.
 */
import type { ConnectionHandler, TcpConnection, TcpErrorCode, TcpListener, TcpState } from '../../src/tcp/api.js';
import { IPV4_HEADROOM } from '../../src/ip/types.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, emitTcpSegment, parseTcpSegment, tcpHeaderLen, type TcpRepr } from '../../src/wire/tcp.js';
import { ADDR_A, ADDR_B, makeTcpPair, type PairOptions, type SimTcpLayer, type TcpPair } from './tcp-pair.js';

export type Dir = 'ab' | 'ba';

export interface Tapped {
  at: number;
  dir: Dir;
  seg: TcpRepr;
  dropped: boolean;
}

/** Short flag string as tcpdump prints it: S, S., ., F., R, R., P. ... */
export function flagStr(flags: number): string {
  let s = '';
  if (flags & TCP_SYN) s += 'S';
  if (flags & TCP_FIN) s += 'F';
  if (flags & TCP_RST) s += 'R';
  if (flags & TCP_PSH) s += 'P';
  if (flags & TCP_ACK) s += '.';
  return s;
}

export class WireTap {
  readonly log: Tapped[] = [];
  /** Return true to drop a segment (logged with dropped: true). */
  drop: ((t: Tapped) => boolean) | undefined;
  private readonly watched: Array<{ name: string; conn: TcpConnection; states: TcpState[] }> = [];

  constructor(private readonly p: TcpPair) {
    this.wrap('ab');
    this.wrap('ba');
  }

  private wrap(dir: Dir): void {
    const pipe = dir === 'ab' ? this.p.ab : this.p.ba;
    const [src, dst] = dir === 'ab' ? [ADDR_A, ADDR_B] : [ADDR_B, ADDR_A];
    const carry = pipe.carry.bind(pipe);
    pipe.carry = (packet, deliver) => {
      const r = parseTcpSegment(packet.subarray(IPV4_HEADROOM), src, dst);
      if (typeof r === 'string') throw new Error(`layer emitted an unparsable segment: ${r}`);
      const t: Tapped = { at: this.p.clock.now(), dir, seg: { ...r, payload: Buffer.from(r.payload) }, dropped: false };
      this.log.push(t);
      if (this.drop?.(t)) {
        t.dropped = true;
        return;
      }
      carry(packet, (q) => {
        deliver(q);
        this.sample();
      });
    };
  }

  /** Record `conn`'s state now and after every delivered packet (only changes are kept). */
  watch(name: string, conn: TcpConnection): TcpState[] {
    const w = { name, conn, states: [conn.state] };
    this.watched.push(w);
    return w.states;
  }

  /** Take a state sample now (e.g. right after an API call such as close()). */
  sample(): void {
    for (const w of this.watched) {
      if (w.states[w.states.length - 1] !== w.conn.state) w.states.push(w.conn.state);
    }
  }

  /** Segments sent in one direction (optionally only those with all of `flags` set). */
  sent(dir: Dir, flags = 0): Tapped[] {
    return this.log.filter((t) => t.dir === dir && (t.seg.flags & flags) === flags);
  }

  /** One line per segment, tcpdump-like, for failure messages. */
  dump(): string {
    return this.log
      .map((t) => `${t.at} ${t.dir} ${t.seg.srcPort}>${t.seg.dstPort} [${flagStr(t.seg.flags)}] seq=${t.seg.seq} ack=${t.seg.ack} len=${t.seg.payload.length}${t.dropped ? ' DROPPED' : ''}`)
      .join('\n');
  }

  /**
   * Deliver a hand-built segment to `to` now, as if sent by the other
   * address (a spoofing attacker or a peer we drive by hand). Real bytes:
   * emitted with a valid checksum and parsed by the layer.
   */
  inject(to: 'a' | 'b', seg: TcpRepr): void {
    const layer: SimTcpLayer = to === 'a' ? this.p.a : this.p.b;
    const [src, dst] = to === 'a' ? [ADDR_B, ADDR_A] : [ADDR_A, ADDR_B];
    layer.input(src, dst, segmentBytes(seg, src, dst), Buffer.alloc(0));
    this.sample();
  }
}

/** The transport bytes of `seg` from src to dst with a correct checksum. */
export function segmentBytes(seg: TcpRepr, src: number, dst: number): Buffer {
  const buf = Buffer.alloc(tcpHeaderLen(seg) + seg.payload.length);
  emitTcpSegment(seg, buf, 0, src, dst);
  return buf;
}

/** A segment template: fill in what the test cares about. */
export function seg(p: Partial<TcpRepr> & { srcPort: number; dstPort: number; flags: number }): TcpRepr {
  return { seq: 0, ack: 0, window: 65535, urgent: 0, options: {}, payload: Buffer.alloc(0), ...p };
}

/** A ConnectionHandler that records events and (by default) reads everything as it arrives. */
export class Sink implements ConnectionHandler {
  conn?: TcpConnection;
  readonly chunks: Buffer[] = [];
  readonly events: string[] = [];
  /** Called after each read pass (e.g. to close once readEnded). */
  afterRead?: (c: TcpConnection) => void;
  writable?: () => void;
  constructor(conn?: TcpConnection) {
    this.conn = conn;
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString();
  }
  onConnect(): void {
    this.events.push('connect');
  }
  onReadable(): void {
    if (!this.conn) return;
    for (let b = this.conn.read(); b; b = this.conn.read()) this.chunks.push(Buffer.from(b));
    this.afterRead?.(this.conn);
  }
  onWritable(): void {
    this.writable?.();
  }
  onError(code: TcpErrorCode): void {
    this.events.push(`error:${code}`);
  }
  onClose(): void {
    this.events.push('close');
  }
}

export interface Served {
  listener: TcpListener;
  /** Accepted connections, in accept order, each with its Sink as handler. */
  accepted: Sink[];
  /** Accept everything queued now (what `auto` does on every onAcceptable). */
  acceptAll(): void;
}

/** Listen on `port`; with `auto` every queued connection is accepted as soon as it is acceptable. */
export function serve(layer: SimTcpLayer, port: number, backlog = 16, auto = true): Served {
  const accepted: Sink[] = [];
  const acceptAll = (): void => {
    for (let c = listener.accept(); c; c = listener.accept()) {
      const s = new Sink(c);
      c.handler = s;
      accepted.push(s);
      s.onReadable(); // data may have come with the handshake
    }
  };
  const listener: TcpListener = layer.listen(port, backlog, () => {
    if (auto) acceptAll();
  });
  return { listener, accepted, acceptAll };
}

/** A TcpPair with a WireTap and b listening on `port` (see serve). */
export async function tappedPair(seed: number, o: PairOptions = {}, backlog = 16, auto = true, port = 80) {
  const p = await makeTcpPair(seed, o);
  const tap = new WireTap(p);
  const srv = serve(p.b, port, backlog, auto);
  return { p, tap, srv };
}

/** Active open from a to b:`port` with a fresh Sink. */
export function dial(p: TcpPair, localPort?: number, port = 80): { h: Sink; conn: TcpConnection } {
  const h = new Sink();
  const conn = p.a.connect(ADDR_B, port, h, localPort);
  h.conn = conn;
  return { h, conn };
}

/** The states in a layer's `ss -tan` view, listeners first. */
export function statesOf(layer: { connections(): Array<{ state: string }> }): string[] {
  return layer.connections().map((i) => i.state);
}
