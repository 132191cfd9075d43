/**
 * Two whole Stacks over a seeded in-memory link in virtual time, with the web
 * services (HTTP on 80, HTTPS on 443) on the server stack `b` (10.0.0.2) and
 * clients on `a`. `drive(p)` advances virtual time until the promise settles.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LinkFaults } from '../../src/link/memory.js';
import { startHttp, type RunningHttp } from '../../src/apps/http.js';
import { startHttps, type RunningHttps } from '../../src/apps/https.js';
import { makeSelfSigned, type TlsCredentials } from '../../src/apps/tls-cert.js';
import { makePair, type Pair, type PairConfig } from '../sim/stress-harness.js';

export const SERVER = '10.0.0.2';

let creds: Promise<TlsCredentials> | undefined;
/** One certificate per test file (made with selfsigned; naming tunstack.test and SERVER). */
export function credentials(): Promise<TlsCredentials> {
  return (creds ??= makeSelfSigned('tunstack.test', [SERVER]));
}

export interface Docroot {
  dir: string;
  /** 300 000 bytes of a deterministic pattern, as data.bin. */
  data: Buffer;
  sha: (b: Buffer) => string;
}

export function docroot(): Docroot {
  const dir = mkdtempSync(path.join(tmpdir(), 'tunstack-web-'));
  const data = Buffer.alloc(300_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
  writeFileSync(path.join(dir, 'data.bin'), data);
  writeFileSync(path.join(dir, 'index.html'), '<h1>hello from tunstack</h1>\n');
  writeFileSync(path.join(dir, 'page.txt'), 'tunstack '.repeat(5000));
  mkdirSync(path.join(dir, 'sub'));
  writeFileSync(path.join(dir, 'sub', 'a.json'), '{"a":1}\n');
  return { dir, data, sha: (b) => createHash('sha256').update(b).digest('hex') };
}

export interface WebRig {
  pair: Pair;
  http: RunningHttp;
  https: RunningHttps;
  creds: TlsCredentials;
  root: Docroot;
  drive<T>(p: Promise<T>, maxMs?: number): Promise<T>;
}

export async function webRig(seed: number, faults?: LinkFaults, tcpA?: PairConfig['tcpA']): Promise<WebRig> {
  const pair = makePair({ seed, faults, tcpA });
  const root = docroot();
  const c = await credentials();
  const http = startHttp(pair.b, { port: 80, root: root.dir });
  const https = startHttps(pair.b, { port: 443, root: root.dir, credentials: c });
  return { pair, http, https, creds: c, root, drive: (p, maxMs) => drive(pair, p, maxMs) };
}

/** Advance virtual time in 2 ms steps, letting Node's own callbacks run between steps, until `p` settles. */
export async function drive<T>(pair: Pair, p: Promise<T>, maxMs = 600_000): Promise<T> {
  let settled = false;
  const watched = p.finally(() => (settled = true));
  watched.catch(() => {});
  const end = pair.clock.now() + maxMs;
  while (!settled && pair.clock.now() < end) {
    pair.clock.advance(2);
    await new Promise<void>((r) => setImmediate(r));
  }
  if (!settled) throw new Error(`not settled within ${maxMs} ms of virtual time`);
  return watched;
}
