/**
 * Run the BUILT `tunstack up` (dist/src/cli.js; build first with
 * `npx tsc -p .`) as a child process for Linux tests: wait for its `ready`
 * line, stop it with SIGTERM by PID (SIGKILL by PID if it hangs), and collect
 * its output. The namespace passed with --netns is created by the test
 * (harness.ts), so the child never creates or deletes one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));

export interface UpProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, wait for exit (SIGKILL after `graceMs`); resolves to the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export async function startUp(args: string[], readyTimeoutMs = 20_000): Promise<UpProcess> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npx tsc -p .' before the Linux CLI tests`);
  const child = spawn(process.execPath, [CLI, 'up', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

  const proc: UpProcess = {
    child,
    stdout: () => out,
    stderr: () => err,
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      }, graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };

  const deadline = Date.now() + readyTimeoutMs;
  while (!/tunstack: ready/.test(out)) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await proc.stop(2000);
      throw new Error(`tunstack up ${args.join(' ')} did not get ready:\n--- stdout\n${out}--- stderr\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return proc;
}
