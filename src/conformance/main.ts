/**
 * `npm run conformance -- [--profile NAME] [--seed N] [--target tunstack|linux|both]
 *                         [--tolerance-ms N] [--wire] [FILES or DIRS...]`
 *
 * Runs packetdrill-syntax scripts (default: the whole suite under
 * test/conformance/scripts) in-process in virtual time and prints one line per
 * script, then exactly `N passed, M failed, K skipped`. Exit code 1 if any
 * failed. `--target linux` runs them through the real packetdrill against the
 * running kernel instead (root; src/conformance/linux/), `--target both` runs
 * both and prints one table. `--wire` runs the same scripts against the real
 * binary over a TUN through scripts/conformance.sh (root; see README, "Wire mode").
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadStackFactory, type StackFactory } from './harness.js';
import { DEFAULT_PROFILE, getProfile, profileNames } from './profile.js';
import { allowedWithCubic, findPacketdrill } from './linux/invocation.js';
import { runOnLinux } from './linux/target.js';
import { BothTable, tally, type Row } from './report.js';
import { runScriptText, type Outcome } from './runner.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SUITE = join(ROOT, 'test/conformance/scripts');

function collect(path: string, out: string[]): void {
  // The default suite directory may be empty (git keeps no empty folders).
  if (path === SUITE && !existsSync(path)) return;
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) collect(join(path, name), out);
  } else if (path.endsWith('.pkt')) out.push(path);
}

function usage(msg: string): never {
  process.stderr.write(`${msg}\nusage: conformance [--profile ${profileNames().join('|')}] [--seed N] [--target tunstack|linux|both] [--tolerance-ms N] [--wire] [FILES or DIRS...]\n`);
  process.exit(2);
}

/**
 * `--wire`: hand the whole command line to scripts/conformance.sh, which needs
 * root, creates the namespace and runs the wire runner (src/conformance/wire/).
 * `npm run conformance` has just compiled, hence --no-build.
 */
function runWire(argv: string[]): Promise<number> {
  const rest = argv.filter((a) => a !== '--wire');
  const seed = rest.indexOf('--seed');
  if (seed >= 0) {
    process.stderr.write('conformance: --seed has no effect in wire mode (the real tunstack uses crypto randomness)\n');
    rest.splice(seed, 2);
  }
  const child = spawn('bash', [join(ROOT, 'scripts/conformance.sh'), '--wire', '--no-build', ...rest], { stdio: 'inherit' });
  return new Promise((res) => {
    child.on('exit', (code, sig) => res(code ?? (sig ? 2 : 1)));
    child.on('error', (e) => {
      process.stderr.write(`conformance: cannot run scripts/conformance.sh: ${e.message}\n`);
      res(2);
    });
  });
}

type Target = 'tunstack' | 'linux' | 'both';

interface Cli {
  profileName: string;
  seed: number;
  target: Target;
  toleranceMs: number;
  paths: string[];
}

function parseCli(argv: string[]): Cli {
  const cli: Cli = { profileName: DEFAULT_PROFILE, seed: 1, target: 'tunstack', toleranceMs: 25, paths: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--profile') cli.profileName = argv[++i] ?? usage('--profile needs a name');
    else if (a === '--seed') {
      cli.seed = Number(argv[++i] ?? usage('--seed needs a number'));
      if (!Number.isInteger(cli.seed) || cli.seed < 0) usage(`--seed needs a non-negative integer (got '${argv[i]}')`);
    }
    else if (a === '--target') {
      const t = argv[++i];
      if (t !== 'tunstack' && t !== 'linux' && t !== 'both') usage('--target needs tunstack, linux or both');
      cli.target = t;
    } else if (a === '--tolerance-ms') {
      cli.toleranceMs = Number(argv[++i]);
      if (!(cli.toleranceMs >= 0)) usage('--tolerance-ms needs a number of milliseconds');
    } else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else cli.paths.push(a);
  }
  if (!getProfile(cli.profileName)) usage(`unknown profile ${cli.profileName}`);
  return cli;
}

/** The in-process verdict for one file. */
async function tunstackVerdict(file: string, cli: Cli, stack: () => Promise<StackFactory>): Promise<Outcome> {
  let factory: StackFactory;
  try {
    factory = await stack();
  } catch (e) {
    return { status: 'FAIL', message: `cannot load the stack: ${e instanceof Error ? e.message : String(e)}` };
  }
  return runScriptText(readFileSync(file, 'utf8'), { profile: getProfile(cli.profileName)!, factory, seed: cli.seed });
}

/** `--target linux|both` needs root for the namespace and packetdrill's TUN, and a packetdrill binary. */
function linuxPrerequisites(): string {
  if (process.getuid?.() !== 0) {
    usage('conformance --target linux needs root: packetdrill creates a TUN device in a fresh network namespace (unshare -n). Run it as root, e.g. sudo npm run conformance -- --target linux');
  }
  if (!existsSync('/dev/net/tun')) usage("conformance --target linux: /dev/net/tun is missing: load the module with 'modprobe tun'");
  const pd = findPacketdrill({ env: process.env, root: ROOT });
  if ('error' in pd) usage(`conformance --target linux: ${pd.error}`);
  allowCubic();
  return pd.path;
}

/** Let namespaces select cubic (defaults.sh does): add it to the host's allowed list once, saying so. */
function allowCubic(): void {
  const path = '/proc/sys/net/ipv4/tcp_allowed_congestion_control';
  try {
    const next = allowedWithCubic(readFileSync(path, 'utf8'), readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8'));
    if (next === undefined) return;
    writeFileSync(path, next);
    process.stderr.write(`conformance --target linux: added cubic to net.ipv4.tcp_allowed_congestion_control ("${next}") so defaults.sh can select it\n`);
  } catch (e) {
    process.stderr.write(`conformance --target linux: cannot allow cubic (${e instanceof Error ? e.message : String(e)}); scripts run with the host's default congestion control\n`);
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--wire')) return runWire(argv);
  const cli = parseCli(argv);
  const packetdrill = cli.target === 'tunstack' ? '' : linuxPrerequisites();
  const files: string[] = [];
  for (const p of cli.paths.length ? cli.paths : [SUITE]) collect(resolve(p), files);
  let factory: Promise<StackFactory> | undefined;
  const stack = (): Promise<StackFactory> => (factory ??= loadStackFactory());
  const rows: Row[] = [];
  const nameOf = (f: string): string => relative(cli.paths.length ? process.cwd() : SUITE, f);
  const table = cli.target === 'both' ? new BothTable(process.stdout, files.map(nameOf)) : undefined;
  for (const f of files) {
    const name = nameOf(f);
    const row: Row = { name };
    if (cli.target !== 'linux') row.tunstack = await tunstackVerdict(f, cli, stack);
    if (cli.target !== 'tunstack') {
      row.linux = await runOnLinux(
        f,
        readFileSync(f, 'utf8'),
        { packetdrill, profile: getProfile(cli.profileName)!, toleranceUsecs: cli.toleranceMs * 1000, timeoutMs: 120_000 },
        getProfile('linux')!,
      );
    }
    rows.push(row);
    if (table) table.add(row);
    else printLine(name, (row.tunstack ?? row.linux)!);
  }
  const ignored = new Set(rows.flatMap((r) => (r.tunstack?.status === 'PASS' ? (r.tunstack.ignored ?? []) : [])));
  if (ignored.size) process.stdout.write(`ignored sysctls (no tunstack equivalent): ${[...ignored].sort().join(' ')}\n`);
  if (table) return table.finish();
  const t = tally(rows.map((r) => (r.tunstack ?? r.linux)!));
  process.stdout.write(`${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped\n`);
  return t.failed > 0 ? 1 : 0;
}

function printLine(name: string, out: Outcome): void {
  if (out.status === 'PASS') process.stdout.write(`PASS ${name}\n`);
  else if (out.status === 'SKIP') process.stdout.write(`SKIP ${name}: ${out.reason}\n`);
  else process.stdout.write(`FAIL ${name}: ${out.message}\n`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`conformance runner crashed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(2);
  },
);
