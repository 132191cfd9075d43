/**
 * `--target linux`: one script run by the real packetdrill against the
 * running kernel, in a fresh network namespace with the profile's sysctls.
 * The script is copied into a scratch tree where the `defaults.sh` paths of
 * upstream scripts and the Linux selftests resolve, so its backtick commands
 * behave as in packetdrill's own tree.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Outcome } from '../runner.js';
import type { Profile } from '../profile.js';
import { linuxDiffers } from './headers.js';
import { packetdrillInvocation, packetdrillReason } from './invocation.js';

export interface LinuxRunOptions {
  packetdrill: string;
  profile: Profile;
  toleranceUsecs: number;
  /** Wall-clock limit per script, ms. */
  timeoutMs: number;
}

/** defaults.sh for the scratch tree: packetdrill's own beside the binary, else the linux profile written out. */
function defaultsSh(o: LinuxRunOptions, linux: Profile): string {
  const real = join(dirname(o.packetdrill), 'defaults.sh');
  if (existsSync(real)) return readFileSync(real, 'utf8');
  const lines = linux.linuxSysctls.map(([k, v]) => `sysctl -q ${k}="${v}"`);
  return `#!/bin/bash\n${lines.join('\n')}\ntc qdisc add dev tun0 root pfifo\n`;
}

/**
 * A scratch tree where `../common/defaults.sh` (upstream gtests), `../../common/defaults.sh`
 * and `./defaults.sh` (Linux selftests) all resolve from the script's directory `a/b`.
 */
function scratchTree(file: string, defaults: string): { dir: string; cwd: string; name: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tscl-'));
  const cwd = join(dir, 'a/b');
  for (const d of ['common', 'a/common', 'a/b']) {
    mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, d, 'defaults.sh'), defaults, { mode: 0o755 });
  }
  const name = basename(file);
  copyFileSync(file, join(cwd, name));
  return { dir, cwd, name };
}

/** Run one script file on Linux. `linuxProfile` supplies defaults.sh when none sits beside packetdrill. */
export function runOnLinux(file: string, src: string, o: LinuxRunOptions, linuxProfile: Profile): Promise<Outcome> {
  let differs: string | undefined;
  try {
    differs = linuxDiffers(src);
  } catch (e) {
    return Promise.resolve({ status: 'FAIL', message: (e as Error).message });
  }
  if (differs !== undefined) return Promise.resolve({ status: 'SKIP', reason: `linux-differs: ${differs}` });
  const tree = scratchTree(file, defaultsSh(o, linuxProfile));
  const inv = packetdrillInvocation({
    packetdrill: o.packetdrill,
    scriptName: tree.name,
    cwd: tree.cwd,
    sysctls: o.profile.linuxSysctls,
    toleranceUsecs: o.toleranceUsecs,
  });
  return new Promise((res) => {
    const child = spawn(inv.cmd, inv.args, { cwd: inv.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs);
    const finish = (r: Outcome): void => {
      clearTimeout(timer);
      rmSync(tree.dir, { recursive: true, force: true });
      res(r);
    };
    child.on('error', (e) => finish({ status: 'FAIL', message: `cannot run ${inv.cmd}: ${e.message}` }));
    child.on('close', (code) => {
      if (timedOut) finish({ status: 'FAIL', message: `packetdrill ran over ${o.timeoutMs / 1000} s` });
      else if (code === 0) finish({ status: 'PASS' });
      else finish({ status: 'FAIL', message: `packetdrill: ${packetdrillReason(out, tree.name)}` });
    });
  });
}
