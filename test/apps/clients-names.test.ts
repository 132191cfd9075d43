/**
 * The outbound client hooks resolve names through the stack's stub resolver
 * when given a DNS server: node:http and node:https Agents, undici and ws all
 * reach `web.test` (served with our DNS and web services on the other stack);
 * without a DNS server a name fails with ENOTFOUND as an 'error' event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import https from 'node:https';
import { Agent as UndiciAgent, request as undiciRequest } from 'undici';
import { WebSocket } from 'ws';
import { StackHttpAgent, StackHttpsAgent, stackConnection, undiciConnector } from '../../src/socket/clients.js';
import { startDnsServer, type DnsServer } from '../../src/dns/server.js';
import { Zone } from '../../src/dns/zone.js';
import { makeSelfSigned } from '../../src/apps/tls-cert.js';
import { startHttps, type RunningHttps } from '../../src/apps/https.js';
import { SERVER, webRig, type WebRig } from './rig.js';

const DNS = { server: SERVER };

function get(mod: typeof http | typeof https, url: string, agent: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    mod
      .get(url, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('outbound clients by name (stub resolver)', () => {
  let rig: WebRig;
  let dns: DnsServer;
  let named: RunningHttps;
  let ca: string;

  beforeAll(async () => {
    rig = await webRig(41);
    const zone = new Zone();
    zone.add('web.test', SERVER);
    dns = startDnsServer(rig.pair.b, zone);
    // A certificate for the name (the rig's names tunstack.test): HTTPS on 8443 with it.
    const creds = await makeSelfSigned('web.test', []);
    ca = creds.cert;
    named = startHttps(rig.pair.b, { port: 8443, root: rig.root.dir, credentials: creds });
  });
  afterAll(async () => {
    await named.close();
    await dns.close();
    await rig.http.close();
    await rig.https.close();
  });

  it('http and https Agents', async () => {
    const a = await rig.drive(get(http, 'http://web.test/index.html', new StackHttpAgent(rig.pair.a, { dns: DNS })));
    expect(a.body).toBe('<h1>hello from tunstack</h1>\n');
    const s = await rig.drive(get(https, 'https://web.test:8443/index.html', new StackHttpsAgent(rig.pair.a, { ca, dns: DNS })));
    expect(s.body).toBe('<h1>hello from tunstack</h1>\n');
  });

  it('undici and ws', async () => {
    const dispatcher = new UndiciAgent({ connect: undiciConnector(rig.pair.a, { ca }, DNS) });
    const r = await rig.drive(undiciRequest('https://web.test:8443/sub/a.json', { dispatcher }).then(async (x) => [x.statusCode, await x.body.text()] as const));
    expect(r).toEqual([200, '{"a":1}\n']);
    await rig.drive(dispatcher.close());
    const echo = await rig.drive(
      new Promise<string>((resolve, reject) => {
        const ws = new WebSocket('ws://web.test/ws', { createConnection: stackConnection(rig.pair.a, undefined, DNS) as never });
        ws.on('open', () => ws.send('by name'));
        ws.on('message', (d: Buffer) => {
          resolve(d.toString());
          ws.close();
        });
        ws.on('error', reject);
      }),
    );
    expect(echo).toBe('by name');
  });

  it('a name without a DNS server, or one the server does not know, is an ENOTFOUND error event', async () => {
    await expect(rig.drive(get(http, 'http://web.test/', new StackHttpAgent(rig.pair.a)))).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(rig.drive(get(http, 'http://nope.test/', new StackHttpAgent(rig.pair.a, { dns: DNS })))).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
