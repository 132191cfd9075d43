/**
 * Helpers for tests that boot the VM: whether they can (QEMU, a static
 * busybox and the kernel package, fetched into the cache on first use), and
 * a run that collects the guest's output instead of streaming it.
 */
import { Writable } from 'node:stream';
import { VmError } from '../../src/vm/errors.js';
import { runVm, type VmOptions } from '../../src/vm/launch.js';
import { guestEnv } from '../../src/vm/main.js';
import { prepare } from '../../src/vm/prepare.js';

export type VmCheck = { ok: true } | { ok: false; reason: string };

let checked: VmCheck | undefined;

export function canRunVm(): VmCheck {
  if (checked) return checked;
  if (process.platform !== 'linux') return (checked = { ok: false, reason: `platform is ${process.platform}` });
  try {
    // Fills the cache if it is empty (apt-get download of the kernel package; .ci/run does it up front).
    prepare({ progress: (m) => console.log(`vm: ${m}`) });
    checked = { ok: true };
  } catch (e) {
    checked = { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
  return checked;
}

/** The check plus the loud SKIP line naming what is missing. */
export function vmReady(): boolean {
  const c = canRunVm();
  if (!c.ok) console.warn(`SKIP (vm): ${c.reason}`);
  return c.ok;
}

export interface VmRun {
  status: number;
  stdout: string;
  stderr: string;
  log: string[];
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  return {
    stream: new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c);
        cb();
      },
    }),
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

/** Run argv in a fresh VM; VmErrors come back as thrown errors with their status. */
export async function runInVm(argv: string[], opts: Partial<VmOptions> = {}): Promise<VmRun> {
  const out = collector();
  const err = collector();
  const log: string[] = [];
  const status = await runVm({
    argv,
    cwd: process.cwd(),
    env: guestEnv(process.env, {}),
    accel: 'auto',
    cpus: 2,
    memoryMiB: 1536,
    timeoutMs: 240_000,
    bootTimeoutMs: 120_000,
    stdout: out.stream,
    stderr: err.stream,
    log: (m) => {
      log.push(m);
      console.log(`vm: ${m}`);
    },
    ...opts,
  });
  return { status, stdout: out.text(), stderr: err.text(), log };
}

export async function vmError(p: Promise<unknown>): Promise<VmError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof VmError) return e;
    throw e;
  }
  throw new Error('expected a VmError');
}
