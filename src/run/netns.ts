/**
 * Network namespace plumbing for `tunstack up --netns`: create the namespace
 * if it is missing (and remember that we did, so we delete it on exit), bring
 * its loopback up. Uses iproute2's `ip netns`, the same tool the scripts use,
 * so namespaces appear in `ip netns list` and can be entered with
 * `ip netns exec`.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { CliError } from './errors.js';

export const NETNS_DIR = '/var/run/netns';

function ip(args: string[]): { ok: boolean; stderr: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError("'ip' (iproute2) is not installed: apt-get install iproute2");
    throw r.error;
  }
  return { ok: r.status === 0, stderr: (r.stderr ?? '').trim() };
}

export function netnsExists(name: string): boolean {
  return existsSync(`${NETNS_DIR}/${name}`);
}

/** Ensure the namespace exists; returns true if this call created it. */
export function ensureNetns(name: string): boolean {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
    throw new CliError(`--netns '${name}' is not a valid namespace name (letters, digits, '.', '_', '-')`);
  }
  if (netnsExists(name)) return false;
  const r = ip(['netns', 'add', name]);
  if (!r.ok) {
    if (/permission|not permitted/i.test(r.stderr)) {
      throw new CliError(
        `cannot create network namespace '${name}': ${r.stderr} — this needs root (CAP_SYS_ADMIN); run as root`,
      );
    }
    throw new CliError(`cannot create network namespace '${name}': ${r.stderr}`);
  }
  ip(['-n', name, 'link', 'set', 'lo', 'up']);
  return true;
}

export function deleteNetns(name: string): void {
  ip(['netns', 'del', name]);
}
