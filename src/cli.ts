#!/usr/bin/env node
/**
 * The `tunstack` command: argument parsing and dispatch only — no protocol
 * logic lives here (that is src/stack.ts and below; process plumbing is
 * src/run/, the explain mode src/explain/).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { up, type UpOptions } from './run/up.js';
import { DEFAULT_HOSTNAME, DEFAULT_SERVICES } from './apps/services.js';
import { stat } from './run/control.js';
import { CliError } from './run/errors.js';
import { chartCommand } from './trace/chart-cli.js';
import { CONGESTION_CONTROLLERS, isCongestionControl } from './tcp/congestion/index.js';
import { CHART_USAGE, CONFORMANCE_USAGE, EXPLAIN_USAGE, STAT_USAGE, UP_USAGE, USAGE } from './cli-usage.js';
import { explainCommand } from './explain/command.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function wantsHelp(args: string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

function help(text: string): number {
  process.stdout.write(text);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up':
      return wantsHelp(rest) ? help(UP_USAGE) : upOrAgent(parseUp(rest));
    case 'chart':
      return wantsHelp(rest) ? help(CHART_USAGE) : chartCommand(rest);
    case 'stat':
      return wantsHelp(rest) ? help(STAT_USAGE) : statCommand(rest);
    case 'explain':
      return wantsHelp(rest) ? help(EXPLAIN_USAGE) : explainCommand(rest);
    case 'conformance':
      return wantsHelp(rest) ? help(CONFORMANCE_USAGE) : conformance(rest);
    case '--version':
    case '-V':
    case 'version':
      process.stdout.write(`tunstack ${version()}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new CliError(`unknown command '${command}' (try 'tunstack help')`);
  }
}

/** `up`, or with the hidden --conformance-agent the wire-mode agent process (loaded only then). */
async function upOrAgent(o: UpOptions): Promise<number> {
  if (o.conformanceAgent === undefined) return up(o);
  const { serveAgent } = await import('./run/agent-server.js');
  return serveAgent({ netns: o.netns, device: o.device, hostCidr: o.hostCidr, addr: o.addr, logLevel: o.logLevel, config: o.conformanceAgent });
}

function statCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      tun: { type: 'string' },
      tap: { type: 'string' },
      netns: { type: 'string' },
      info: { type: 'boolean', short: 'i', default: false },
      deltas: { type: 'boolean', short: 's', default: false },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.info && values.deltas) throw new CliError('-i and -s are exclusive: -i shows connections, -s counter changes');
  const view = values.info ? 'info' : values.deltas ? 'deltas' : 'report';
  return stat(values.tap ?? values.tun ?? "tun0", values.netns, { view, json: values.json });
}

/** The conformance runner is its own entry point (it exits with its status); run it as a child. */
function conformance(args: string[]): Promise<number> {
  const runner = fileURLToPath(new URL('./conformance/main.js', import.meta.url));
  const child = spawn(process.execPath, [runner, ...args], { stdio: 'inherit' });
  return new Promise((resolve) => {
    child.on('exit', (code, sig) => resolve(code ?? (sig ? 2 : 1)));
    child.on('error', (e) => resolve(Promise.reject(e)));
  });
}

function parseUp(args: string[]): UpOptions {
  const { values } = parseArgs({
    args,
    options: {
      tun: { type: 'string' },
      tap: { type: 'string' },
      netns: { type: 'string' },
      'host-addr': { type: 'string', default: '10.77.0.1/24' },
      addr: { type: 'string', default: '10.77.0.2' },
      mtu: { type: 'string', default: '1500' },
      services: { type: 'string', default: DEFAULT_SERVICES.join(',') },
      'http-root': { type: 'string' },
      dashboard: { type: 'string', default: 'on' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      hostname: { type: 'string', default: DEFAULT_HOSTNAME },
      'dns-record': { type: 'string', multiple: true, default: [] },
      pcap: { type: 'string' },
      offload: { type: 'string', default: 'on' },
      trace: { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      cc: { type: 'string', default: 'cubic' },
      'cwnd-trace': { type: 'string' },
      // Hidden: wire-mode conformance agent (src/run/agent.ts); not in USAGE.
      'conformance-agent': { type: 'string' },
    },
    strict: true,
  });
  if (values.tun !== undefined && values.tap !== undefined) {
    throw new CliError('--tun and --tap are exclusive: pick one device type');
  }
  const mtu = Number(values.mtu);
  if (!Number.isInteger(mtu) || mtu < 576 || mtu > 65535) {
    throw new CliError(`--mtu must be an integer from 576 to 65535 (got '${values.mtu}')`);
  }
  if (!isCongestionControl(values.cc)) {
    throw new CliError(`--cc must be one of ${CONGESTION_CONTROLLERS.join(', ')} (got '${values.cc}')`);
  }
  if (values.offload !== 'on' && values.offload !== 'off') {
    throw new CliError(`--offload must be 'on' or 'off' (got '${values.offload}')`);
  }
  if (values.dashboard !== 'on' && values.dashboard !== 'off') {
    throw new CliError(`--dashboard takes 'on' or 'off' (got '${values.dashboard}')`);
  }
  const services = values.services === 'none' ? [] : values.services.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    mode: values.tap !== undefined ? 'tap' : 'tun',
    device: values.tap ?? values.tun ?? 'tun0',
    netns: values.netns,
    hostCidr: values['host-addr'],
    addr: values.addr,
    mtu,
    services,
    httpRoot: values['http-root'],
    dashboard: values.dashboard === 'on',
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    hostname: values.hostname,
    dnsRecords: values['dns-record'],
    pcap: values.pcap,
    offload: values.offload,
    trace: values.trace,
    logLevel: values['log-level'],
    conformanceAgent: values['conformance-agent'],
    congestionControl: values.cc,
    cwndTrace: values['cwnd-trace'],
  };
}

const argv = process.argv.slice(2);
const SUBCOMMANDS = ['up', 'stat', 'explain', 'conformance', 'chart'];
/** Where a misused command's options are listed. */
const helpFor = SUBCOMMANDS.includes(argv[0]) ? `tunstack ${argv[0]} --help` : 'tunstack help';

main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`tunstack: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      // node:util's message says what is wrong but not where to look for the right spelling.
      process.stderr.write(`tunstack: ${err.message} (see '${helpFor}' for the options)\n`);
      process.exitCode = 2;
    } else {
      const e = err as NodeJS.ErrnoException;
      process.stderr.write(`tunstack: ${e.message ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
