/**
 * A TCP proxy between two stacks: a client stack talks to the proxy's front
 * stack on one link; the proxy's back stack, on a second link, dials the
 * server stack; the proxy pipes the two sockets together (backpressure both
 * ways). The server echoes upper-case; 1 MiB goes through and is checked.
 *
 *   npm run example -- tcp-proxy
 */
import { createHash } from 'node:crypto';
import { runIfMain, stackPair } from './lib.js';

export async function main(): Promise<{ bytes: number; sha256Sent: string; sha256Back: string; proxied: number }> {
  const [client, front] = stackPair('10.0.1.2', '10.0.1.1'); // link 1
  const [back, server] = stackPair('10.0.2.1', '10.0.2.2'); // link 2

  server.createServer((s) => s.on('data', (d: Buffer) => s.write(Buffer.from(d.toString('latin1').toUpperCase(), 'latin1'))).on('end', () => s.end())).listen(7000);
  let proxied = 0;
  front
    .createServer({ allowHalfOpen: true }, (inbound) => {
      proxied++;
      const outbound = back.connect({ host: '10.0.2.2', port: 7000, allowHalfOpen: true });
      inbound.pipe(outbound).pipe(inbound);
      const kill = (): void => {
        inbound.destroy();
        outbound.destroy();
      };
      inbound.on('error', kill);
      outbound.on('error', kill);
    })
    .listen(8000);

  const payload = Buffer.alloc(1 << 20);
  for (let i = 0; i < payload.length; i++) payload[i] = 97 + (i % 26); // a..z
  const back1 = await new Promise<Buffer>((resolve, reject) => {
    const s = client.connect({ host: '10.0.1.1', port: 8000 }, () => s.end(payload));
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
  });
  await Promise.all([client.close(), front.close(), back.close(), server.close()]);
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  return { bytes: back1.length, sha256Sent: sha(Buffer.from(payload.toString('latin1').toUpperCase(), 'latin1')), sha256Back: sha(back1), proxied };
}

runIfMain(import.meta.url, main);
