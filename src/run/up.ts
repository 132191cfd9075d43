/**
 * `tunstack up`: open the device (in a namespace if asked), build the stack on
 * it, start the services, answer `tunstack stat`, print `ready` once the stack
 * answers a ping from the kernel side, and tear everything down on
 * SIGINT/SIGTERM. Process plumbing only; protocol logic is in src/stack.ts.
 */
import { execFile } from 'node:child_process';
import { createWriteStream, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { Stack } from '../stack.js';
import type { TcpOptions } from '../tcp/api.js';
import type { TraceSink } from '../tcp/trace.js';
import { RealClock } from '../time/real-clock.js';
import { CryptoRng, SeededRng, type Rng } from '../util/random.js';
import { parseFaultSpec, withFaults } from '../link/faults.js';
import { parseCidr, parseIpv4, formatIpv4, prefixMask } from '../wire/ip-address.js';
import type { Link } from '../link/link.js';
import { openDeviceLink } from './device.js';
import { ensureNetns, deleteNetns } from './netns.js';
import { startServices, formatServiceList, SERVICE_NAMES } from '../apps/services.js';
import { loadCredentials, type TlsCredentials } from '../apps/tls-cert.js';
import { checkHostname, parseRecordSpec } from '../dns/zone.js';
import { ControlServer } from './control.js';
import { formatCounters } from '../util/counters.js';
import { formatConnectionTable } from '../tcp/format.js';
import { CliError } from './errors.js';
import { liveTrace } from '../explain/trace-writer.js';
import { createDashboard } from '../dashboard/dashboard.js';

const execFileP = promisify(execFile);

export interface UpOptions {
  mode: 'tun' | 'tap';
  device: string;
  netns?: string;
  hostCidr: string;
  addr: string;
  mtu: number;
  services: string[];
  httpRoot?: string;
  /** PEM files for https; both or neither (then a self-signed certificate is made). */
  tlsCert?: string;
  tlsKey?: string;
  /** The stack's DNS name (dns service, certificate). */
  hostname?: string;
  /** `name=addr` entries for the dns service. */
  dnsRecords?: string[];
  pcap?: string;
  /** TUN offloads (IFF_VNET_HDR); default 'on'. */
  offload?: 'on' | 'off';
  /** Serve the live dashboard at /_tunstack/ with the http service (default true). */
  dashboard?: boolean;
  /** Write each TCP connection's event trace (src/explain/trace-format.ts) to this directory. */
  trace?: string;
  logLevel: string;
  /** Hidden (wire-mode conformance): JSON AgentConfig; the CLI runs src/run/agent-server.ts instead of up(). */
  conformanceAgent?: string;
  /** Congestion controller for every connection (TcpOptions.congestionControl). */
  congestionControl?: string;
  /** Write each connection's congestion trace here as JSON lines (src/tcp/trace.ts). */
  cwndTrace?: string;
}

function tcpOptions(opts: UpOptions): Partial<TcpOptions> {
  return opts.congestionControl ? { congestionControl: opts.congestionControl } : {};
}

/** --cwnd-trace FILE: one JSON line per trace record, flushed when the stack stops. */
function openTrace(path: string | undefined, cleanups: Array<() => Promise<void> | void>): TraceSink | undefined {
  if (path === undefined) return undefined;
  const out = createWriteStream(path);
  cleanups.push(() => new Promise<void>((resolve) => out.end(resolve)));
  return (r) => void out.write(`${JSON.stringify(r)}\n`);
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Test-only, undocumented: TUNSTACK_FAULTS='{"tx":{"loss":0.05},"rx":{"loss":0.05},"seed":7}'
 * puts seeded faults (src/link/faults.ts) between the device and the stack,
 * because the test kernel has no sch_netem. Unset: the link itself.
 */
function withEnvFaults(link: Link, clock: RealClock, rng: Rng): Link {
  const env = process.env.TUNSTACK_FAULTS;
  if (env === undefined || env === '') return link;
  const spec = parseFaultSpec(env);
  if (typeof spec === 'string') throw new CliError(`TUNSTACK_FAULTS: ${spec}`);
  process.stderr.write(`tunstack: TUNSTACK_FAULTS ${JSON.stringify(spec)}\n`);
  return withFaults(link, { clock, rng: spec.seed === undefined ? rng : new SeededRng(spec.seed), tx: spec.tx, rx: spec.rx });
}

export async function up(opts: UpOptions): Promise<number> {
  if (opts.services.length === 1 && opts.services[0] === 'list') {
    process.stdout.write(formatServiceList());
    return 0;
  }
  validate(opts);
  const serviceOpts = serviceOptions(opts);
  const log = pino({ level: opts.logLevel, base: undefined }, pino.destination(2));
  const host = parseCidr(opts.hostCidr)!;
  const addr = parseIpv4(opts.addr)!;

  const createdNetns = opts.netns !== undefined ? ensureNetns(opts.netns) : false;
  const cleanups: Array<() => Promise<void> | void> = [];
  if (createdNetns) cleanups.push(() => deleteNetns(opts.netns!));
  const teardown = async (): Promise<void> => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        log.warn({ err }, 'teardown step failed');
      }
    }
    cleanups.length = 0;
  };

  try {
    const clock = new RealClock();
    cleanups.push(() => clock.stop());
    const rng = new CryptoRng();
    const link: Link = await openDeviceLink({
      mode: opts.mode,
      name: opts.device,
      netns: opts.netns,
      mtu: opts.mtu,
      hostAddr: host.addr,
      prefixLen: host.prefixLen,
      stackAddr: addr,
      pcap: opts.pcap,
      offload: opts.offload ?? 'on',
      log: (msg) => log.info(msg),
      clock,
      rng,
    });
    cleanups.push(() => link.close());
    const faulty = withEnvFaults(link, clock, rng);

    // --trace: the recorder sees the stack's clock and link (src/explain/trace-writer.ts).
    const trace = opts.trace === undefined ? undefined : liveTrace(opts.trace, clock, faulty, addr, host.addr);
    const stack = new Stack({ link: trace?.link ?? faulty, addr, clock: trace?.clock ?? clock, rng, logger: log, tcp: tcpOptions(opts), tcpTrace: openTrace(opts.cwndTrace, cleanups) });
    trace?.attach(stack);
    cleanups.push(() => stack.close());
    // The live dashboard at http://ADDR/_tunstack/ rides on the http service (--dashboard off: not served).
    // It shows the services' counters (Dns) too, once they run.
    let serviceCounters = (): Record<string, Record<string, number>> => ({});
    const dashboard =
      opts.dashboard !== false && opts.services.includes('http')
        ? createDashboard({ counters: () => ({ ...stack.counters(), ...serviceCounters() }), connections: () => stack.connections(), now: () => stack.clock.now() })
        : undefined;
    const services = await startServices(stack, opts.services, { ...serviceOpts, logger: log, dashboard: dashboard?.handle });
    cleanups.push(() => services.close());
    serviceCounters = () => services.counters();
    // Teardown runs in reverse: end the event streams before the http service waits for its connections.
    if (dashboard) cleanups.push(() => dashboard.close());

    // The stack's counters, then the services' (Dns), then the connection table.
    const counters = (): Record<string, Record<string, number>> => ({ ...stack.counters(), ...services.counters() });
    const control = new ControlServer(opts.netns, opts.device, {
      report: () => formatCounters(counters()) + '\n' + formatConnectionTable(stack.connections()),
      counters,
      connections: () => stack.connections(),
      now: () => stack.clock.now(),
    });
    await control.listen();
    cleanups.push(() => control.close());

    const where = opts.netns ? ` in netns ${opts.netns}` : '';
    process.stdout.write(
      `tunstack: ${opts.mode} ${opts.device}${where}, host ${opts.hostCidr}, stack ${formatIpv4(addr)}, mtu ${opts.mtu}\n` +
        `tunstack: services: ${services.describe() || 'none'}\n` +
        (dashboard ? `tunstack: dashboard: http://${formatIpv4(addr)}/_tunstack/\n` : '') +
        (services.tls
          ? `tunstack: https certificate ${services.tls.generated ? `self-signed for ${opts.hostname ?? 'tunstack.test'} and ${formatIpv4(addr)}` : `from ${opts.tlsCert}`}, SHA-256 ${services.tls.fingerprint256}\n`
          : ''),
    );

    await waitUntilAnswering(opts.netns, formatIpv4(addr), log);
    process.stdout.write(`tunstack: ready (stack ${formatIpv4(addr)} answers; Ctrl-C to stop)\n`);

    await waitForSignal(log);
    return 0;
  } finally {
    await teardown();
  }
}

/** The flags the services take, checked (CliError names the fix). */
function serviceOptions(opts: UpOptions): { httpRoot?: string; hostname?: string; dnsRecords: Array<{ name: string; addr: string }>; tls?: TlsCredentials } {
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    throw new CliError('--tls-cert and --tls-key go together: give both PEM files, or neither for a self-signed certificate');
  }
  let tls: TlsCredentials | undefined;
  if (opts.tlsCert !== undefined && opts.tlsKey !== undefined) {
    try {
      tls = loadCredentials(opts.tlsCert, opts.tlsKey);
    } catch (err) {
      throw new CliError(`--tls-cert ${opts.tlsCert} / --tls-key ${opts.tlsKey}: ${(err as Error).message} (give readable PEM files)`);
    }
  }
  if (opts.hostname !== undefined) {
    const bad = checkHostname(opts.hostname);
    if (bad) throw new CliError(`--hostname '${opts.hostname}' ${bad} (e.g. tunstack.test)`);
  }
  const dnsRecords = (opts.dnsRecords ?? []).map((spec) => {
    const r = parseRecordSpec(spec);
    if (typeof r === 'string') throw new CliError(r);
    return r;
  });
  return { httpRoot: opts.httpRoot, hostname: opts.hostname, dnsRecords, tls };
}

function validate(opts: UpOptions): void {
  if (!LEVELS.includes(opts.logLevel)) throw new CliError(`--log-level must be one of ${LEVELS.join(', ')}`);
  const host = parseCidr(opts.hostCidr);
  if (!host || host.prefixLen < 1 || host.prefixLen > 30) {
    throw new CliError(`--host-addr must be an IPv4 CIDR with prefix /1../30 such as 10.77.0.1/24 (got '${opts.hostCidr}')`);
  }
  const addr = parseIpv4(opts.addr);
  if (addr === undefined) throw new CliError(`--addr must be an IPv4 address such as 10.77.0.2 (got '${opts.addr}')`);
  if (addr === host.addr) throw new CliError('--addr must differ from the --host-addr address');
  const mask = prefixMask(host.prefixLen);
  if ((addr & mask) >>> 0 !== (host.addr & mask) >>> 0) {
    throw new CliError(`--addr ${opts.addr} is not inside --host-addr ${opts.hostCidr}: the kernel would have no route to it`);
  }
  // RFC 1122 §3.2.1.3: host number all zeros or all ones is not a host address; the
  // kernel would treat the directed broadcast as broadcast and never ARP/route for it.
  const hostPart = (addr & ~mask) >>> 0;
  if (hostPart === 0 || hostPart === (~mask >>> 0)) {
    throw new CliError(`--addr ${opts.addr} is the network or broadcast address of ${opts.hostCidr}: pick a host address inside the prefix`);
  }
  // Linux IFNAMSIZ is 16 including the NUL; '/' and whitespace are refused by dev_valid_name().
  if (!/^[^\s/:]{1,15}$/.test(opts.device) || opts.device === '.' || opts.device === '..') {
    throw new CliError(`--${opts.mode} '${opts.device}' is not a valid interface name: 1 to 15 characters, no '/', ':' or spaces (e.g. ${opts.mode}0)`);
  }
  if (opts.httpRoot !== undefined && !isDirectory(opts.httpRoot)) {
    throw new CliError(`--http-root ${opts.httpRoot} is not a directory: give an existing directory to serve`);
  }
  for (const s of opts.services) {
    if (!SERVICE_NAMES.includes(s)) throw new CliError(`unknown service '${s}' (known: ${SERVICE_NAMES.join(', ')}; or none, or list)`);
  }
  if (process.getuid && process.getuid() !== 0 && opts.netns !== undefined) {
    throw new CliError('--netns needs root (CAP_SYS_ADMIN to create and enter namespaces, CAP_NET_ADMIN for the device); run as root');
  }
}

/** Ping the stack from the kernel side until it answers (at most ~10 s); without ping, trust the setup. */
async function waitUntilAnswering(netns: string | undefined, addr: string, log: pino.Logger): Promise<void> {
  const cmd = netns ? 'ip' : 'ping';
  const args = netns ? ['netns', 'exec', netns, 'ping', '-c', '1', '-W', '1', addr] : ['-c', '1', '-W', '1', addr];
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      await execFileP(cmd, args, { timeout: 3000 });
      return;
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT' || /ping.*(No such file|not found)/.test(e.stderr ?? '')) {
        log.warn('ping is not installed: not checking that the stack answers');
        return;
      }
    }
  }
  throw new Error(`the stack at ${addr} did not answer ping within 10 s (see --log-level debug, --pcap)`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function waitForSignal(log: pino.Logger): Promise<void> {
  return new Promise((resolve) => {
    const stop = (sig: NodeJS.Signals): void => {
      log.info({ signal: sig }, 'shutting down');
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
