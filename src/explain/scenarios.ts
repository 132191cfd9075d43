/**
 * The explain scenarios: each sets up two ends and the application calls
 * that make one TCP/IP behaviour happen. They script only the applications
 * and, where the behaviour needs it, which packet the link loses; everything
 * on the wire and every annotation comes from the stacks themselves.
 */
import { startUdpEcho } from '../apps/udp-echo.js';
import type { TcpOptions } from '../tcp/api.js';
import { ADDRS, type App, type AppBehaviour, type ExplainSim } from './sim.js';
import type { TraceSegment } from './trace-format.js';

export interface Scenario {
  name: string;
  /** One line for `explain --list` and the ladder's title. */
  title: string;
  tcp?: Partial<TcpOptions>;
  tcpB?: Partial<TcpOptions>;
  mtu?: number;
  /** Virtual time to run for, ms. */
  durationMs: number;
  setup(sim: ExplainSim): void;
}

const PORT = 80;
const isData = (s: TraceSegment): boolean => (s.tcp?.len ?? 0) > 0;

/** Drop the n-th (1-based) packet from `from` that matches `pred`, once each for the listed n. */
function dropNth(sim: ExplainSim, from: 'a' | 'b', pred: (s: TraceSegment) => boolean, nth: number[]): void {
  let seen = 0;
  sim.drop((s) => {
    if (s.from !== from || !pred(s)) return false;
    seen++;
    return nth.includes(seen);
  });
}

/** b listens on port 80 (t=0), a connects (t=1); the apps are there once the events ran. */
function handshakeThen(sim: ExplainSim, serverBehaviour: AppBehaviour = {}, clientBehaviour: AppBehaviour = {}) {
  let server: App[] = [];
  let client: App | undefined;
  sim.at(0, 'b', 'listen(80)', () => (server = sim.listen('b', PORT, serverBehaviour).apps));
  sim.at(1, 'a', 'connect()', () => (client = sim.connect('a', PORT, clientBehaviour)));
  return { server: () => server, client: () => client! };
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'handshake',
    title: 'three-way handshake with option negotiation',
    durationMs: 100,
    setup(sim) {
      sim.at(0, 'b', 'listen(80)', () => sim.listen('b', PORT));
      sim.at(1, 'a', 'connect()', () => sim.connect('a', PORT));
    },
  },
  {
    name: 'simultaneous-open',
    title: 'both ends send SYN at once (four segments, no listener)',
    durationMs: 100,
    setup(sim) {
      sim.at(0, 'a', 'connect(:5001 from :5000)', () => sim.connect('a', 5001, {}, 5000));
      sim.at(0, 'b', 'connect(:5000 from :5001)', () => sim.connect('b', 5000, {}, 5001));
    },
  },
  {
    name: 'close',
    title: 'orderly close: FIN each way, the active closer holds TIME-WAIT',
    durationMs: 200,
    setup(sim) {
      const { client } = handshakeThen(sim);
      sim.at(50, 'a', 'close()', () => client().conn!.close());
    },
  },
  {
    name: 'half-close',
    title: 'shutdown(SHUT_WR): the other direction keeps sending',
    durationMs: 300,
    setup(sim) {
      const reply = Buffer.alloc(3000, 0x68);
      const { client } = handshakeThen(sim, {
        onEof: (c) => void c.send(reply),
      });
      sim.at(50, 'a', 'shutdown(SHUT_WR)', () => client().conn!.shutdownWrite());
    },
  },
  {
    name: 'time-wait',
    title: 'TIME-WAIT re-acknowledges a retransmitted FIN and restarts 2·MSL',
    durationMs: 70_000,
    setup(sim) {
      const { client } = handshakeThen(sim);
      sim.at(50, 'a', 'close()', () => client().conn!.close());
      // Lose the client's ACK of the server's FIN once: the server retransmits its FIN.
      dropNth(sim, 'a', (s) => s.tcp?.flags === '.' && s.t >= 50, [1]);
    },
  },
  {
    name: 'challenge-ack',
    title: 'a client restarts on the same port: SYN in window → challenge ACK, RST, and a clean reconnect',
    durationMs: 1500,
    setup(sim) {
      const { client } = handshakeThen(sim);
      // The client "crashes": its connection vanishes and the RST it sends is lost.
      sim.drop((s) => s.from === 'a' && s.tcp?.flags.includes('R') === true && s.t < 60);
      let port = 0;
      sim.at(50, 'a', 'abort() (the RST is lost)', () => {
        port = client().conn!.localPort;
        client().conn!.abort();
      });
      sim.at(55, 'a', 'connect() from the same port', () => sim.connect('a', PORT, {}, port));
    },
  },
  {
    name: 'syn-retries',
    title: 'SYN retransmission with exponential backoff until the connect times out',
    durationMs: 200_000,
    setup(sim) {
      sim.at(0, 'b', 'listen(80)', () => sim.listen('b', PORT));
      sim.drop((s) => s.from === 'a' && s.tcp?.flags === 'S');
      sim.at(1, 'a', 'connect()', () => sim.connect('a', PORT));
    },
  },
  {
    name: 'syn-flood',
    title: 'SYN queue full: the listener answers with a SYN cookie and keeps no state',
    tcpB: { maxSynBacklog: 2 },
    durationMs: 100,
    setup(sim) {
      sim.at(0, 'b', 'listen(80, backlog 2)', () => sim.listen('b', PORT, {}, 2));
      // Two half-open connections whose SYN-ACKs vanish (as if sent to spoofed sources) fill the queue.
      const ghosts = new Set<number>();
      sim.drop((s) => s.from === 'b' && s.tcp?.flags === 'S.' && ghosts.has(s.tcp.dstPort));
      sim.at(1, 'a', 'connect() (no answer will reach it)', () => ghosts.add(sim.connect('a', PORT).conn!.localPort));
      sim.at(2, 'a', 'connect() (no answer will reach it)', () => ghosts.add(sim.connect('a', PORT).conn!.localPort));
      sim.at(3, 'a', 'connect()', () => sim.connect('a', PORT));
    },
  },
  {
    name: 'lost-segment',
    title: 'one segment lost: SACK and duplicate ACKs, fast retransmit, recovery',
    durationMs: 300,
    setup(sim) {
      const { client } = handshakeThen(sim);
      sim.at(50, 'a', 'write(8 segments)', () => client().conn!.send(Buffer.alloc(8 * 1448, 0x61)));
      dropNth(sim, 'a', isData, [3]);
    },
  },
  {
    name: 'rto',
    title: 'a segment and its first retransmission lost: RTO with exponential backoff',
    durationMs: 3000,
    setup(sim) {
      const { client } = handshakeThen(sim);
      sim.at(50, 'a', 'write(500 bytes)', () => client().conn!.send(Buffer.alloc(500, 0x61)));
      dropNth(sim, 'a', isData, [1, 2]);
    },
  },
  {
    name: 'zero-window',
    title: 'a receiver that does not read: the window closes, persist probes, the window reopens',
    tcpB: { rcvBuf: 8192 },
    durationMs: 2500,
    setup(sim) {
      const { server, client } = handshakeThen(sim, { read: false });
      sim.at(50, 'a', 'write(16 KiB)', () => client().conn!.send(Buffer.alloc(16384, 0x61)));
      sim.at(2000, 'b', 'read()', () => {
        for (const s of server()) {
          s.behaviour.read = true;
          s.drain();
        }
      });
    },
  },
  {
    name: 'nagle',
    title: 'Nagle: small writes wait while data is unacknowledged (with delayed ACKs)',
    durationMs: 200,
    setup(sim) {
      const { client } = handshakeThen(sim);
      for (let i = 0; i < 4; i++) sim.at(50 + i, 'a', 'write(100 bytes)', () => client().conn!.send(Buffer.alloc(100, 0x61)));
    },
  },
  {
    name: 'delayed-ack',
    title: 'quick ACKs at first, then a delayed ACK for a lone small segment, an immediate ACK for every second full one',
    // A small receive window: Linux's quick-ACK allowance is half the window in segments (tcp_incr_quickack).
    tcpB: { rcvBuf: 4096 },
    durationMs: 500,
    setup(sim) {
      // The server does not read: an application read of a short pushed segment is ACKed at once (tcp_cleanup_rbuf).
      const { client, server } = handshakeThen(sim, { read: false });
      for (let i = 0; i < 4; i++) sim.at(50 + 50 * i, 'a', 'write(100 bytes)', () => client().conn!.send(Buffer.alloc(100, 0x61)));
      sim.at(260, 'b', 'read()', () => {
        for (const app of server()) {
          app.behaviour.read = true;
          app.drain();
        }
      });
      sim.at(300, 'a', 'write(2 full segments)', () => client().conn!.send(Buffer.alloc(2 * 1448, 0x61)));
    },
  },
  {
    name: 'slow-start',
    title: 'slow start: the congestion window grows by one MSS per ACKed MSS',
    durationMs: 300,
    setup(sim) {
      const { client } = handshakeThen(sim);
      sim.at(50, 'a', 'write(40 segments)', () => client().conn!.send(Buffer.alloc(40 * 1448, 0x61)));
    },
  },
  {
    name: 'fragmentation',
    title: 'a 3000-byte UDP datagram over a 1500-byte MTU: fragments and reassembly',
    durationMs: 100,
    setup(sim) {
      sim.at(0, 'b', 'udp echo on port 7', () => startUdpEcho(sim.stacks.b.udp, 7));
      sim.at(1, 'a', 'sendto(3000 bytes, :7)', () => {
        const s = sim.stacks.a.createUdpSocket();
        s.bind(5000);
        s.send(Buffer.alloc(3000, 0x61), 7, ADDRS.b);
      });
    },
  },
  {
    name: 'pmtud',
    title: 'path MTU discovery: a 1280-byte hop answers a full-size segment with ICMP "fragmentation needed"; the MSS shrinks and the data goes again',
    durationMs: 300,
    setup(sim) {
      // Both ends sit on 1500-byte links and offer MSS 1460; only the router in between knows better.
      sim.narrowPath(1280);
      const { client } = handshakeThen(sim);
      sim.at(50, 'a', 'write(1448 bytes)', () => client().conn!.send(Buffer.alloc(1448, 0x61)));
    },
  },
];

export function scenarioByName(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
