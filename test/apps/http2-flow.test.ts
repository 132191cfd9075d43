/**
 * HTTP/2 flow control (RFC 9113 §5.2) on top of our TCP receive window: the
 * client's stack has 16 KiB TCP buffers, one of six concurrent streams is not
 * read for a while, and the other five still complete (HTTP/2 bounds what
 * the paused stream may hold, so the shared connection keeps draining); the
 * paused stream then finishes byte-exact. Over h2c and over TLS (h2).
 */
import { afterEach, describe, expect, it } from 'vitest';
import http2 from 'node:http2';
import { tlsOver } from '../../src/socket/clients.js';
import { SERVER, webRig, type WebRig } from './rig.js';

describe('HTTP/2 streams over a small TCP window', () => {
  let rig: WebRig | undefined;
  afterEach(async () => {
    await rig?.http.close();
    await rig?.https.close();
  });

  for (const secure of [false, true]) {
    it(`a paused stream does not stall the others (${secure ? 'h2 over TLS' : 'h2c'})`, async () => {
      rig = await webRig(31, undefined, { rcvBuf: 16384, sndBuf: 16384 });
      const r = rig;
      const session = http2.connect(`${secure ? 'https' : 'http'}://${SERVER}`, {
        createConnection: () => (secure ? tlsOver(r.pair.a.connect({ host: SERVER, port: 443 }), { host: SERVER, ca: r.creds.cert, ALPNProtocols: ['h2'] }) : r.pair.a.connect({ host: SERVER, port: 80 })),
      });
      const bodies: Buffer[][] = Array.from({ length: 6 }, () => []);
      const done: boolean[] = Array(6).fill(false);
      const streams = bodies.map((parts, i) => {
        const s = session.request({ ':path': '/data.bin' });
        s.on('data', (d: Buffer) => parts.push(d));
        s.on('end', () => (done[i] = true));
        s.end();
        return s;
      });
      streams[0].pause();
      await r.drive(new Promise<void>((resolve) => {
        const check = (): void => (done.slice(1).every(Boolean) ? resolve() : void setImmediate(check));
        check();
      }));
      expect(done[0]).toBe(false);
      const held = bodies[0].reduce((n, b) => n + b.length, 0);
      expect(held).toBeLessThan(r.root.data.length);
      streams[0].resume();
      await r.drive(new Promise<void>((resolve) => {
        const check = (): void => (done[0] ? resolve() : void setImmediate(check));
        check();
      }));
      for (const parts of bodies) expect(Buffer.concat(parts).equals(r.root.data)).toBe(true);
      session.close();
    });
  }
});
