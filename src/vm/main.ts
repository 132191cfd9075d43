/**
 * `npm run vm -- [OPTIONS] COMMAND [ARGS...]`: boot a throwaway Linux VM (the
 * Debian kernel on QEMU, the host's / read-only under a tmpfs overlay), run
 * COMMAND as root in the same directory, stream its output, exit with its
 * status. `--prepare` only fills the cache (kernel package + initramfs).
 */
import { fileURLToPath } from 'node:url';
import { VmError } from './errors.js';
import { runVm } from './launch.js';
import { prepare } from './prepare.js';
import type { AccelRequest } from './accel.js';

export interface VmCli {
  accel: AccelRequest;
  cpus: number;
  memoryMiB: number;
  kernelPackage?: string;
  timeoutS: number;
  bootTimeoutS: number;
  env: Record<string, string>;
  quiet: boolean;
  prepareOnly: boolean;
  argv: string[];
}

export const USAGE = `usage: npm run vm -- [--accel auto|kvm|tcg] [--cpus N] [--memory MiB] [--kernel-package linux-image-...]
                    [--timeout S] [--boot-timeout S] [--env NAME=VALUE]... [--quiet] COMMAND [ARGS...]
       npm run vm -- --prepare [--kernel-package linux-image-...]`;

/** Environment the guest inherits (the rest of the host's environment stays out). */
const PASSED_ENV = /^(PATH|HOME|LANG|LC_[A-Z]+|TERM|TZ|CI|NO_COLOR|FORCE_COLOR|NODE_[A-Z_]+|TUNSTACK_[A-Z_]+|PACKETDRILL)$/;

export function guestEnv(host: NodeJS.ProcessEnv, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(host)) if (v !== undefined && PASSED_ENV.test(k)) env[k] = v;
  env.TUNSTACK_VM = '1';
  return { ...env, ...extra };
}

export function parseVmArgs(argv: readonly string[]): VmCli {
  const cli: VmCli = { accel: 'auto', cpus: 2, memoryMiB: 2048, timeoutS: 3600, bootTimeoutS: 120, env: {}, quiet: false, prepareOnly: false, argv: [] };
  const num = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new VmError(`${flag} needs a whole number ≥ ${min}\n${USAGE}`);
    return n;
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('--')) break;
    if (a === '--accel') {
      const v = argv[++i];
      if (v !== 'auto' && v !== 'kvm' && v !== 'tcg') throw new VmError(`--accel takes auto, kvm or tcg (got ${v ?? 'nothing'})\n${USAGE}`);
      cli.accel = v;
    } else if (a === '--cpus') cli.cpus = num(a, argv[++i], 1);
    else if (a === '--memory') cli.memoryMiB = num(a, argv[++i], 256);
    else if (a === '--timeout') cli.timeoutS = num(a, argv[++i], 1);
    else if (a === '--boot-timeout') cli.bootTimeoutS = num(a, argv[++i], 1);
    else if (a === '--kernel-package') {
      const v = argv[++i];
      if (!v) throw new VmError(`--kernel-package needs a package name such as linux-image-6.1.0-57-amd64\n${USAGE}`);
      cli.kernelPackage = v;
    } else if (a === '--env') {
      const v = argv[++i] ?? '';
      const eq = v.indexOf('=');
      if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.slice(0, eq))) throw new VmError(`--env takes NAME=VALUE (got '${v}')\n${USAGE}`);
      cli.env[v.slice(0, eq)] = v.slice(eq + 1);
    } else if (a === '--quiet') cli.quiet = true;
    else if (a === '--prepare') cli.prepareOnly = true;
    else throw new VmError(`unknown option ${a}\n${USAGE}`);
  }
  cli.argv = argv.slice(i);
  if (!cli.prepareOnly && cli.argv.length === 0) throw new VmError(`no COMMAND given\n${USAGE}`);
  return cli;
}

async function main(args: string[]): Promise<number> {
  const cli = parseVmArgs(args);
  const log = (m: string): void => {
    if (!cli.quiet) process.stderr.write(`vm: ${m}\n`);
  };
  if (cli.prepareOnly) {
    const p = prepare({ kernelPackage: cli.kernelPackage, progress: log });
    process.stderr.write(`vm: ready: ${p.kernel.pkg} (${p.kernel.release}), ${p.initramfs}\n`);
    return 0;
  }
  return runVm({
    argv: cli.argv,
    // npm run starts scripts in the package root; INIT_CWD is where the user typed the command.
    cwd: process.env.INIT_CWD ?? process.cwd(),
    env: guestEnv(process.env, cli.env),
    accel: cli.accel,
    cpus: cli.cpus,
    memoryMiB: cli.memoryMiB,
    kernelPackage: cli.kernelPackage,
    timeoutMs: cli.timeoutS * 1000,
    bootTimeoutMs: cli.bootTimeoutS * 1000,
    stdout: process.stdout,
    stderr: process.stderr,
    log,
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof VmError) {
        process.stderr.write(`vm: ${e.message}\n`);
        process.exit(e.status);
      }
      process.stderr.write(`vm: launcher crashed: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(2);
    },
  );
}
