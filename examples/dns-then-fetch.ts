/**
 * Look a name up with the stack's stub resolver, then fetch from it with
 * undici: one stack serves DNS (web.example → itself) and HTTP, the other
 * resolves `web.example` and GETs `/` through undici's Agent with our connector.
 *
 *   npm run example -- dns-then-fetch
 */
import { Agent, request } from 'undici';
import { startDnsServer, startHttp, undiciConnector, Zone } from '../src/index.js';
import { runIfMain, stackPair } from './lib.js';

export async function main(): Promise<{ name: string; addresses: string[]; status: number; body: string }> {
  const [server, client] = stackPair('10.0.0.1', '10.0.0.2');
  const zone = new Zone();
  zone.add('web.example', '10.0.0.1');
  const dns = startDnsServer(server, zone, 53);
  const web = startHttp(server, { port: 80 });

  const addresses = await client.resolve4('web.example', { server: '10.0.0.1' });
  const dispatcher = new Agent({ connect: undiciConnector(client) });
  const res = await request(`http://${addresses[0]}/`, { dispatcher, headers: { host: 'web.example' } });
  const body = await res.body.text();
  await dispatcher.close();
  await web.close();
  await dns.close();
  await Promise.all([server.close(), client.close()]);
  return { name: 'web.example', addresses, status: res.statusCode, body: body.slice(0, body.indexOf('</h1>') + 5) };
}

runIfMain(import.meta.url, main);
