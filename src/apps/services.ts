/**
 * The services `tunstack up --services` can start, by name, with the port
 * and purpose `--services list` prints. TCP: echo (7, RFC 862), discard (9,
 * RFC 863), chargen (19, RFC 864), http (80: HTTP/1.1, h2c, WebSocket),
 * https (443: TLS with h2/http1.1 ALPN, WebSocket); UDP+TCP: dns (53);
 * UDP: udp-echo (7).
 */
import type { Logger } from 'pino';
import type { Stack } from '../stack.js';
import { formatIpv4 } from '../wire/ip-address.js';
import { startEcho } from './echo.js';
import { startDiscard } from './discard.js';
import { startChargen } from './chargen.js';
import { startHttp, type HttpServiceOptions } from './http.js';
import { startHttps } from './https.js';
import { startUdpEcho } from './udp-echo.js';
import { makeSelfSigned, type TlsCredentials } from './tls-cert.js';
import { startDnsServer } from '../dns/server.js';
import { Zone } from '../dns/zone.js';

export interface ServiceInfo {
  name: string;
  ports: string;
  purpose: string;
}

export const SERVICES: readonly ServiceInfo[] = [
  { name: 'echo', ports: 'tcp/7', purpose: 'echo back every byte (RFC 862)' },
  { name: 'discard', ports: 'tcp/9', purpose: 'read and drop everything (RFC 863)' },
  { name: 'chargen', ports: 'tcp/19', purpose: 'stream rotating ASCII lines (RFC 864)' },
  { name: 'http', ports: 'tcp/80', purpose: 'static files (--http-root), PUT /upload, GET /gen/N; HTTP/1.1 and h2c prior knowledge; WebSocket echo at /ws' },
  { name: 'https', ports: 'tcp/443', purpose: 'the same over TLS (ALPN h2 or http/1.1; --tls-cert/--tls-key or a self-signed certificate); WebSocket echo at /ws' },
  { name: 'dns', ports: 'udp/53,tcp/53', purpose: 'A and PTR for --hostname and --dns-record names, NXDOMAIN otherwise; TC and TCP for large answers' },
  { name: 'udp-echo', ports: 'udp/7', purpose: 'echo every datagram (RFC 862)' },
];

export const SERVICE_NAMES = SERVICES.map((s) => s.name);
export const DEFAULT_SERVICES = ['echo', 'discard', 'chargen', 'http', 'https', 'dns', 'udp-echo'];
export const DEFAULT_HOSTNAME = 'tunstack.test';

/** `--services list`: one line per service, name, ports and purpose in columns. */
export function formatServiceList(): string {
  const w1 = Math.max(...SERVICES.map((s) => s.name.length));
  const w2 = Math.max(...SERVICES.map((s) => s.ports.length));
  return SERVICES.map((s) => `${s.name.padEnd(w1)}  ${s.ports.padEnd(w2)}  ${s.purpose}`).join('\n') + '\n';
}

export interface ServicesOptions {
  httpRoot?: string;
  logger?: Logger;
  /** The stack's DNS name (default tunstack.test): in the DNS zone and the certificate. */
  hostname?: string;
  /** Extra DNS A records (several for one name give several addresses). */
  dnsRecords?: ReadonlyArray<{ name: string; addr: string }>;
  /** HTTPS certificate and key; made at start (self-signed) if absent. */
  tls?: TlsCredentials;
  /** The /_tunstack/ dashboard's request handler, answered first by the http service. */
  dashboard?: HttpServiceOptions['dashboard'];
}

export interface RunningServices {
  /** e.g. "echo tcp/7, http tcp/80, udp-echo udp/7" */
  describe(): string;
  /** The HTTPS certificate in use, if https runs. */
  readonly tls?: TlsCredentials;
  /** Counter groups of the services that keep them (`Dns`), for `tunstack stat`. */
  counters(): Record<string, Record<string, number>>;
  close(): Promise<void>;
}

interface Started {
  label: string;
  close(): unknown;
}

export async function startServices(stack: Stack, names: readonly string[], opts: ServicesOptions = {}): Promise<RunningServices> {
  const started: Started[] = [];
  const hostname = opts.hostname ?? DEFAULT_HOSTNAME;
  const addr = formatIpv4(stack.addr);
  let tls: TlsCredentials | undefined;
  const groups: Record<string, Record<string, number>> = {};
  for (const name of names) {
    switch (name) {
      case 'echo':
        started.push({ label: 'echo tcp/7', ...wrap(startEcho(stack, 7)) });
        break;
      case 'discard':
        started.push({ label: 'discard tcp/9', ...wrap(startDiscard(stack, 9)) });
        break;
      case 'chargen':
        started.push({ label: 'chargen tcp/19', ...wrap(startChargen(stack, 19)) });
        break;
      case 'http':
        started.push({ label: `http tcp/80${opts.httpRoot ? ` (root ${opts.httpRoot})` : ''}`, ...wrap(startHttp(stack, { port: 80, root: opts.httpRoot, dashboard: opts.dashboard })) });
        break;
      case 'https':
        tls = opts.tls ?? (await makeSelfSigned(hostname, [addr]));
        started.push({ label: 'https tcp/443', ...wrap(startHttps(stack, { port: 443, root: opts.httpRoot, credentials: tls })) });
        break;
      case 'dns': {
        const zone = new Zone();
        zone.add(hostname, addr);
        for (const r of opts.dnsRecords ?? []) zone.add(r.name, r.addr);
        const dns = startDnsServer(stack, zone, 53);
        groups.Dns = dns.counters as unknown as Record<string, number>;
        started.push({ label: `dns udp/53+tcp/53 (${hostname})`, ...wrap(dns) });
        break;
      }
      case 'udp-echo':
        started.push({ label: 'udp-echo udp/7', ...wrap(startUdpEcho(stack.udp, 7)) });
        break;
      default:
        throw new Error(`unknown service '${name}'`);
    }
  }
  return {
    tls,
    counters: () => groups,
    describe: () => started.map((s) => s.label).join(', '),
    close: async () => {
      for (const s of started.reverse()) await s.close();
    },
  };
}

function wrap(svc: { close(): unknown }): { close(): unknown } {
  return { close: () => svc.close() };
}
