/**
 * Start and stop the real `tunstack` binary as the conformance agent of a
 * wire-mode run: in the given namespace, on a TUN named `tun`, serving on a
 * unix socket. One process serves the whole run; each script gets a fresh
 * stack with its own profile inside it (`start`, src/run/agent-server.ts),
 * so no TIME_WAIT or port state leaks between scripts and sysctl lines take
 * effect, without paying node's start-up per script (tens of seconds each
 * in a TCG guest).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../time/clock.js';
import { formatIpv4 } from '../../wire/ip-address.js';
import { encodeAgentConfig } from './protocol.js';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../cli.js');
/**
 * How long the agent process has to print `ready`: TUNSTACK_WIRE_READY_MS,
 * else 20 s, or 180 s inside `npm run vm` (TUNSTACK_VM=1): node starts
 * 20-50x slower in a TCG guest on a loaded host, and it starts once per run.
 */
export function readyTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.TUNSTACK_WIRE_READY_MS);
  if (Number.isFinite(v) && v >= 1000) return v;
  return env.TUNSTACK_VM === '1' ? 180_000 : 20_000;
}
const READY_TIMEOUT_MS = readyTimeoutMs();
const STOP_TIMEOUT_MS = 5_000;

export interface TunstackProcess {
  readonly pid: number;
  /** Whether the process has exited (then `why` says how, with its stderr's last lines). */
  exited(): boolean;
  why(): string;
  /** SIGTERM, and SIGKILL if it has not exited within 5 s. */
  stop(): Promise<void>;
}

/** The kernel's side of the TUN: host .2 of the stack's /24, or .1 when the stack itself is .2. */
export function hostCidr(localAddr: number): string {
  const host = ((localAddr & 0xffffff00) | ((localAddr & 0xff) === 2 ? 1 : 2)) >>> 0;
  return `${formatIpv4(host)}/24`;
}

/**
 * `localAddr` only places the kernel's side of the TUN (hostCidr): the kernel
 * never talks to the stacks (the runner's packet socket injects below it), so
 * a script with another --local_ip runs on the same device.
 */
export async function startTunstack(o: { netns: string; tun: string; localAddr: number; socketPath: string; logLevel?: string; clock: Clock }): Promise<TunstackProcess> {
  const args = [
    CLI, 'up', '--netns', o.netns, '--tun', o.tun, '--addr', formatIpv4(o.localAddr), '--host-addr', hostCidr(o.localAddr),
    '--services', 'none', '--log-level', o.logLevel ?? 'warn',
    '--conformance-agent', encodeAgentConfig({ socketPath: o.socketPath }),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-4000)));
  await new Promise<void>((res, rej) => {
    const timer = o.clock.setTimer(o.clock.now() + READY_TIMEOUT_MS, () => {
      child.kill('SIGKILL');
      rej(new Error(`tunstack did not print 'ready' within ${READY_TIMEOUT_MS / 1000} s; stderr: ${err.trim()}`));
    });
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      if (/\bready\b/.test(out)) {
        timer.cancel();
        res();
      }
    });
    child.once('exit', (code, sig) => {
      timer.cancel();
      rej(new Error(`tunstack exited (${code ?? sig}) before it was ready; stderr: ${err.trim()}`));
    });
    child.once('error', (e) => {
      timer.cancel();
      rej(e);
    });
  });
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid ?? -1,
    exited,
    why: () => (exited() ? `tunstack exited (${child.exitCode ?? child.signalCode}); stderr: ${err.trim() || '(empty)'}` : 'running'),
    stop: () => stop(child, o.clock),
  };
}

function stop(child: ChildProcess, clock: Clock): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const timer = clock.setTimer(clock.now() + STOP_TIMEOUT_MS, () => child.kill('SIGKILL'));
    child.once('exit', () => {
      timer.cancel();
      res();
    });
    child.kill('SIGTERM');
  });
}

export const SOCKET_NAME = 'agent.sock';
export function agentSocketPath(dir: string): string {
  return join(dir, SOCKET_NAME);
}
