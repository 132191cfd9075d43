/**
 * The web services over two whole Stacks on the in-memory link, in virtual
 * time: HTTP/1.1, HTTPS, h2c, h2 over TLS and the WebSocket echo, with Node's
 * own clients dialling through our sockets.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { request, h2Gets, wsEcho } from './clients.js';
import { SERVER, webRig, type WebRig } from './rig.js';

describe('web services over in-memory stacks', () => {
  let rig: WebRig;
  afterAll(async () => {
    await rig?.http.close();
    await rig?.https.close();
  });

  it('http/1.1 GET of a file', async () => {
    rig = await webRig(1);
    const r = await rig.drive(request(rig.pair.a, { host: SERVER, path: '/data.bin' }));
    expect(r.status).toBe(200);
    expect(r.body.equals(rig.root.data)).toBe(true);
  });

  it('https GET', async () => {
    const r = await rig.drive(request(rig.pair.a, { host: SERVER, path: '/data.bin', secure: true, ca: rig.creds.cert }));
    expect(r.status).toBe(200);
    expect(r.body.equals(rig.root.data)).toBe(true);
  });

  it('h2c prior knowledge, many streams', async () => {
    const r = await rig.drive(h2Gets(rig.pair.a, SERVER, ['/data.bin', '/index.html', '/gen/100000']));
    expect(r.replies.map((x) => x.status)).toEqual([200, 200, 200]);
    expect(r.replies[0].body.equals(rig.root.data)).toBe(true);
    expect(r.replies[2].body.length).toBe(100000);
  });

  it('h2 over TLS (ALPN)', async () => {
    const r = await rig.drive(h2Gets(rig.pair.a, SERVER, ['/data.bin', '/index.html'], rig.creds.cert));
    expect(r.alpn).toBe('h2');
    expect(r.replies[0].body.equals(rig.root.data)).toBe(true);
  });

  it('websocket echo on 80 and 443', async () => {
    const msgs = ['hello', Buffer.alloc(200_000, 7)];
    const r = await rig.drive(wsEcho(rig.pair.a, `ws://${SERVER}/ws`, msgs));
    expect(r.echoes[0]).toBe('hello');
    expect((r.echoes[1] as Buffer).equals(msgs[1] as Buffer)).toBe(true);
    expect(r.closeCode).toBe(4001);
    const s = await rig.drive(wsEcho(rig.pair.a, `wss://${SERVER}/ws`, msgs, rig.creds.cert));
    expect(s.echoes[0]).toBe('hello');
  });
});
