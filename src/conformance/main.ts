/**
 * `npm run conformance -- [--profile NAME] [--seed N] [--wire] [FILES or DIRS...]`
 *
 * Runs packetdrill-syntax scripts (default: the whole suite under
 * test/conformance/scripts) in-process in virtual time and prints one line per
 * script, then exactly `N passed, M failed, K skipped`. Exit code 1 if any
 * failed. `--wire` runs the same scripts against the real binary over a TUN
 * through scripts/conformance.sh (root; see README, "Wire mode").
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadStackFactory, type StackFactory } from './harness.js';
import { getProfile, profileNames } from './profile.js';
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
  process.stderr.write(`${msg}\nusage: conformance [--profile ${profileNames().join('|')}] [--seed N] [--wire] [FILES or DIRS...]\n`);
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

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--wire')) return runWire(argv);
  let profileName = 'linux';
  let seed = 1;
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--profile') profileName = argv[++i] ?? usage('--profile needs a name');
    else if (a === '--seed') seed = Number(argv[++i] ?? usage('--seed needs a number'));
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else paths.push(a);
  }
  if (!getProfile(profileName)) usage(`unknown profile ${profileName}`);
  const files: string[] = [];
  for (const p of paths.length ? paths : [SUITE]) collect(resolve(p), files);

  let factory: StackFactory | undefined;
  let loadError = '';
  try {
    factory = await loadStackFactory();
  } catch (e) {
    loadError = e instanceof Error ? e.message : String(e);
  }
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const f of files) {
    const name = relative(paths.length ? process.cwd() : SUITE, f);
    let out: Outcome;
    const profile = getProfile(profileName);
    if (!factory || !profile) out = { status: 'FAIL', message: `cannot load the stack: ${loadError}` };
    else out = runScriptText(readFileSync(f, 'utf8'), { profile, factory, seed });
    if (out.status === 'PASS') {
      passed++;
      process.stdout.write(`PASS ${name}\n`);
    } else if (out.status === 'SKIP') {
      skipped++;
      process.stdout.write(`SKIP ${name}: ${out.reason}\n`);
    } else {
      failed++;
      process.stdout.write(`FAIL ${name}: ${out.message}\n`);
    }
  }
  process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  return failed > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`conformance runner crashed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(2);
  },
);
