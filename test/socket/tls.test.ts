/**
 * tls.TLSSocket accepts our socket as its transport on both ends (Node wraps
 * a non-net Duplex in its JSStreamSocket), so TLS runs over tunstack TCP.
 * The certificate is made per run with the openssl CLI, since node:crypto
 * cannot issue X.509 certificates; the test skips if openssl is missing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { ipv4 } from '../../src/wire/ip-address.js';
import { connect, createServer } from '../../src/socket/connect.js';
import { FakeNet, settleUntil } from './fake-tcp.js';

function makeCert(): { key: Buffer; cert: Buffer } | undefined {
  const dir = mkdtempSync(path.join(tmpdir(), 'tssk-tls-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=tunstack.test', '-addext', 'subjectAltName=DNS:tunstack.test',
        '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const creds = makeCert();
if (!creds) console.warn('SKIP (tls): missing openssl (apt-get install openssl)');

describe.skipIf(!creds)('tls.TLSSocket over TcpSocket', () => {
  it('handshakes with a verified self-signed certificate and carries data both ways', async () => {
    const clock = new VirtualClock();
    const net = new FakeNet(clock);
    const serverTcp = net.host(ipv4('10.77.0.1'));
    const clientTcp = net.host(ipv4('10.77.0.2'));
    let serverGot = '';
    const srv = createServer(serverTcp, clock, (raw) => {
      const s = new tls.TLSSocket(raw, { isServer: true, key: creds!.key, cert: creds!.cert });
      s.on('data', (d: Buffer) => {
        serverGot += d.toString();
        s.end(`echo: ${d.toString()}`);
      });
    });
    srv.listen(443);
    const raw = connect(clientTcp, clock, { host: '10.77.0.1', port: 443 });
    const c = tls.connect({ socket: raw, ca: creds!.cert, servername: 'tunstack.test' });
    let secure = false;
    let reply = '';
    let ended = false;
    c.on('secureConnect', () => {
      secure = true;
      c.write('hello tls');
    });
    c.on('data', (d: Buffer) => (reply += d.toString()));
    c.on('end', () => (ended = true));
    await settleUntil(clock, () => ended, 20_000);
    expect(secure).toBe(true);
    expect(c.authorized).toBe(true);
    expect(serverGot).toBe('hello tls');
    expect(reply).toBe('echo: hello tls');
  });
});
