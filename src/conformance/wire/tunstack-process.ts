/**
 * Start and stop the real `tunstack up` binary for one wire-mode script: in
 * the given namespace, on a TUN named `tun`, with the script's profile handed
 * to the hidden conformance agent. A fresh process per script gives every
 * script a fresh stack (no TIME_WAIT or port state leaking between scripts)
 * and lets sysctl lines take effect, at the price of ~0.5 s start-up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../time/clock.js';
import { formatIpv4 } from '../../wire/ip-address.js';
import type { Profile } from '../profile.js';
import { encodeAgentConfig } from './protocol.js';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../cli.js');
/**
 * How long a fresh `tunstack up` has to print `ready`: 20 s, or
 * TUNSTACK_WIRE_READY_MS (a TCG guest on a loaded host needs far longer to
 * start node; scripts/vm-smoke.sh raises it rather than retrying a start).
 */
export function readyTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.TUNSTACK_WIRE_READY_MS);
  return Number.isFinite(v) && v >= 1000 ? v : 20_000;
}
const READY_TIMEOUT_MS = readyTimeoutMs();
const STOP_TIMEOUT_MS = 5_000;

export interface TunstackProcess {
  readonly pid: number;
  /** SIGTERM, and SIGKILL if it has not exited within 5 s. */
  stop(): Promise<void>;
}

/** The kernel's side of the TUN: host .2 of the stack's /24, or .1 when the stack itself is .2. */
export function hostCidr(localAddr: number): string {
  const host = ((localAddr & 0xffffff00) | ((localAddr & 0xff) === 2 ? 1 : 2)) >>> 0;
  return `${formatIpv4(host)}/24`;
}

export async function startTunstack(o: { netns: string; tun: string; profile: Profile; socketPath: string; logLevel?: string; clock: Clock }): Promise<TunstackProcess> {
  const args = [
    CLI, 'up', '--netns', o.netns, '--tun', o.tun, '--addr', formatIpv4(o.profile.localAddr), '--host-addr', hostCidr(o.profile.localAddr),
    '--mtu', String(o.profile.mtu), '--services', 'none', '--log-level', o.logLevel ?? 'warn',
    '--conformance-agent', encodeAgentConfig({ socketPath: o.socketPath, profile: o.profile }),
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
  return { pid: child.pid ?? -1, stop: () => stop(child, o.clock) };
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
