/**
 * The HTTPS service's certificate: the files given with --tls-cert/--tls-key,
 * or one made at start with `selfsigned` (a one-call wrapper over
 * @peculiar/x509 and WebCrypto: an ECDSA P-256 key and a SHA-256-signed
 * certificate whose subjectAltName names the stack's hostname and address, so
 * `curl --cacert` verifies it against either). node:crypto alone can make
 * keys but not X.509 certificates. The SHA-256 fingerprint is printed at
 * start, so a client can pin it or check what `curl -k` accepted.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { generate } from 'selfsigned';

export interface TlsCredentials {
  key: string;
  cert: string;
  /** SHA-256 of the DER certificate, colon-separated hex (as `openssl x509 -fingerprint -sha256`). */
  fingerprint256: string;
  /** True if made at start (not loaded from files). */
  generated: boolean;
}

export async function makeSelfSigned(hostname: string, addrs: readonly string[], days = 30): Promise<TlsCredentials> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + days * 86_400_000);
  const pems = await generate([{ name: 'commonName', value: hostname }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: hostname }, ...addrs.map((ip) => ({ type: 7 as const, ip }))] },
    ],
  });
  return { key: pems.private, cert: pems.cert, fingerprint256: new X509Certificate(pems.cert).fingerprint256, generated: true };
}

/** Load PEM files; throws if either cannot be read or parsed, or the key is not the certificate's. */
export function loadCredentials(certPath: string, keyPath: string): TlsCredentials {
  const cert = readFileSync(certPath, 'utf8');
  const key = readFileSync(keyPath, 'utf8');
  createSecureContext({ key, cert }); // OpenSSL checks the pair here ("key values mismatch")
  return { key, cert, fingerprint256: new X509Certificate(cert).fingerprint256, generated: false };
}
