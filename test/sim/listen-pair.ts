/**
 * Client Connection (active open) ↔ server Listener + Connection.fromHandshake
 * (passive open), joined through FaultPipes on one VirtualClock. Exercises the
 * conn/layer seam (HandshakeResult, fromHandshake, accept) with the layer's
 * own Listener before the whole TcpLayer exists; real bytes on the wire.
 */
import { DEFAULT_TCP_OPTIONS, type TcpConnection, type TcpOptions } from '../../src/tcp/api.js';
import { Connection } from '../../src/tcp/connection.js';
import type { FourTuple, HandshakeResult, TcpEnv, TimeWaitRecord } from '../../src/tcp/env.js';
import { IsnGenerator } from '../../src/tcp/isn.js';
import { Listener, type ListenerHost } from '../../src/tcp/listener.js';
import { SynCookies } from '../../src/tcp/syn-cookies.js';
import { bump } from '../../src/tcp/stats.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng } from '../../src/util/random.js';
import { emitTcpSegment, parseTcpSegment, tcpHeaderLen, type TcpRepr } from '../../src/wire/tcp.js';
import { FaultPipe, type FaultOptions } from './fault-pipe.js';
import { Recorder } from './conn-pair.js';

export const CLIENT = 0x0a000001;
export const SERVER = 0x0a000002;
export const SERVER_PORT = 80;

/** One side: an env for connections, a tiny demux of connections by remote port, an optional listener. */
class Side implements TcpEnv, ListenerHost {
  readonly stats: Record<string, number> = {};
  readonly cookies: SynCookies;
  readonly isn: IsnGenerator;
  /** Keyed by `remotePort:localPort` (one address pair per side). */
  readonly conns = new Map<string, Connection>();
  listener?: Listener;
  far!: Side;
  timeWaits: TimeWaitRecord[] = [];
  constructor(
    readonly clock: VirtualClock,
    readonly rng: SeededRng,
    readonly options: TcpOptions,
    readonly addr: number,
    private readonly pipe: FaultPipe,
  ) {
    this.cookies = new SynCookies(rng);
    this.isn = new IsnGenerator(clock, rng);
  }
  get localMss(): number {
    return 1460;
  }
  sendSegment(seg: TcpRepr, localAddr: number, remoteAddr: number): void {
    const buf = Buffer.alloc(tcpHeaderLen(seg) + seg.payload.length);
    emitTcpSegment(seg, buf, 0, localAddr, remoteAddr);
    this.pipe.carry(buf, (p) => this.far.receive(p, localAddr, remoteAddr));
  }
  receive(p: Buffer, src: number, dst: number): void {
    const seg = parseTcpSegment(p, src, dst);
    if (typeof seg === 'string') {
      bump(this.stats, seg);
      return;
    }
    const c = this.conns.get(`${seg.srcPort}:${seg.dstPort}`);
    if (c && !c.isClosed) c.input(seg);
    else if (this.listener && seg.dstPort === this.listener.localPort) this.listener.input(dst, src, seg);
  }
  unregister(key: FourTuple): void {
    this.conns.delete(`${key.remotePort}:${key.localPort}`);
  }
  enterTimeWait(tw: TimeWaitRecord): void {
    this.timeWaits.push(tw);
    this.conns.delete(`${tw.remotePort}:${tw.localPort}`);
  }
  challengeAckAllowed(): boolean {
    return true;
  }
  allocateIss(t: FourTuple): number {
    return this.isn.iss(t);
  }
  tsOffset(t: FourTuple): number {
    return (this.isn.iss({ ...t, localPort: t.localPort ^ 0x5555 }) * 7) >>> 0;
  }
  establish(result: HandshakeResult, ack: TcpRepr): TcpConnection {
    const c = Connection.fromHandshake(this, result, ack);
    if (!c.isClosed) this.conns.set(`${result.remotePort}:${result.localPort}`, c);
    return c;
  }
  listenerClosed(): void {
    this.listener = undefined;
  }
}

export interface ListenPair {
  clock: VirtualClock;
  client: Side;
  server: Side;
  ab: FaultPipe;
  ba: FaultPipe;
  /** Connections accepted by the server so far, each with its Recorder. */
  accepted: Array<{ conn: TcpConnection; rec: Recorder }>;
  connect(localPort: number): { conn: Connection; rec: Recorder };
}

export function makeListenPair(
  seed: number,
  faults: FaultOptions,
  options: Partial<TcpOptions> = {},
  backlog = 16,
): ListenPair {
  const clock = new VirtualClock(0);
  const opts = { ...DEFAULT_TCP_OPTIONS, ...options };
  const ab = new FaultPipe(clock, new SeededRng(seed * 7 + 1), faults);
  const ba = new FaultPipe(clock, new SeededRng(seed * 7 + 2), faults);
  const client = new Side(clock, new SeededRng(seed * 7 + 3), opts, CLIENT, ab);
  const server = new Side(clock, new SeededRng(seed * 7 + 4), opts, SERVER, ba);
  client.far = server;
  server.far = client;
  const accepted: ListenPair['accepted'] = [];
  const listener: Listener = new Listener(server, SERVER, SERVER_PORT, backlog, () => {
    for (let c = listener.accept(); c; c = listener.accept()) {
      const rec = new Recorder();
      rec.conn = c as Connection;
      c.handler = rec;
      rec.drain(); // data may have come with the handshake
      accepted.push({ conn: c, rec });
    }
  });
  server.listener = listener;
  return {
    clock,
    client,
    server,
    ab,
    ba,
    accepted,
    connect(localPort: number) {
      const rec = new Recorder();
      const t = { localAddr: CLIENT, localPort, remoteAddr: SERVER, remotePort: SERVER_PORT };
      const conn = Connection.connect(client, t, client.allocateIss(t), rec);
      rec.conn = conn;
      client.conns.set(`${SERVER_PORT}:${localPort}`, conn);
      return { conn, rec };
    },
  };
}
