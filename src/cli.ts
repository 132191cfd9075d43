#!/usr/bin/env node
/**
 * The `tunstack` command: argument parsing and dispatch only — no protocol
 * logic lives here (that is src/stack.ts and below; process plumbing is
 * src/run/).
 */
import { parseArgs } from 'node:util';
import { up, type UpOptions } from './run/up.js';
import { stat } from './run/control.js';
import { CliError } from './run/errors.js';

const USAGE = `usage:
  tunstack up [options]      run the stack on a TUN (or TAP) device until SIGINT/SIGTERM
  tunstack stat [--tun NAME | --tap NAME] [--netns NAME]
                             print counters (like netstat -s) and connections (like ss -tan)
                             of a running 'tunstack up' (also printed to its stderr on SIGUSR1)
  tunstack help

options for 'up':
  --tun NAME          TUN device name (default tun0)
  --tap NAME          use a TAP device instead (Ethernet + ARP)
  --netns NAME        put the device in this network namespace (created if missing,
                      deleted on exit if tunstack created it)
  --host-addr CIDR    the kernel's side of the device (default 10.77.0.1/24)
  --addr IP           the stack's own address (default 10.77.0.2)
  --mtu N             link MTU (default 1500)
  --services LIST     comma-separated: echo,discard,chargen,http,udp-echo (default all),
                      or 'none'
  --http-root DIR     directory served by the http service (default: a built-in page)
  --pcap FILE         write every packet in and out to FILE (pcap, LINKTYPE_RAW)
  --offload on|off    TUN offloads through IFF_VNET_HDR: checksum, TSO/GSO super-packets
                      both ways (default on; falls back to off, with a log line, where
                      the kernel refuses them; TAP: always off)
  --log-level LEVEL   pino level: fatal,error,warn,info,debug,trace,silent (default info)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up':
      return up(parseUp(rest));
    case 'stat': {
      const { values } = parseArgs({
        args: rest,
        options: { tun: { type: 'string' }, tap: { type: 'string' }, netns: { type: 'string' } },
        strict: true,
      });
      return stat(values.tap ?? values.tun ?? 'tun0', values.netns);
    }
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
      services: { type: 'string', default: 'echo,discard,chargen,http,udp-echo' },
      'http-root': { type: 'string' },
      pcap: { type: 'string' },
      offload: { type: 'string', default: 'on' },
      'log-level': { type: 'string', default: 'info' },
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
  if (values.offload !== 'on' && values.offload !== 'off') {
    throw new CliError(`--offload must be 'on' or 'off' (got '${values.offload}')`);
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
    pcap: values.pcap,
    offload: values.offload,
    logLevel: values['log-level'],
    conformanceAgent: values['conformance-agent'],
  };
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`tunstack: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      // node:util's message says what is wrong but not where to look for the right spelling.
      process.stderr.write(`tunstack: ${err.message} (see 'tunstack help' for the options)\n`);
      process.exitCode = 2;
    } else {
      const e = err as NodeJS.ErrnoException;
      process.stderr.write(`tunstack: ${e.message ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
