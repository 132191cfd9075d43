/**
 * The world of an explain scenario: two whole Stacks (IPv4, ICMP, UDP, TCP)
 * on an in-memory link in virtual time, with seeded randomness, recorded by
 * a TraceRecorder. Scenarios act on it through the TCP API (the same one the
 * sockets use), each action being one recorded event.
 */
import type { Link } from '../link/link.js';
import { createMemoryLinkPair } from '../link/memory.js';
import { IPPROTO_ICMP } from '../ip/types.js';
import { Stack } from '../stack.js';
import type { ConnectionHandler, TcpConnection, TcpListener, TcpOptions } from '../tcp/api.js';
import { VirtualClock } from '../time/virtual-clock.js';
import { SeededRng } from '../util/random.js';
import { ICMP_UNREACH_FRAG_NEEDED, Icmpv4Repr } from '../wire/icmpv4.js';
import { ipv4 } from '../wire/ip-address.js';
import { emitIpv4Header, IPV4_HEADER_LEN } from '../wire/ipv4.js';
import { TraceRecorder, type DropFilter } from './recorder.js';
import type { Side } from './trace-format.js';

export const ADDRS: Record<Side, string> = { a: '10.0.0.1', b: '10.0.0.2' };
/** The router of `narrowPath`, on the path between the two ends. */
export const ROUTER_ADDR = '10.0.0.254';

/** IPv4 + ICMP frag-needed from `router` about `packet` (RFC 792 quote: IP header + 8 bytes; RFC 1191 §4 MTU field). */
function fragNeeded(router: number, packet: Buffer, mtu: number): Buffer {
  const quoted = packet.subarray(0, Math.min(packet.length, (packet[0] & 0x0f) * 4 + 8));
  const msg: Icmpv4Repr = { kind: 'destUnreachable', code: ICMP_UNREACH_FRAG_NEEDED, nextHopMtu: mtu, data: quoted };
  const icmpLen = Icmpv4Repr.bufferLen(msg);
  const out = Buffer.alloc(IPV4_HEADER_LEN + icmpLen);
  emitIpv4Header(out, router, packet.readUInt32BE(12), IPPROTO_ICMP, 64, 0, icmpLen);
  Icmpv4Repr.emit(msg, out.subarray(IPV4_HEADER_LEN));
  return out;
}

export interface SimOptions {
  seed: number;
  rttMs: number;
  loss: number;
  mtu?: number;
  tcp?: Partial<TcpOptions>;
  /** Options of b's TCP, on top of `tcp`. */
  tcpB?: Partial<TcpOptions>;
}

/** What an application end does with its connection. */
export interface AppBehaviour {
  /** Read what arrives (default true); false leaves it queued so the window closes. */
  read?: boolean;
  /** Close once the peer's FIN has been read (default true). */
  closeOnEof?: boolean;
  /** Called once the peer's FIN has been read, before the close. */
  onEof?: (c: TcpConnection) => void;
}

export class App implements ConnectionHandler {
  conn: TcpConnection | undefined;
  received = 0;
  events: string[] = [];
  private eof = false;
  constructor(readonly behaviour: AppBehaviour = {}) {}
  onConnect(): void {
    this.events.push('connect');
  }
  onReadable(): void {
    const c = this.conn;
    if (!c || this.behaviour.read === false) return;
    this.drain();
  }
  drain(): void {
    const c = this.conn;
    if (!c) return;
    for (let b = c.read(); b; b = c.read()) this.received += b.length;
    if (c.readEnded && !this.eof) {
      this.eof = true;
      this.behaviour.onEof?.(c);
      if (this.behaviour.closeOnEof !== false) c.close();
    }
  }
  onWritable(): void {}
  onError(code: string): void {
    this.events.push(`error ${code}`);
  }
  onClose(): void {
    this.events.push('close');
  }
}

export class ExplainSim {
  readonly clock = new VirtualClock(0);
  readonly recorder: TraceRecorder;
  readonly stacks: Record<Side, Stack>;
  /** The links as the stacks see them (recorded): a router's answer goes out on one as if from that side of the path. */
  private readonly links: Record<Side, Link>;
  private readonly filters: DropFilter[] = [];

  constructor(readonly o: SimOptions) {
    const faults = { delayMs: o.rttMs / 2, loss: o.loss };
    const [la, lb] = createMemoryLinkPair({ clock: this.clock, rng: new SeededRng(o.seed * 7 + 3), mtu: o.mtu ?? 1500, faults });
    // The recorder reads the stacks, which are built on the recorder's clock and links.
    const built: Partial<Record<Side, Stack>> = {};
    this.recorder = new TraceRecorder(this.clock, {
      a: { connections: () => built.a?.connections() ?? [], counters: () => built.a?.counters() ?? {} },
      b: { connections: () => built.b?.connections() ?? [], counters: () => built.b?.counters() ?? {} },
    });
    const clock = this.recorder.wrapClock();
    this.links = { a: this.recorder.wrapLink('a', la), b: this.recorder.wrapLink('b', lb) };
    this.recorder.dropFilter = (s, p) => this.filters.some((f) => f(s, p));
    const a = new Stack({ link: this.links.a, addr: ADDRS.a, clock, rng: new SeededRng(o.seed * 3 + 1), tcp: o.tcp });
    const b = new Stack({ link: this.links.b, addr: ADDRS.b, clock, rng: new SeededRng(o.seed * 3 + 2), tcp: { ...o.tcp, ...o.tcpB } });
    built.a = a;
    built.b = b;
    this.stacks = { a, b };
  }

  /** Drop the packets for which `f` says so (a scripted loss, drawn as ✗); filters add up. */
  drop(f: DropFilter): void {
    this.filters.push(f);
  }

  /**
   * Put a router with a smaller next-hop MTU on the path from a to b (a
   * tunnel, a PPPoE link). As a router must (RFC 1191 §4; Linux ip_forward),
   * it drops a datagram larger than `mtu` that has DF set and answers the
   * sender with ICMP destination unreachable, fragmentation needed, carrying
   * `mtu` and quoting the datagram's header and first 8 data bytes (RFC 792).
   * The answer travels back over the b→a link (so it takes the one-way delay,
   * and --loss can lose it). Datagrams with DF clear pass whole: the scenarios
   * that use the router run TCP with path MTU discovery on, which sets DF on
   * every segment.
   */
  narrowPath(mtu: number, router = ROUTER_ADDR): void {
    this.drop((s, packet) => {
      if (s.from !== 'a' || !s.ip.df || s.ip.len <= mtu) return false;
      s.dropped = 'too-big';
      this.links.b.send(fragNeeded(ipv4(router), packet, mtu));
      return true;
    });
  }

  /** At virtual time `t`, run `fn` as an application action of `side` named `action`. */
  at(t: number, side: Side, action: string, fn: () => void): void {
    this.clock.setTimer(t, () => this.recorder.run({ kind: 'app', side, action }, fn));
  }

  /** `side` listens on `port`; accepted connections get `behaviour`. Returns the apps accepted, in order. */
  listen(side: Side, port: number, behaviour: AppBehaviour = {}, backlog = 16): { apps: App[]; listener: TcpListener } {
    const apps: App[] = [];
    const tcp = this.stacks[side].tcp;
    const listener: TcpListener = tcp.listen(port, backlog, () => {
      for (let c = listener.accept(); c; c = listener.accept()) {
        const app = new App(behaviour);
        app.conn = c;
        c.handler = app;
        apps.push(app);
        app.onReadable();
      }
    });
    return { apps, listener };
  }

  /** An active open from `side` to the other end's `port`. */
  connect(side: Side, port: number, behaviour: AppBehaviour = {}, localPort?: number): App {
    const app = new App(behaviour);
    const other = side === 'a' ? 'b' : 'a';
    app.conn = this.stacks[side].tcp.connect(this.stacks[other].addr, port, app, localPort);
    return app;
  }

  runUntil(t: number): void {
    this.clock.runUntil(t);
    // Not arrived although due: the link's random loss took it.
    for (const s of this.recorder.undelivered()) if (!s.dropped && s.t + this.o.rttMs / 2 < t) s.dropped = 'loss';
  }
}
