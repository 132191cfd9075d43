/**
 * One VM run: write the job script, listen on the three port sockets, start
 * QEMU, stream the guest's stdout/stderr, and end with the command's status.
 * Every attempt (a KVM probe, then TCG) gets its own job directory, removed
 * afterwards; QEMU is killed by PID on any timeout, so nothing is left behind.
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { kvmDeviceUsable, planAttempts, readVerdict, verdictKey, writeVerdict, type AccelRequest, type Attempt } from './accel.js';
import { VmError } from './errors.js';
import { jobScript, parseControl } from './guest-scripts.js';
import { prepare, QEMU, type Prepared } from './prepare.js';
import { qemuArgs } from './qemu-args.js';

export interface VmOptions {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  accel: AccelRequest;
  cpus: number;
  memoryMiB: number;
  kernelPackage?: string;
  /** Wall-clock limit for the command once the guest is up. */
  timeoutMs: number;
  bootTimeoutMs: number;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Where the per-run directory (job share, sockets, console log) goes; default os.tmpdir(). */
  tmpRoot?: string;
  /** Launcher messages (progress, boot time, fallback). */
  log: (msg: string) => void;
}

type AttemptResult =
  | { kind: 'done'; status: number; bootMs: number }
  | { kind: 'boot-timeout'; consoleTail: string; qemuStderr: string }
  | { kind: 'boot-failed'; code: number | null; consoleTail: string; qemuStderr: string }
  | { kind: 'died'; consoleTail: string; qemuStderr: string }
  | { kind: 'timeout'; consoleTail: string }
  | { kind: 'interrupted'; signal: NodeJS.Signals };

function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return '(no console output)';
  const text = readFileSync(file, 'utf8').trimEnd();
  return text.length === 0 ? '(no console output)' : text.split('\n').slice(-lines).join('\n');
}

function listen(path: string, onData: (d: Buffer) => void, sockets: Socket[]): Promise<Server> {
  return new Promise((res, rej) => {
    const srv = createServer((s) => {
      sockets.push(s);
      s.on('data', onData);
      s.on('error', () => undefined);
    });
    srv.once('error', rej);
    srv.listen(path, () => res(srv));
  });
}

interface Supervised {
  code: number | null;
  verdict?: 'boot-timeout' | 'timeout' | NodeJS.Signals;
  qemuStderr: string;
  upAt: number;
}

/**
 * Start QEMU and wait for it to end: killed by PID if the guest is not up
 * within the boot deadline, if the command outlives its wall-clock limit, or
 * if the launcher gets SIGINT/SIGTERM. `up` fires when the control port says so.
 */
function superviseQemu(args: string[], bootTimeoutMs: number, timeoutMs: number, up: EventEmitter): Promise<Supervised> {
  const qemu = spawn(QEMU, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const r: Supervised = { code: null, qemuStderr: '', upAt: 0 };
  qemu.stderr.on('data', (d: Buffer) => (r.qemuStderr += d.toString('utf8')));
  const kill = (): void => {
    if (qemu.exitCode === null && qemu.signalCode === null && qemu.pid !== undefined) process.kill(qemu.pid, 'SIGKILL');
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    r.verdict = sig;
    kill();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const bootTimer = setTimeout(() => {
    r.verdict = 'boot-timeout';
    kill();
  }, bootTimeoutMs);
  let runTimer: NodeJS.Timeout | undefined;
  up.once('up', () => {
    r.upAt = Date.now();
    clearTimeout(bootTimer);
    runTimer = setTimeout(() => {
      r.verdict = 'timeout';
      kill();
    }, timeoutMs);
  });
  return new Promise((res) => {
    const done = (code: number | null): void => {
      clearTimeout(bootTimer);
      if (runTimer) clearTimeout(runTimer);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      r.code = code;
      res(r);
    };
    qemu.on('error', (e) => {
      r.qemuStderr += String(e);
      done(null);
    });
    qemu.on('exit', (c) => done(c));
  });
}

async function runAttempt(p: Prepared, o: VmOptions, at: Attempt): Promise<AttemptResult> {
  const base = mkdtempSync(join(o.tmpRoot ?? tmpdir(), 'tunstack-vm-'));
  const jobDir = join(base, 'job');
  mkdirSync(jobDir);
  writeFileSync(join(jobDir, 'job.sh'), jobScript({ argv: o.argv, cwd: o.cwd, env: o.env }), { mode: 0o755 });
  const sock = { out: join(base, 'out.sock'), err: join(base, 'err.sock'), ctl: join(base, 'ctl.sock') };
  const consoleLog = join(base, 'console.log');
  const conns: Socket[] = [];
  const servers: Server[] = [];
  const up = new EventEmitter();
  let ctlText = '';
  const started = Date.now();
  try {
    servers.push(await listen(sock.out, (d) => o.stdout.write(d), conns));
    servers.push(await listen(sock.err, (d) => o.stderr.write(d), conns));
    servers.push(await listen(sock.ctl, (d) => {
      ctlText += d.toString('utf8');
      if (parseControl(ctlText).up) up.emit('up');
    }, conns));
    const args = qemuArgs({ accel: at.accel, cpus: o.cpus, memoryMiB: o.memoryMiB, kernel: p.kernel.vmlinuz, initramfs: p.initramfs, jobDir, consoleLog, sockets: sock });
    const q = await superviseQemu(args, at.bootTimeoutMs, o.timeoutMs, up);
    // QEMU closed its ends; let the last bytes of the guest's output arrive.
    await Promise.race([
      Promise.all(conns.map((c) => new Promise((r) => (c.readableEnded || c.destroyed ? r(null) : c.once('close', r))))),
      new Promise((r) => setTimeout(r, 2000)),
    ]);
    const ctl = parseControl(ctlText);
    const consoleTail = tail(consoleLog);
    if (q.verdict === 'timeout') return { kind: 'timeout', consoleTail };
    if (q.verdict === 'SIGINT' || q.verdict === 'SIGTERM') return { kind: 'interrupted', signal: q.verdict };
    if (ctl.status !== undefined) return { kind: 'done', status: ctl.status, bootMs: q.upAt - started };
    if (q.verdict === 'boot-timeout') return { kind: 'boot-timeout', consoleTail, qemuStderr: q.qemuStderr };
    if (!ctl.up) return { kind: 'boot-failed', code: q.code, consoleTail, qemuStderr: q.qemuStderr };
    return { kind: 'died', consoleTail, qemuStderr: q.qemuStderr };
  } finally {
    for (const c of conns) c.destroy();
    for (const s of servers) s.close();
    rmSync(base, { recursive: true, force: true });
  }
}

const indent = (s: string): string => s.split('\n').map((l) => `    ${l}`).join('\n');

/** Boot, run, return the command's exit status (or throw a VmError naming what went wrong). */
export async function runVm(o: VmOptions): Promise<number> {
  const p = prepare({ kernelPackage: o.kernelPackage, progress: o.log });
  const key = verdictKey(p.qemuVersion, release());
  const facts = { kvmDevice: kvmDeviceUsable(), kvmVerdict: readVerdict(p.cacheDir, key) };
  const attempts = planAttempts(o.accel, facts, o.bootTimeoutMs);
  if (o.accel === 'auto' && attempts[0].accel === 'tcg') {
    o.log(facts.kvmDevice ? `using TCG: KVM failed its boot probe before (${p.cacheDir}/kvm-probe.json; delete it to probe again)` : 'using TCG: /dev/kvm is missing or not accessible');
  }
  for (const at of attempts) {
    o.log(`booting ${p.kernel.release} (${at.accel}${at.probe ? ' probe' : ''}, ${o.cpus} CPUs, ${o.memoryMiB} MiB): ${o.argv.join(' ')}`);
    const r = await runAttempt(p, o, at);
    if (r.kind === 'done') {
      if (at.probe) writeVerdict(p.cacheDir, key, 'works', 'booted');
      o.log(`${at.accel}: guest up in ${(r.bootMs / 1000).toFixed(1)} s; command exited with status ${r.status}`);
      return r.status;
    }
    if (r.kind === 'timeout') {
      throw new VmError(`the command ran over its wall-clock limit of ${o.timeoutMs / 1000} s (--timeout); VM stopped. Console's last lines:\n${indent(r.consoleTail)}`, 124);
    }
    if (r.kind === 'interrupted') throw new VmError(`interrupted by ${r.signal}; VM stopped`, r.signal === 'SIGINT' ? 130 : 143);
    if (r.kind === 'died') {
      throw new VmError(`the guest stopped before the command finished (kernel panic or out of memory? try --memory). Console's last lines:\n${indent(r.consoleTail)}${r.qemuStderr ? `\n  qemu: ${r.qemuStderr.trim()}` : ''}`, 3);
    }
    const why = r.kind === 'boot-timeout' ? `did not come up within ${at.bootTimeoutMs / 1000} s` : `failed to boot (qemu exit ${r.code})`;
    const detail = `${r.qemuStderr.trim() ? `  qemu: ${r.qemuStderr.trim()}\n` : ''}  console's last lines:\n${indent(r.consoleTail)}`;
    if (at.probe) {
      writeVerdict(p.cacheDir, key, 'broken', `${why}: ${r.qemuStderr.trim().split('\n')[0] ?? ''}`);
      o.log(`KVM ${why}${r.qemuStderr.trim() ? ` (${r.qemuStderr.trim().split('\n')[0]})` : ''}; falling back to TCG (remembered in ${p.cacheDir}/kvm-probe.json)`);
      continue;
    }
    throw new VmError(`the ${at.accel} guest ${why}${at.accel === 'tcg' ? ' (raise --boot-timeout on a slow machine)' : ''}:\n${detail}`, 3);
  }
  throw new VmError('no accelerator left to try', 3);
}
