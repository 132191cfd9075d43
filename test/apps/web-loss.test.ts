/**
 * The services over two whole Stacks on the in-memory link in virtual time,
 * with 10% loss both ways (plus duplication and reordering): HTTP/1.1, HTTPS,
 * h2c and h2 with several streams, WebSocket echo on 80 and 443, an upload,
 * and DNS over UDP (retries) and TCP (truncation). Byte-exact. Seeds are
 * printed; `npx vitest run test/apps/web-loss.test.ts -t "seed N"` reruns one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { request, h2Gets, wsEcho } from './clients.js';
import { SERVER, webRig, type WebRig } from './rig.js';
import { startDnsServer } from '../../src/dns/server.js';
import { Zone } from '../../src/dns/zone.js';
import { pattern } from '../../src/apps/static-files.js';
import { seeds } from '../sim/stress-harness.js';
import { randBytes, SeededRng } from '../../src/util/random.js';

const LOSSY = { delayMs: 5, jitterMs: 2, loss: 0.1, duplicate: 0.02, reorder: 0.03, reorderHoldMs: 10 };

describe('services under 10% loss, in-memory link, virtual time', () => {
  let rig: WebRig | undefined;
  afterEach(async () => {
    await rig?.http.close();
    await rig?.https.close();
    rig = undefined;
  });

  for (const seed of seeds([101, 102])) {
    it(`HTTP/1.1, HTTPS, h2c and h2: byte-exact bodies (seed ${seed})`, async () => {
      console.log(`web-loss seed=${seed}`);
      rig = await webRig(seed, LOSSY);
      const { a } = rig.pair;
      const plain = await rig.drive(request(a, { host: SERVER, path: '/data.bin' }));
      expect(plain.body.equals(rig.root.data), `seed ${seed} http`).toBe(true);
      const secure = await rig.drive(request(a, { host: SERVER, path: '/data.bin', secure: true, ca: rig.creds.cert }));
      expect(secure.body.equals(rig.root.data), `seed ${seed} https`).toBe(true);
      const gz = await rig.drive(request(a, { host: SERVER, path: '/page.txt', headers: { 'accept-encoding': 'gzip' } }));
      expect(gz.headers['content-encoding']).toBe('gzip');
      const h2c = await rig.drive(h2Gets(a, SERVER, ['/data.bin', '/gen/250000', '/index.html', '/data.bin']));
      expect(h2c.replies[0].body.equals(rig.root.data), `seed ${seed} h2c`).toBe(true);
      expect(h2c.replies[1].body.equals(pattern(0, 250000)), `seed ${seed} h2c gen`).toBe(true);
      expect(h2c.replies[3].body.equals(rig.root.data), `seed ${seed} h2c 2nd`).toBe(true);
      const h2 = await rig.drive(h2Gets(a, SERVER, ['/data.bin', '/data.bin', '/sub/a.json'], rig.creds.cert));
      expect(h2.alpn).toBe('h2');
      expect(h2.replies[1].body.equals(rig.root.data), `seed ${seed} h2`).toBe(true);
      expect(h2.replies[2].body.toString()).toBe('{"a":1}\n');
      const body = randBytes(new SeededRng(seed), 400_000);
      const up = await rig.drive(request(a, { host: SERVER, path: '/upload', method: 'PUT', body, secure: true, ca: rig.creds.cert }));
      expect(up.body.toString()).toBe(`${body.length} ${createHash('sha256').update(body).digest('hex')}\n`);
      expect(rig.pair.la.counters.lost + rig.pair.lb.counters.lost).toBeGreaterThan(20);
    });

    it(`WebSocket echo on 80 and 443: text, binary, 2 MiB (seed ${seed})`, async () => {
      console.log(`web-loss-ws seed=${seed}`);
      rig = await webRig(seed, LOSSY);
      const big = randBytes(new SeededRng(seed + 7), 2 << 20);
      const msgs = ['hello', big, 'x'.repeat(70_000)];
      for (const url of [`ws://${SERVER}/ws`, `wss://${SERVER}/ws`]) {
        const r = await rig.drive(wsEcho(rig.pair.a, url, msgs, rig.creds.cert));
        expect(r.echoes[0]).toBe('hello');
        expect((r.echoes[1] as Buffer).equals(big), `seed ${seed} ${url}`).toBe(true);
        expect(r.echoes[2]).toBe(msgs[2]);
        expect(r.closeCode).toBe(4001);
      }
    });

    it(`DNS: the stub resolver gets its answers (retrying lost queries) and falls back to TCP on TC (seed ${seed})`, async () => {
      console.log(`web-loss-dns seed=${seed}`);
      rig = await webRig(seed, LOSSY);
      const zone = new Zone();
      zone.add('tunstack.test', SERVER);
      for (let i = 1; i <= 60; i++) zone.add('big.test', `10.9.0.${i}`);
      const dns = startDnsServer(rig.pair.b, zone);
      const opts = { server: SERVER, timeoutMs: 300, tries: 10 };
      for (let i = 0; i < 8; i++) expect(await rig.drive(rig.pair.a.resolve4('tunstack.test', opts))).toEqual([SERVER]);
      const bigAnswer = await rig.drive(rig.pair.a.resolve4('big.test', opts));
      expect(bigAnswer).toHaveLength(60);
      await expect(rig.drive(rig.pair.a.resolve4('nope.test', opts))).rejects.toMatchObject({ code: 'ENOTFOUND' });
      expect(dns.counters.truncated).toBeGreaterThan(0);
      expect(dns.counters.tcpQueries).toBeGreaterThan(0);
      // Ten lookups, each at least one UDP query (the lost ones were retried; test/dns covers retries exactly).
      expect(dns.counters.udpQueries).toBeGreaterThanOrEqual(10);
      await dns.close();
    });
  }
});
