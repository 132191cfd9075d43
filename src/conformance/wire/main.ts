/**
 * Wire mode's CLI (run by scripts/conformance.sh --wire, as root, inside a
 * namespace that script created):
 *
 *   node dist/src/conformance/wire/main.js --netns NS [--tun NAME] [--tolerance-ms N] [--time-scale K]
 *       [--max-duration S] [--retries N] [--profile default|linux] [--log-level LEVEL] [FILES or DIRS...]
 *
 * Same output as the in-process runner: one PASS/FAIL/SKIP line per script,
 * then `N passed, M failed, K skipped`; exit 1 if any failed, 2 on usage.
 * A FAILed script is run again up to --retries times (default 1): real time
 * on a shared machine can be late by more than the tolerance. A script that
 * passes on a retry says so on its PASS line, with the first failure.
 * One tunstack agent process serves the whole run (a fresh stack per script
 * inside it); if it dies, the next script starts a new one and says so.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RealClock } from '../../time/real-clock.js';
import { DEFAULT_PROFILE, getProfile, profileNames } from '../profile.js';
import { WIRE_DEFAULTS, defaultTiming, runWireScript, type WireOptions } from './runner.js';
import { agentSocketPath, startTunstack, type TunstackProcess } from './tunstack-process.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const SUITE = join(ROOT, 'test/conformance/scripts');

function collect(path: string, out: string[]): void {
  if (!existsSync(path)) throw new Error(`no such file or directory: ${path}`);
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) collect(join(path, name), out);
  } else if (path.endsWith('.pkt')) out.push(path);
}

function usage(msg: string): never {
  process.stderr.write(
    `${msg}\nusage: conformance-wire --netns NS [--tun NAME] [--tolerance-ms N] [--time-scale K] [--max-duration S] [--retries N] [--profile ${profileNames().join('|')}] [--log-level L] [FILES or DIRS...]\n`,
  );
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  let netns: string | undefined;
  let tun = WIRE_DEFAULTS.tun;
  const timing = defaultTiming();
  let toleranceMs = timing.toleranceMs;
  let timeScale = timing.timeScale;
  const given: string[] = [];
  let maxDurationMs = WIRE_DEFAULTS.maxDurationMs;
  let profileName = DEFAULT_PROFILE;
  let logLevel = 'warn';
  let retries = 1;
  const paths: string[] = [];
  const num = (v: string | undefined, what: string): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) usage(`${what} needs a non-negative number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--netns') netns = argv[++i] ?? usage('--netns needs a name');
    else if (a === '--tun') tun = argv[++i] ?? usage('--tun needs a name');
    else if (a === '--tolerance-ms') {
      toleranceMs = num(argv[++i], a);
      given.push(a);
    } else if (a === '--time-scale') {
      timeScale = num(argv[++i], a);
      if (timeScale < 1 || timeScale > 100) usage('--time-scale takes a factor from 1 to 100');
      given.push(a);
    }
    else if (a === '--max-duration') maxDurationMs = num(argv[++i], a) * 1000;
    else if (a === '--retries') retries = Math.floor(num(argv[++i], a));
    else if (a === '--profile') profileName = argv[++i] ?? usage('--profile needs a name');
    else if (a === '--log-level') logLevel = argv[++i] ?? usage('--log-level needs a level');
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else paths.push(a);
  }
  if (!netns) usage('--netns is required (scripts/conformance.sh --wire creates one)');
  if (!getProfile(profileName)) usage(`unknown profile ${profileName}`);
  const files: string[] = [];
  for (const p of paths.length ? paths : [SUITE]) collect(resolve(p), files);

  const why = [...given, ...(given.length < 2 ? [timing.why] : [])].join(', ');
  process.stdout.write(`# wire: ${files.length} scripts, timing tolerance at least ${toleranceMs} ms of script time, time scale ${timeScale} (${why})\n`);
  const clock = new RealClock();
  const dir = mkdtempSync(join(tmpdir(), 'tscw-agent-'));
  const agentOpts = { netns, tun, localAddr: getProfile(profileName)!.localAddr, socketPath: agentSocketPath(dir), logLevel, clock };
  let proc: TunstackProcess | undefined;
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  try {
    proc = await startTunstack(agentOpts);
    const opts: Omit<WireOptions, 'profile'> = { netns, tun, toleranceMs, maxDurationMs, socketPath: agentOpts.socketPath, timeScale };
    const runOnce = async (src: string): ReturnType<typeof runWireScript> => {
      if (proc!.exited()) {
        process.stdout.write(`# the agent process died (${proc!.why()}); starting a new one\n`);
        proc = await startTunstack(agentOpts);
      }
      return runWireScript(src, { ...opts, profile: getProfile(profileName)! });
    };
    for (const f of files) {
      const name = relative(paths.length ? process.cwd() : SUITE, f);
      const src = readFileSync(f, 'utf8');
      let out = await runOnce(src);
      let firstFailure = '';
      let attempts = 1;
      for (; out.status === 'FAIL' && attempts <= retries; attempts++) {
        firstFailure ||= out.message.split('\n')[0];
        out = await runOnce(src);
      }
      if (out.status === 'PASS') {
        passed++;
        const note = firstFailure ? ` (passed on attempt ${attempts}; attempt 1 FAILed: ${firstFailure})` : '';
        process.stdout.write(`PASS ${name}${note}\n`);
      } else if (out.status === 'SKIP') {
        skipped++;
        process.stdout.write(`SKIP ${name}: ${out.reason}\n`);
      } else {
        failed++;
        const note = attempts > 1 ? `\n    (failed all ${attempts} attempts; this is the last)` : '';
        process.stdout.write(`FAIL ${name}: ${out.message}${note}\n`);
      }
    }
  } finally {
    await proc?.stop();
    clock.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  return failed > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`conformance wire runner crashed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(2);
  },
);
