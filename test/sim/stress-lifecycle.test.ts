/**
 * Connection lifecycles under faults, on whole Stacks: half-close with the
 * other side sending long after (RFC 9293 §3.6: a FIN closes one direction
 * only; FIN-WAIT-2 keeps receiving), either side closing first (TIME_WAIT on
 * the client or on the server, RFC 9293 §3.6.1), many short connections in a
 * row including a new SYN for a 4-tuple still in TIME_WAIT on the server
 * (RFC 6191 with timestamps, Linux tcp_timewait_state_process), and several
 * connections in parallel sharing a congested link.
 */
import { describe, expect, it } from 'vitest';
import { randBytes, SeededRng } from '../../src/util/random.js';
import { bothClosed, checkGauges, checkInvariants, Endpoint, expectClean, makePair, runUntil, seeds, start, transfer, type Started } from './stress-harness.js';

const LOSSY = { delayMs: 8, jitterMs: 3, loss: 0.1, duplicate: 0.03, reorder: 0.05, reorderHoldMs: 10, corrupt: 0.01 };

describe('half-close: the client sends and shuts down, the server answers seconds later (RFC 9293 §3.6)', () => {
  for (const seed of seeds([1, 2, 3, 4])) {
    it(`16 KiB up then FIN; 256 KiB down starting at 3 s, 10% loss (seed ${seed})`, () => {
      console.log(`stress-halfclose seed=${seed}`);
      const p = makePair({ seed, faults: LOSSY });
      const rng = new SeededRng(seed);
      const up = randBytes(rng, 16 * 1024);
      const down = randBytes(rng, 256 * 1024);
      const r = transfer(p, 7, { out: up }, { out: down, sendAfter: 3000 }, 600_000);
      const label = `seed ${seed}`;
      expectClean(r, up, down, label);
      // Every byte reached the client after it had half-closed (FIN_WAIT_1, or
      // FIN_WAIT_2 once its FIN was ACKed): the FIN closed one direction only.
      const states = [...r.client.readStates];
      expect(states.length > 0 && states.every((s) => s === 'FIN_WAIT_1' || s === 'FIN_WAIT_2'), `${label}: ${states.join(',')}`).toBe(true);
      expect(r.doneAt, label).toBeLessThan(120_000);
      checkInvariants(p, label);
    });
  }
});

describe('who closes first (TIME_WAIT on either side, RFC 9293 §3.6.1)', () => {
  for (const seed of seeds([11, 12, 13, 14])) {
    const serverFirst = seed % 2 === 0;
    it(`${serverFirst ? 'server' : 'client'} closes first, 64 KiB each way, 10% loss (seed ${seed})`, () => {
      console.log(`stress-closefirst seed=${seed}`);
      const p = makePair({ seed, faults: LOSSY });
      const rng = new SeededRng(seed);
      const up = randBytes(rng, 64 * 1024);
      const down = randBytes(rng, 64 * 1024);
      const r = transfer(p, 8, { out: up, holdFin: serverFirst }, { out: down, holdFin: !serverFirst }, 600_000);
      const label = `seed ${seed}`;
      expectClean(r, up, down, label);
      checkInvariants(p, label);
    });
  }
});

describe('many short connections in a row (request/response, ephemeral ports)', () => {
  for (const seed of seeds([21, 22, 23])) {
    it(`40 connections, 1 KiB request / 8 KiB response, alternating who closes first, 10% loss (seed ${seed})`, () => {
      console.log(`stress-short seed=${seed}`);
      const p = makePair({ seed, faults: LOSSY });
      const rng = new SeededRng(seed);
      for (let i = 0; i < 40; i++) {
        const up = randBytes(rng, 1024);
        const down = randBytes(rng, 8192);
        const serverFirst = i % 2 === 1;
        const r = transfer(p, 80, { out: up, holdFin: serverFirst }, { out: down, holdFin: !serverFirst }, 300_000);
        expectClean(r, up, down, `seed ${seed} connection ${i}`);
      }
      checkInvariants(p, `seed ${seed}`);
    });
  }
});

describe('a new SYN for a 4-tuple in TIME_WAIT on the server (RFC 6191, RFC 9293 §3.6.1)', () => {
  for (const seed of seeds([31, 32])) {
    for (const ts of [true, false]) {
      it(`same client port reused at once, server closed first, timestamps ${ts} (seed ${seed})`, () => {
        console.log(`stress-twreuse seed=${seed}`);
        // No loss: the point is the TIME_WAIT decision, which must be the same every time.
        const p = makePair({ seed, faults: { delayMs: 5 }, tcpA: { timestamps: ts }, tcpB: { timestamps: ts } });
        const rng = new SeededRng(seed);
        for (let i = 0; i < 5; i++) {
          const up = randBytes(rng, 2000);
          const down = randBytes(rng, 3000);
          const r = transfer(p, 80, { out: up, holdFin: true }, { out: down }, 120_000, 40001);
          expectClean(r, up, down, `seed ${seed} connection ${i}`);
          const tw = p.b.tcp.connections().filter((c) => c.state === 'TIME_WAIT');
          expect(tw.length, `seed ${seed} connection ${i}: server in TIME_WAIT`).toBe(1);
        }
        // Each later SYN found the server's TIME_WAIT and was let through
        // (with timestamps by RFC 6191, without by ISN as Linux does).
        expect(p.b.tcp.stats.PassiveOpens).toBe(5);
        checkInvariants(p, `seed ${seed}`);
      });
    }
  }
});

describe('several connections in parallel over one congested, lossy link', () => {
  for (const seed of seeds([41, 42, 43])) {
    it(`8 connections × 64 KiB each way, 1 MB/s, 24 KiB queue, 3% loss (seed ${seed})`, () => {
      console.log(`stress-parallel seed=${seed}`);
      const faults = { delayMs: 10, jitterMs: 2, rateBytesPerSec: 1_000_000, queueLimitBytes: 24 * 1024, loss: 0.03, duplicate: 0.01 };
      const p = makePair({ seed, faults });
      const rng = new SeededRng(seed);
      const runs: { s: Started; up: Buffer; down: Buffer }[] = [];
      for (let i = 0; i < 8; i++) {
        const up = randBytes(rng, 64 * 1024);
        const down = randBytes(rng, 64 * 1024);
        runs.push({ s: start(p, 6000 + i, { out: up, chunk: 4096 }, { out: down, chunk: 4096 }), up, down });
      }
      runUntil(p.clock, 600_000, () => {
        checkGauges(p);
        return runs.every((x) => bothClosed(x.s));
      });
      for (const [i, x] of runs.entries()) {
        x.s.close();
        expectClean(x.s, x.up, x.down, `seed ${seed} connection ${i}`);
      }
      // 1 MiB total over 1 MB/s: about a second of serialization; allow for recovery.
      expect(p.clock.now(), `seed ${seed}`).toBeLessThan(60_000);
      checkInvariants(p, `seed ${seed}`);
    });
  }
});

// Loss only, no reordering: a SYN-cookie listener validates the cookie in
// an ACK against SEG.SEQ - 1 (Linux cookie_v4_check), so only segments at
// ISS+1 can complete the handshake, and one that fails is an ACK in LISTEN,
// answered with a RST (RFC 9293 §3.10.7.2) that the client accepts. Data
// that overtakes the first segment therefore resets the connection — on
// Linux too; that is the price of SYN cookies, not something TCP can fix.
// If the pure ACK and the first data segment are both lost the connection
// is reset the same way, so the loss is 5% (1 run in 400 then).
const LOSS_ONLY = { delayMs: 8, loss: 0.05 };

describe('SYN cookies under loss (RFC 4987 §3.6, Linux tcp_syncookies=2)', () => {
  for (const seed of seeds([51, 52, 53, 54])) {
    const ts = seed % 2 === 0;
    it(`server always answers with a cookie, timestamps ${ts}, 5% loss (no reordering), 64 KiB each way (seed ${seed})`, () => {
      console.log(`stress-cookies seed=${seed}`);
      const p = makePair({ seed, faults: LOSS_ONLY, tcpA: { timestamps: ts }, tcpB: { synCookies: 'always', timestamps: ts } });
      const rng = new SeededRng(seed);
      const up = randBytes(rng, 64 * 1024);
      const down = randBytes(rng, 64 * 1024);
      const r = transfer(p, 443, { out: up }, { out: down }, 600_000);
      const label = `seed ${seed}`;
      expectClean(r, up, down, label);
      expect(p.b.tcp.stats.SyncookiesSent, label).toBeGreaterThan(0);
      expect(p.b.tcp.stats.SyncookiesRecv, label).toBeGreaterThan(0);
      checkInvariants(p, label);
    });
  }
});

describe('a burst of connections beyond the listen backlog under loss (RFC 9293 §3.10.7.2)', () => {
  for (const seed of seeds([61, 62])) {
    it(`20 clients at once, backlog 8, SYN queue 4 (cookies when full), 1% loss, no reordering (seed ${seed})`, () => {
      console.log(`stress-backlog seed=${seed}`);
      // 1% loss: a cookie connection whose pure ACK and first data segment
      // are both lost is reset (see LOSS_ONLY; traced for "seed 105" at 3%,
      // where 2 runs in 200 hit it), so keep that at 1 run in ~500.
      const p = makePair({ seed, faults: { delayMs: 8, loss: 0.01 }, tcpB: { maxSynBacklog: 4 } });
      // The response depends on the client's port, so each side knows what to expect.
      const response = (port: number) => randBytes(new SeededRng(port), 8192);
      const servers: Endpoint[] = [];
      const l = p.b.tcp.listen(8080, 8, () => {
        for (let c = l.accept(); c; c = l.accept()) {
          const e = new Endpoint(p.clock, { out: response(c.remotePort) });
          servers.push(e);
          e.attach(c);
        }
      });
      const rng = new SeededRng(seed);
      const clients: { e: Endpoint; up: Buffer }[] = [];
      for (let i = 0; i < 20; i++) {
        const up = randBytes(rng, 2048);
        const e = new Endpoint(p.clock, { out: up });
        e.conn = p.a.tcp.connect(p.b.addr, 8080, e);
        clients.push({ e, up });
      }
      const done = (e: Endpoint) => e.closedAt !== undefined && e.eofAt !== undefined;
      runUntil(p.clock, 600_000, () => {
        checkGauges(p);
        return clients.every((c) => done(c.e)) && servers.length === 20 && servers.every(done);
      });
      l.close();
      for (const [i, c] of clients.entries()) {
        const label = `seed ${seed} client ${i}`;
        expect(c.e.events, label).toEqual(['eof', 'close']);
        expect(c.e.received().equals(response(c.e.conn?.localPort ?? 0)), label).toBe(true);
      }
      // Each server got one client's bytes, whole.
      const ups = new Set(clients.map((c) => c.up.toString('hex')));
      for (const s of servers) expect(ups.has(s.received().toString('hex')), `seed ${seed}`).toBe(true);
      // The SYN queue really overflowed into cookies (Linux TCPReqQFullDoCookies).
      expect(p.b.tcp.stats.TCPReqQFullDoCookies, `seed ${seed}`).toBeGreaterThan(0);
      checkInvariants(p, `seed ${seed}`);
    });
  }
});

describe('simultaneous close: FINs cross (RFC 9293 §3.6 case 2, CLOSING)', () => {
  for (const seed of seeds([71, 72, 73, 74, 75, 76])) {
    it(`1 KiB each way, both FINs at once, 15% loss (seed ${seed})`, () => {
      console.log(`stress-simclose seed=${seed}`);
      const p = makePair({ seed, faults: { delayMs: 20, jitterMs: 2, loss: 0.15, duplicate: 0.03 } });
      const rng = new SeededRng(seed);
      const up = randBytes(rng, 1024);
      const down = randBytes(rng, 1024);
      // Both send once the connection is up (at 100 ms), so both FINs leave before either arrives.
      const r = transfer(p, 9, { out: up, sendAfter: 100 }, { out: down, sendAfter: 100 }, 600_000);
      const label = `seed ${seed}`;
      expectClean(r, up, down, label);
      checkInvariants(p, label);
    });
  }
});
