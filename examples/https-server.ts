/**
 * An HTTPS server on one stack, a client on another: node:https end to end,
 * TLS over tunstack TCP. The certificate is made at start with `selfsigned`;
 * the client trusts exactly it (`ca`) and checks the name.
 *
 *   npm run example -- https-server
 */
import https from 'node:https';
import { makeSelfSigned, StackHttpsAgent } from '../src/index.js';
import { runIfMain, stackPair } from './lib.js';

export async function main(): Promise<{ status: number; body: string; protocol: string; fingerprint: string }> {
  const [server, client] = stackPair('10.0.0.1', '10.0.0.2');
  const creds = await makeSelfSigned('example.test', ['10.0.0.1']);
  const web = https.createServer({ key: creds.key, cert: creds.cert }, (req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`hello over TLS on tunstack, you asked for ${req.url}\n`);
  });
  const listener = server.createServer((socket) => web.emit('connection', socket));
  listener.listen(443);

  const agent = new StackHttpsAgent(client, { ca: creds.cert });
  const reply = await new Promise<{ status: number; body: string; protocol: string }>((resolve, reject) => {
    https
      .get({ host: '10.0.0.1', path: '/greeting', servername: 'example.test', agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, protocol: (res.socket as import('node:tls').TLSSocket).getProtocol() ?? '' }));
      })
      .on('error', reject);
  });
  agent.destroy();
  listener.close();
  await Promise.all([server.close(), client.close()]);
  return { ...reply, fingerprint: creds.fingerprint256 };
}

runIfMain(import.meta.url, main);
