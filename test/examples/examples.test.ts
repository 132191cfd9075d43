/**
 * Every example in examples/ runs with its one command and does what it says:
 * each is started as `npm run example -- NAME` would (node on the BUILT file,
 * dist/examples/NAME.js; `npm test` builds first) and its printed result
 * checked.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const RUNNER = fileURLToPath(new URL('../../scripts/example.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/examples/', import.meta.url));

function run(name: string): unknown {
  if (!existsSync(`${DIST}${name}.js`)) throw new Error(`dist/examples/${name}.js is missing: run 'npx tsc -p .' first`);
  const r = spawnSync(process.execPath, [RUNNER, name], { encoding: 'utf8', timeout: 30_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

describe('examples (one command each)', () => {
  it('https-server: node:https on one stack, a verifying client on the other', () => {
    const r = run('https-server') as { status: number; body: string; protocol: string; fingerprint: string };
    expect(r.status).toBe(200);
    expect(r.body).toBe('hello over TLS on tunstack, you asked for /greeting\n');
    expect(r.protocol).toBe('TLSv1.3');
    expect(r.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('websocket-chat: every client hears every line', () => {
    const r = run('websocket-chat') as Record<string, string[]>;
    const lines = ['ada: hello from client 0', 'grace: hello from client 1', 'linus: hello from client 2'];
    expect(r).toEqual({ ada: lines, grace: lines, linus: lines });
  });

  it('dns-then-fetch: the stub resolver finds the name, undici fetches from it', () => {
    const r = run('dns-then-fetch') as { addresses: string[]; status: number; body: string };
    expect(r.addresses).toEqual(['10.0.0.1']);
    expect(r.status).toBe(200);
    expect(r.body).toContain('<h1>tunstack</h1>');
  });

  it('tcp-proxy: 1 MiB through a proxy joining two stacks, upper-cased and intact', () => {
    const r = run('tcp-proxy') as { bytes: number; sha256Sent: string; sha256Back: string; proxied: number };
    const expected = Buffer.alloc(1 << 20);
    for (let i = 0; i < expected.length; i++) expected[i] = 65 + (i % 26);
    expect(r.bytes).toBe(1 << 20);
    expect(r.sha256Back).toBe(createHash('sha256').update(expected).digest('hex'));
    expect(r.sha256Back).toBe(r.sha256Sent);
    expect(r.proxied).toBe(1);
  });

  it('an unknown example name prints the list and exits 2', () => {
    const r = spawnSync(process.execPath, [RUNNER, 'nope'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/NAME: .*https-server/);
  });
});
