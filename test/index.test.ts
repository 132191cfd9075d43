/**
 * The README's library example, through the public entry point (src/index.ts):
 * two Stacks joined by createMemoryLinkPair in virtual time, an echo server
 * built with stack.createServer, node:http served over our sockets, and a
 * UDP echo — so the documented API cannot drift from what exists.
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { createMemoryLinkPair, SeededRng, Stack, VirtualClock } from '../src/index.js';
import { settleUntil } from './socket/fake-tcp.js';

function pair(seed: number) {
  console.log(`index (README example) seed=${seed}`);
  const clock = new VirtualClock(0);
  const [la, lb] = createMemoryLinkPair({ clock, rng: new SeededRng(seed), faults: { delayMs: 1 } });
  const a = new Stack({ link: la, addr: '10.77.0.1', clock, rng: new SeededRng(seed + 1) });
  const b = new Stack({ link: lb, addr: '10.77.0.2', clock, rng: new SeededRng(seed + 2) });
  return { clock, a, b };
}

describe('public API (README "Library")', () => {
  it('echo over TCP, node:http over our sockets, UDP echo', async () => {
    const { clock, a, b } = pair(5);

    b.createServer((socket) => socket.pipe(socket)).listen(7);
    let echoed = '';
    const client = a.connect({ host: '10.77.0.2', port: 7 }, () => client.end('hi'));
    client.on('data', (d: Buffer) => (echoed += d.toString()));
    await settleUntil(clock, () => echoed === 'hi');

    const web = http.createServer((_req, res) => res.end('hello\n'));
    b.createServer((socket) => web.emit('connection', socket)).listen(80);
    let body = '';
    let status = 0;
    const req = http.request({ createConnection: () => a.connect({ host: '10.77.0.2', port: 80 }), path: '/' }, (res) => {
      status = res.statusCode ?? 0;
      res.on('data', (d: Buffer) => (body += d.toString()));
    });
    req.end();
    await settleUntil(clock, () => body === 'hello\n');
    expect(status).toBe(200);

    const udp = b.createUdpSocket();
    udp.bind(5353);
    udp.on('message', (msg, rinfo) => udp.send(msg, rinfo.port, rinfo.address));
    const u = a.createUdpSocket();
    let reply = '';
    u.on('message', (msg) => (reply = msg.toString()));
    u.bind(40000);
    u.send(Buffer.from('ping'), 5353, '10.77.0.2');
    await settleUntil(clock, () => reply === 'ping');

    expect(b.report()).toMatch(/LISTEN\s+0\s+0\s+10\.77\.0\.2:80/);
    await a.close();
    await b.close();
  });
});
