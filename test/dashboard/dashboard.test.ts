/**
 * The dashboard handler on a Node http server (loopback): the page, uPlot
 * served from the installed package, the JSON snapshot with drop reasons
 * marked, and the Server-Sent Events stream naming the watcher's own
 * connection. (test/dashboard/browser-linux.test.ts drives it in Chromium.)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard } from '../../src/dashboard/dashboard.js';
import { isDropReason } from '../../src/dashboard/snapshot.js';
import { placeholderInfo } from '../../src/tcp/listener.js';
import type { TcpInfo } from '../../src/tcp/api.js';

const conn: TcpInfo = {
  ...placeholderInfo('ESTABLISHED', { localAddr: 0x0a4d0002, localPort: 80, remoteAddr: 0x0a4d0001, remotePort: 40000 }),
  sndUna: 1000,
  sndNxt: 5344,
  cwnd: 14480,
  ssthresh: 0x7fffffff,
  mss: 1448,
  srtt: 2.5,
  rto: 202.5,
  ccName: 'reno',
  bytesAcked: 999,
};

let server: http.Server;
let dash: Dashboard;
let base: string;
let now = 1000;

beforeAll(async () => {
  dash = createDashboard({ counters: () => ({ Tcp: { InSegs: 5, badChecksum: 2, OutSegs: 0 }, Ip: { reasmTimeout: 1 } }), connections: () => [conn], now: () => now }, 20);
  server = http.createServer((req, res) => {
    if (!dash.handle(req, res)) res.writeHead(404).end('not dashboard');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  dash.close();
  await new Promise((r) => server.close(r));
});

describe('dashboard handler', () => {
  it('serves the page, uPlot from node_modules (no CDN) and its stylesheet', async () => {
    const page = await fetch(`${base}/_tunstack/`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('<script src="/_tunstack/uplot.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);
    const js = await (await fetch(`${base}/_tunstack/uplot.js`)).text();
    expect(js).toMatch(/uPlot/);
    expect(js.length).toBeGreaterThan(20_000);
    expect((await fetch(`${base}/_tunstack/uplot.css`)).headers.get('content-type')).toMatch(/text\/css/);
    expect((await fetch(`${base}/_tunstack/nope`)).status).toBe(404);
    expect(await (await fetch(`${base}/other`)).text()).toBe('not dashboard');
  });

  it('state.json: non-zero counters, drop reasons marked, connections with cwnd and bytes in flight', async () => {
    now = 3500;
    const s = (await (await fetch(`${base}/_tunstack/state.json`)).json()) as {
      t: number;
      counters: Record<string, Record<string, number>>;
      drops: string[];
      connections: Array<{ id: string; state: string; cwnd: number; cwndBytes: number; inFlightBytes: number; cc: string }>;
    };
    expect(s.t).toBe(2.5);
    expect(s.counters).toEqual({ Tcp: { InSegs: 5, badChecksum: 2 }, Ip: { reasmTimeout: 1 } });
    expect(s.drops.sort()).toEqual(['Ip.reasmTimeout', 'Tcp.badChecksum']);
    expect(s.connections).toHaveLength(1);
    expect(s.connections[0]).toMatchObject({ id: '10.77.0.2:80>10.77.0.1:40000', state: 'ESTABLISHED', cwnd: 10, cwndBytes: 14480, inFlightBytes: 4344, cc: 'reno' });
  });

  it('events: Server-Sent Events, one snapshot at once and then every interval, naming the watcher', async () => {
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${base}/_tunstack/events`, (res) => {
        expect(res.headers['content-type']).toBe('text/event-stream');
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (d: string) => {
          buf += d;
          const parts = buf.split('\n\n');
          buf = parts.pop()!;
          got.push(...parts);
          if (got.length >= 3) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (e) => (got.length >= 3 ? resolve() : reject(e)));
    });
    const first = JSON.parse(got[0].replace(/^data: /, '')) as { you: string; connections: unknown[] };
    expect(first.you).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(first.connections).toHaveLength(1);
  });

  it('drop reasons are recognised by name, ordinary counters are not', () => {
    for (const n of ['badChecksum', 'truncated', 'dropListenRst', 'reasmTimeout', 'InErrs', 'ListenDrops']) expect(isDropReason(n), n).toBe(true);
    for (const n of ['InSegs', 'OutSegs', 'reasmOks', 'inEchos', 'CurrEstab']) expect(isDropReason(n), n).toBe(false);
  });
});
