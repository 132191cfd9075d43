/**
 * The RFC 9293 Figure 5 walk as a property, on whole Stacks (IPv4, link
 * batching, TCP) joined by createMemoryLinkPair with loss, duplication and
 * reordering in virtual time: every observed state change is an edge of the
 * diagram, both ends finish, and TIME_WAIT lasts 2·MSL. Exact transitions
 * are in state-diagram.test.ts (its header has the requirement matrix).
 */
import { describe, expect, it } from 'vitest';
import type { TcpConnection, TcpState } from '../../src/tcp/api.js';
import { createMemoryLinkPair } from '../../src/link/memory.js';
import { Stack } from '../../src/stack.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng, randBytes } from '../../src/util/random.js';
import { Sink } from './wire-tap.js';

const PORT = 80;

/** The edges of RFC 9293 Figure 5 (plus the abort/timeout edges to CLOSED that §3.10 adds). */
const FIGURE_5: Record<TcpState, TcpState[]> = {
  CLOSED: ['LISTEN', 'SYN_SENT'],
  LISTEN: ['SYN_RECEIVED', 'SYN_SENT', 'CLOSED'],
  SYN_SENT: ['SYN_RECEIVED', 'ESTABLISHED', 'CLOSED'],
  SYN_RECEIVED: ['ESTABLISHED', 'FIN_WAIT_1', 'LISTEN', 'CLOSE_WAIT', 'CLOSED'],
  ESTABLISHED: ['FIN_WAIT_1', 'CLOSE_WAIT', 'CLOSED'],
  FIN_WAIT_1: ['FIN_WAIT_2', 'CLOSING', 'TIME_WAIT', 'CLOSED'],
  FIN_WAIT_2: ['TIME_WAIT', 'CLOSED'],
  CLOSE_WAIT: ['LAST_ACK', 'CLOSED'],
  CLOSING: ['TIME_WAIT', 'CLOSED'],
  LAST_ACK: ['CLOSED'],
  TIME_WAIT: ['CLOSED'],
};

function illegalEdges(path: TcpState[]): string[] {
  const bad: string[] = [];
  for (let i = 1; i < path.length; i++) if (!FIGURE_5[path[i - 1]].includes(path[i])) bad.push(`${path[i - 1]}→${path[i]}`);
  return bad;
}

describe('whole Stacks over createMemoryLinkPair (IPv4 + link batching + TCP), lossy, virtual time', () => {
  for (const seed of [101, 202, 303, 404]) {
    it(`every state change is an edge of Figure 5 and both sides end CLOSED, TIME_WAIT expiring at 2·MSL (seed ${seed})`, () => {
      console.log(`state-diagram whole-stack seed=${seed}`);
      const msl = 2_000;
      const clock = new VirtualClock(0);
      const faults = { delayMs: 3, loss: 0.1, duplicate: 0.05, reorder: 0.1, reorderHoldMs: 8 };
      const [la, lb] = createMemoryLinkPair({ clock, rng: new SeededRng(seed), faults });
      const a = new Stack({ link: la, addr: '10.0.0.1', clock, rng: new SeededRng(seed + 1), tcp: { msl } });
      const b = new Stack({ link: lb, addr: '10.0.0.2', clock, rng: new SeededRng(seed + 2), tcp: { msl } });
      let server: TcpConnection | undefined;
      const sink = new Sink();
      const l = b.tcp.listen(PORT, 4, () => {
        const c = l.accept();
        if (!c) return;
        server = c;
        sink.conn = c;
        c.handler = sink;
        sink.onReadable();
      });
      const client = new Sink();
      const conn = a.tcp.connect(b.addr, PORT, client);
      client.conn = conn;
      const data = randBytes(new SeededRng(seed), 100_000);
      let sent = false;
      const pc: TcpState[] = [conn.state];
      const ps: TcpState[] = [];
      let firstTwSeen = -1;
      let lastTwSeen = -1;
      // Sample every millisecond of virtual time (cheap: nothing runs between events).
      for (let t = 1; t <= 120_000; t++) {
        clock.runUntil(t);
        const sample = () => {
          if (pc.at(-1) !== conn.state) pc.push(conn.state);
          if (server && ps.at(-1) !== server.state) ps.push(server.state);
        };
        sample();
        // The applications act between events, so their CLOSE edges show in the paths too.
        if (!sent && conn.state === 'ESTABLISHED') {
          // (close() in SYN_SENT would just delete the TCB, RFC 9293 §3.10.4.)
          expect(conn.send(data)).toBe(data.length);
          conn.close();
          sent = true;
        }
        if (server?.state === 'CLOSE_WAIT' && server.readEnded) server.close();
        sample();
        if (a.tcp.connections().some((i) => i.state === 'TIME_WAIT')) {
          if (firstTwSeen < 0) firstTwSeen = t;
          lastTwSeen = t;
        }
      }
      const ctx = `seed ${seed}: client ${pc.join('→')}, server ${ps.join('→')}`;
      expect(Buffer.concat(sink.chunks).equals(data), ctx).toBe(true);
      expect(illegalEdges(pc), ctx).toEqual([]);
      expect(illegalEdges(ps), ctx).toEqual([]);
      expect(pc.at(-1), ctx).toBe('TIME_WAIT'); // the Connection object ends handed to the TIME_WAIT table
      expect(ps.at(-1), ctx).toBe('CLOSED');
      expect(a.tcp.connections(), ctx).toEqual([]);
      expect(b.tcp.connections().map((i) => i.state), ctx).toEqual(['LISTEN']);
      // TIME_WAIT lasted 2·MSL, or a little more if a retransmitted FIN restarted it.
      const twLasted = lastTwSeen - firstTwSeen + 1;
      console.log(`${ctx}: TIME_WAIT ${twLasted} ms`);
      expect(twLasted, ctx).toBeGreaterThanOrEqual(2 * msl);
      expect(twLasted, ctx).toBeLessThan(2 * msl + 5_000);
      expect([client.events, sink.events], ctx).toEqual([['connect', 'close'], ['close']]);
    });
  }
});
