/**
 * The /ws echo (RFC 6455) over whole Stacks in virtual time: fragmented
 * messages come back whole, pings are answered with pongs, close codes are
 * echoed, other paths are refused, and a client that stops reading holds the
 * server to a bounded buffer (it pauses reading, so TCP pushes back) while
 * everything still arrives once the client reads again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { WebSocket } from 'ws';
import { stackConnection } from '../../src/socket/clients.js';
import { SERVER, webRig, type WebRig } from './rig.js';

function open(rig: WebRig, path = '/ws'): WebSocket {
  return new WebSocket(`ws://${SERVER}${path}`, { createConnection: stackConnection(rig.pair.a) as never, perMessageDeflate: false, maxPayload: 64 << 20 });
}

const once = <T>(ws: WebSocket, ev: string): Promise<T> => new Promise((resolve) => ws.once(ev, (...args: unknown[]) => resolve(args as T)));

describe('WebSocket echo at /ws (RFC 6455)', () => {
  let rig: WebRig | undefined;
  afterEach(async () => {
    await rig?.http.close();
    await rig?.https.close();
  });

  it('a fragmented message comes back whole; ping gets pong; the close code is echoed', async () => {
    rig = await webRig(21);
    const ws = open(rig);
    await rig.drive(once(ws, 'open'));
    const got = once<[Buffer, boolean]>(ws, 'message');
    ws.send('frag-', { fin: false });
    ws.send('men-', { fin: false });
    ws.send('ted', { fin: true });
    const [msg, isBinary] = await rig.drive(got);
    expect(isBinary).toBe(false);
    expect(msg.toString()).toBe('frag-men-ted');
    const pong = once<[Buffer]>(ws, 'pong');
    ws.ping('are you there');
    expect((await rig.drive(pong))[0].toString()).toBe('are you there');
    const closed = once<[number, Buffer]>(ws, 'close');
    ws.close(4321, 'bye');
    const [code, reason] = await rig.drive(closed);
    expect(code).toBe(4321);
    expect(reason.toString()).toBe('bye');
  });

  it('a path other than /ws is refused with 404', async () => {
    rig = await webRig(22);
    const ws = open(rig, '/other');
    ws.on('error', () => {});
    const [, res] = await rig.drive(once<[unknown, { statusCode: number }]>(ws, 'unexpected-response'));
    expect(res.statusCode).toBe(404);
  });

  it('backpressure: a client that stops reading bounds the server buffer; 24 MiB still echo byte-exact', async () => {
    rig = await webRig(23);
    const ws = open(rig);
    await rig.drive(once(ws, 'open'));
    const server = [...rig.http.websocket.wss.clients][0];
    const CHUNK = 256 * 1024;
    const TOTAL = 24 << 20;
    const sent = createHash('sha256');
    const back = createHash('sha256');
    let gotBytes = 0;
    ws.on('message', (d: Buffer) => {
      back.update(d);
      gotBytes += d.length;
    });
    ws.pause(); // stop reading: our receive window closes on the server
    let offered = 0;
    let maxServerBuffered = 0;
    for (let i = 0; offered < TOTAL; i++) {
      const b = Buffer.alloc(CHUNK, i & 0xff);
      sent.update(b);
      ws.send(b);
      offered += CHUNK;
      for (let k = 0; k < 5; k++) {
        rig.pair.clock.advance(2);
        await new Promise<void>((r) => setImmediate(r));
      }
      maxServerBuffered = Math.max(maxServerBuffered, server.bufferedAmount);
    }
    // Paused: the server stopped reading too, so its unsent echoes stay bounded.
    expect(server.isPaused).toBe(true);
    expect(maxServerBuffered).toBeLessThan(4 << 20);
    expect(gotBytes).toBe(0);
    ws.resume();
    await rig.drive(new Promise<void>((resolve) => {
      const check = (): void => (gotBytes >= TOTAL ? resolve() : void setImmediate(check));
      check();
    }));
    expect(gotBytes).toBe(TOTAL);
    expect(back.digest('hex')).toBe(sent.digest('hex'));
    ws.close(1000);
  });
});
