/**
 * The static file handler's edges, over whole Stacks on a lossless in-memory
 * link in virtual time with node:http as the client: If-Range, overlapping
 * and unsatisfiable ranges, HEAD of a multipart answer, gzip negotiation
 * (q=0, with Range, its own ETag and 304), /gen bounds, redirects and escaping
 * in listings; and the h2c preface classifier.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { request } from './clients.js';
import { SERVER, webRig, type WebRig } from './rig.js';
import { acceptsGzip } from '../../src/apps/static-files.js';
import { classifyPreface, H2_PREFACE } from '../../src/apps/h2c.js';

describe('static files: edge cases', () => {
  let rig: WebRig;
  const get = (p: string, headers: Record<string, string> = {}, method = 'GET') => rig.drive(request(rig.pair.a, { host: SERVER, path: p, headers, method }));

  beforeAll(async () => {
    rig = await webRig(3);
    writeFileSync(path.join(rig.root.dir, 'sub', '<b>&.txt'), 'x');
  });
  afterAll(async () => {
    await rig.http.close();
    await rig.https.close();
  });

  it('If-Range: a matching ETag gets the range, a stale one the whole file (RFC 9110 §13.1.5)', async () => {
    const head = await get('/data.bin', {}, 'HEAD');
    const etag = String(head.headers.etag);
    const fresh = await get('/data.bin', { range: 'bytes=10-19', 'if-range': etag });
    expect(fresh.status).toBe(206);
    expect(fresh.body.equals(rig.root.data.subarray(10, 20))).toBe(true);
    const stale = await get('/data.bin', { range: 'bytes=10-19', 'if-range': '"old"' });
    expect(stale.status).toBe(200);
    expect(stale.body.length).toBe(rig.root.data.length);
    const staleMulti = await get('/data.bin', { range: 'bytes=0-1,5-6', 'if-range': '"old"' });
    expect(staleMulti.status).toBe(200);
    const freshMulti = await get('/data.bin', { range: 'bytes=0-1,5-6', 'if-range': etag });
    expect(freshMulti.status).toBe(206);
    expect(String(freshMulti.headers['content-type'])).toMatch(/^multipart\/byteranges; boundary=/);
  });

  it('overlapping ranges are combined into one 206; unsatisfiable ones get 416 with Content-Range: bytes */size', async () => {
    const r = await get('/data.bin', { range: 'bytes=0-99,50-149' });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 0-149/${rig.root.data.length}`);
    expect(r.body.equals(rig.root.data.subarray(0, 150))).toBe(true);
    const bad = await get('/data.bin', { range: `bytes=${rig.root.data.length}-,${rig.root.data.length + 5}-` });
    expect(bad.status).toBe(416);
    expect(bad.headers['content-range']).toBe(`bytes */${rig.root.data.length}`);
  });

  it('HEAD of a multipart answer: its exact Content-Length, no body', async () => {
    const head = await get('/data.bin', { range: 'bytes=0-9,100-109,-5' }, 'HEAD');
    const full = await get('/data.bin', { range: 'bytes=0-9,100-109,-5' });
    expect(head.status).toBe(206);
    expect(head.body.length).toBe(0);
    expect(Number(full.headers['content-length'])).toBe(full.body.length);
    expect(Number(head.headers['content-length'])).toBe(full.body.length); // boundaries differ in value, not length
    expect(full.body.toString('latin1')).toContain(`Content-Range: bytes ${rig.root.data.length - 5}-${rig.root.data.length - 1}/${rig.root.data.length}`);
  });

  it('gzip: only when allowed, never with Range, with its own ETag that answers 304', async () => {
    const text = await get('/page.txt', { 'accept-encoding': 'gzip, br;q=0.5' });
    expect(text.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(text.body).toString()).toBe('tunstack '.repeat(5000));
    const plainTag = (await get('/page.txt')).headers.etag;
    expect(text.headers.etag).not.toBe(plainTag);
    const notModified = await get('/page.txt', { 'accept-encoding': 'gzip', 'if-none-match': String(text.headers.etag) });
    expect(notModified.status).toBe(304);
    expect((await get('/page.txt', { 'accept-encoding': 'gzip;q=0' })).headers['content-encoding']).toBeUndefined();
    const ranged = await get('/page.txt', { 'accept-encoding': 'gzip', range: 'bytes=0-8' });
    expect(ranged.status).toBe(206);
    expect(ranged.headers['content-encoding']).toBeUndefined();
    expect(ranged.body.toString()).toBe('tunstack ');
    expect((await get('/sub/a.json', { 'accept-encoding': 'gzip' })).headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('a connection that never sends a byte is closed after 30 s (no server has it yet to time it out)', async () => {
    const s = rig.pair.a.connect({ host: SERVER, port: 80 });
    let closedAt = -1;
    const t0 = rig.pair.clock.now();
    s.on('error', () => {});
    s.resume(); // read, so the server's FIN surfaces as 'end' and then 'close'
    await rig.drive(new Promise<void>((resolve) => s.on('close', () => {
      closedAt = rig.pair.clock.now() - t0;
      resolve();
    })));
    expect(closedAt).toBeGreaterThanOrEqual(30_000);
    expect(closedAt).toBeLessThan(31_000);
  });

  it('Accept-Encoding parsing (RFC 9110 §12.5.3)', () => {
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('deflate, GZIP;q=0.1')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('br')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });

  it('/gen/N: exact size, 0 allowed, over the bound refused; directories redirect to their slash; listings escape names', async () => {
    expect((await get('/gen/0')).body.length).toBe(0);
    const g = await get('/gen/70000');
    expect(g.headers['transfer-encoding']).toBe('chunked');
    expect(g.body.length).toBe(70000);
    expect(g.body[69999]).toBe(69999 % 251);
    expect((await get(`/gen/${2 ** 31}`)).status).toBe(400);
    const redirect = await get('/sub');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/sub/');
    const list = await get('/sub/');
    expect(list.body.toString()).toContain('&#60;b&#62;&#38;.txt');
    expect(list.body.toString()).not.toContain('<b>&');
  });
});

describe('h2c preface (RFC 9113 §3.4)', () => {
  it('decides on the first differing byte, waits on a proper prefix', () => {
    expect(classifyPreface(Buffer.from('GET / HTTP/1.1\r\n'))).toBe('http1');
    expect(classifyPreface(Buffer.from('PRI * HTTP/1.1'))).toBe('http1');
    expect(classifyPreface(H2_PREFACE.subarray(0, 10))).toBe('more');
    expect(classifyPreface(Buffer.from('P'))).toBe('more');
    expect(classifyPreface(Buffer.concat([H2_PREFACE, Buffer.from([0, 0, 0, 4])]))).toBe('h2');
  });
});
