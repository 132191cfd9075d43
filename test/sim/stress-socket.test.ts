/**
 * The socket layer (stream.Duplex over TCP, src/socket) on whole Stacks under
 * loss, in virtual time driven with setImmediate between steps so stream
 * callbacks run: an echo through socket.pipe(socket) with small buffers
 * (backpressure both ways: write() false → 'drain', push() false → the
 * advertised window shrinks), a reader that pause()s for seconds, and
 * node:http request/response bodies through our sockets. Byte-exact, 'end'
 * and 'close' on both sides, no 'error', tables empty after 2·MSL.
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import type { TcpSocket } from '../../src/socket/socket.js';
import type { VirtualClock } from '../../src/time/virtual-clock.js';
import { randBytes, SeededRng } from '../../src/util/random.js';
import { checkInvariants, makePair, seeds, STRESS_MSL, type Pair } from './stress-harness.js';

const LOSSY = { delayMs: 8, jitterMs: 2, loss: 0.1, duplicate: 0.02, reorder: 0.03, reorderHoldMs: 10 };

async function settleUntil(clock: VirtualClock, cond: () => boolean, maxMs: number, step = 5): Promise<void> {
  const end = clock.now() + maxMs;
  while (!cond() && clock.now() < end) {
    clock.advance(step);
    await new Promise<void>((r) => setImmediate(r));
  }
  if (!cond()) throw new Error(`condition not reached within ${maxMs} ms of virtual time`);
}

/** Let the socket layer finish closing (its deferred work runs on setImmediate), then 2·MSL. */
async function drain(p: Pair): Promise<void> {
  await settleUntil(p.clock, () => false, 0).catch(() => undefined);
  for (let i = 0; i < 20; i++) {
    p.clock.advance(5);
    await new Promise<void>((r) => setImmediate(r));
  }
  p.clock.advance(2 * STRESS_MSL);
}

interface Watch {
  data: Buffer[];
  bytes: number;
  ended: boolean;
  closed: boolean;
  errors: string[];
}

function watch(s: TcpSocket, read = true): Watch {
  const w: Watch = { data: [], bytes: 0, ended: false, closed: false, errors: [] };
  if (read)
    s.on('data', (d: Buffer) => {
      w.data.push(d);
      w.bytes += d.length;
    });
  s.on('end', () => (w.ended = true));
  s.on('close', () => (w.closed = true));
  s.on('error', (e: NodeJS.ErrnoException) => w.errors.push(e.code ?? e.message));
  return w;
}

describe('socket echo through pipe() with small buffers under 10% loss', () => {
  for (const seed of seeds([1, 2, 3])) {
    it(`256 KiB through socket.pipe(socket), 16 KiB TCP buffers (seed ${seed})`, async () => {
      console.log(`stress-socket seed=${seed}`);
      const small = { sndBuf: 16384, rcvBuf: 16384 };
      const p = makePair({ seed, faults: LOSSY, tcpA: small, tcpB: small });
      let sw: Watch | undefined;
      const srv = p.b.createServer({ allowHalfOpen: true }, (s) => {
        sw = watch(s, false);
        s.pipe(s); // ends its side when the client's FIN arrives
      });
      srv.listen(7);
      const payload = randBytes(new SeededRng(seed), 256 * 1024);
      const c = p.a.connect({ host: '10.0.0.2', port: 7, allowHalfOpen: true });
      const cw = watch(c);
      c.end(payload);
      await settleUntil(p.clock, () => cw.closed && sw?.closed === true, 600_000);
      const label = `seed ${seed}`;
      expect(Buffer.concat(cw.data).equals(payload), label).toBe(true);
      expect([cw.ended, cw.errors, sw?.errors], label).toEqual([true, [], []]);
      srv.close();
      await drain(p);
      checkInvariants(p, label);
    });
  }
});

describe('a socket reader that pause()s for seconds (push() false shrinks the window)', () => {
  for (const seed of seeds([11, 12])) {
    it(`server sends 192 KiB, client paused from 0.2 s to 4 s, 10% loss (seed ${seed})`, async () => {
      console.log(`stress-socket-pause seed=${seed}`);
      const p = makePair({ seed, faults: LOSSY, tcpA: { rcvBuf: 8192 } });
      const payload = randBytes(new SeededRng(seed), 192 * 1024);
      let sw: Watch | undefined;
      const srv = p.b.createServer((s) => {
        sw = watch(s);
        s.end(payload);
      });
      srv.listen(80);
      const c = p.a.connect({ host: '10.0.0.2', port: 80 });
      const cw = watch(c);
      await settleUntil(p.clock, () => cw.bytes > 0, 60_000);
      c.pause();
      const pausedAt = cw.bytes;
      p.clock.advance(200);
      await settleUntil(p.clock, () => p.clock.now() >= 4000, 10_000, 20);
      // Nothing is delivered while paused beyond what the stream had buffered.
      expect(cw.bytes, `seed ${seed}`).toBe(pausedAt);
      c.resume();
      await settleUntil(p.clock, () => cw.ended, 600_000);
      c.end();
      await settleUntil(p.clock, () => cw.closed && sw?.closed === true, 600_000);
      expect(Buffer.concat(cw.data).equals(payload), `seed ${seed}`).toBe(true);
      expect([cw.errors, sw?.errors], `seed ${seed}`).toEqual([[], []]);
      srv.close();
      await drain(p);
      checkInvariants(p, `seed ${seed}`);
    });
  }
});

describe('node:http over our sockets under 10% loss', () => {
  for (const seed of seeds([21, 22])) {
    it(`5 POSTs of 24 KiB, each answered with a 96 KiB body (seed ${seed})`, async () => {
      console.log(`stress-http seed=${seed}`);
      const p = makePair({ seed, faults: LOSSY });
      const rng = new SeededRng(seed);
      const web = http.createServer((req, res) => {
        const parts: Buffer[] = [];
        req.on('data', (d: Buffer) => parts.push(d));
        req.on('end', () => {
          const body = Buffer.concat(parts);
          // Answer with a body derived from the request so a mix-up shows.
          const out = Buffer.alloc(96 * 1024);
          for (let i = 0; i < out.length; i++) out[i] = body[i % body.length] ^ (i & 0xff);
          res.setHeader('content-length', out.length);
          res.end(out);
        });
      });
      const srv = p.b.createServer((s) => web.emit('connection', s));
      srv.listen(80);
      for (let i = 0; i < 5; i++) {
        const reqBody = randBytes(rng, 24 * 1024);
        let status = 0;
        const got: Buffer[] = [];
        let done = false;
        const errors: string[] = [];
        const req = http.request(
          { method: 'POST', path: `/${i}`, createConnection: () => p.a.connect({ host: '10.0.0.2', port: 80 }), headers: { 'content-length': reqBody.length } },
          (res) => {
            status = res.statusCode ?? 0;
            res.on('data', (d: Buffer) => got.push(d));
            res.on('end', () => (done = true));
          },
        );
        req.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
        req.end(reqBody);
        await settleUntil(p.clock, () => done || errors.length > 0, 300_000);
        const label = `seed ${seed} request ${i}`;
        expect(errors, label).toEqual([]);
        expect(status, label).toBe(200);
        const body = Buffer.concat(got);
        expect(body.length, label).toBe(96 * 1024);
        let ok = true;
        for (let k = 0; k < body.length && ok; k++) ok = body[k] === (reqBody[k % reqBody.length] ^ (k & 0xff));
        expect(ok, `${label}: body bytes`).toBe(true);
      }
      await settleUntil(p.clock, () => p.a.tcp.connections().every((c) => c.state === 'TIME_WAIT' || c.state === 'CLOSED'), 600_000).catch(() => undefined);
      web.close();
      srv.close();
      await drain(p);
      // http.Server keeps idle keep-alive sockets; each request used its own
      // connection (createConnection), closed by the client after the response.
      checkInvariants(p, `seed ${seed}`, { allowRst: true });
    });
  }
});

describe('node:http keep-alive: many requests on one connection under 10% loss', () => {
  for (const seed of seeds([31, 32])) {
    it(`10 GETs through an http.Agent with keepAlive, 16 KiB bodies (seed ${seed})`, async () => {
      console.log(`stress-http-keepalive seed=${seed}`);
      const p = makePair({ seed, faults: LOSSY });
      const bodies = Array.from({ length: 10 }, (_, i) => randBytes(new SeededRng(seed * 100 + i), 16 * 1024));
      const web = http.createServer((req, res) => {
        const i = Number((req.url ?? '/0').slice(1));
        res.setHeader('content-length', bodies[i].length);
        res.end(bodies[i]);
      });
      const srv = p.b.createServer((s) => web.emit('connection', s));
      srv.listen(80);
      let connections = 0;
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      // The Agent asks for a socket through createConnection when it has none to reuse.
      (agent as unknown as { createConnection: () => TcpSocket }).createConnection = () => {
        connections++;
        return p.a.connect({ host: '10.0.0.2', port: 80 });
      };
      for (let i = 0; i < 10; i++) {
        const got: Buffer[] = [];
        let done = false;
        const errors: string[] = [];
        const req = http.get({ path: `/${i}`, agent }, (res) => {
          res.on('data', (d: Buffer) => got.push(d));
          res.on('end', () => (done = true));
        });
        req.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
        await settleUntil(p.clock, () => done || errors.length > 0, 300_000);
        expect(errors, `seed ${seed} request ${i}`).toEqual([]);
        expect(Buffer.concat(got).equals(bodies[i]), `seed ${seed} request ${i}`).toBe(true);
      }
      // Every request reused the one connection (HTTP/1.1 persistent connection).
      expect(connections, `seed ${seed}`).toBe(1);
      agent.destroy();
      web.close();
      srv.close();
      await settleUntil(p.clock, () => p.a.tcp.connections().concat(p.b.tcp.connections()).every((c) => c.state === 'TIME_WAIT' || c.state === 'CLOSED'), 600_000);
      await drain(p);
      checkInvariants(p, `seed ${seed}`, { allowRst: true });
    });
  }
});

describe('destroy() mid-transfer under 10% loss: the peer sees ECONNRESET (RFC 9293 §3.10.5, §3.10.7.4)', () => {
  for (const seed of seeds([41, 42, 43])) {
    it(`client destroys after 64 KiB of a 1 MiB download (seed ${seed})`, async () => {
      console.log(`stress-socket-destroy seed=${seed}`);
      const p = makePair({ seed, faults: LOSSY, tcpB: { sndBuf: 65536 } });
      let sw: Watch | undefined;
      const srv = p.b.createServer((s) => {
        sw = watch(s, false);
        const chunk = Buffer.alloc(16384, 7);
        let sent = 0;
        const pump = () => {
          while (sent < 1 << 20 && !s.destroyed) {
            sent += chunk.length;
            if (!s.write(chunk)) return;
          }
          if (sent >= 1 << 20) s.end();
        };
        s.on('drain', pump);
        pump();
      });
      srv.listen(80);
      const c = p.a.connect({ host: '10.0.0.2', port: 80 });
      const cw = watch(c);
      await settleUntil(p.clock, () => cw.bytes >= 64 * 1024, 300_000);
      c.destroy();
      // The RST may be lost; the server's next segment to the dead port then gets a RST of its own (RFC 9293 §3.10.7.1).
      await settleUntil(p.clock, () => sw?.closed === true, 600_000);
      expect(sw?.errors, `seed ${seed}`).toEqual(['ECONNRESET']);
      expect(cw.errors, `seed ${seed}`).toEqual([]);
      srv.close();
      await drain(p);
      expect(p.b.tcp.stats.EstabResets, `seed ${seed}`).toBeGreaterThan(0);
      const left = p.a.tcp.connections().concat(p.b.tcp.connections());
      expect(left, `seed ${seed}`).toEqual([]);
      expect(p.b.tcp.stats.CurrEstab + p.a.tcp.stats.CurrEstab, `seed ${seed}`).toBe(0);
    });
  }
});
