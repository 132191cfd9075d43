/**
 * Accelerator choice. KVM where it works; on this machine kind /dev/kvm
 * exists but `-cpu host` aborts ("failed to set MSR 0x10a") and the default
 * CPU hangs after decompressing the kernel, so `auto` tries KVM with a short
 * boot deadline and falls back to TCG with a log line, and remembers a failed
 * probe (per QEMU binary and host kernel) so the next run goes straight to TCG.
 */
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Accel } from './qemu-args.js';

export type AccelRequest = 'auto' | Accel;

export interface Attempt {
  accel: Accel;
  /** How long to wait for the guest's up marker before giving up on this attempt. */
  bootTimeoutMs: number;
  /** Whether failing to boot moves on to the next attempt (a probe) or is the run's error. */
  probe: boolean;
}

export interface AccelFacts {
  /** /dev/kvm exists and we may open it read-write. */
  kvmDevice: boolean;
  /** The remembered result of an earlier probe on this host, if any. */
  kvmVerdict?: 'works' | 'broken';
}

/** KVM boots in a second or two; 20 s leaves room for a loaded machine without a long hang. */
export const KVM_PROBE_MS = 20_000;

export function planAttempts(req: AccelRequest, facts: AccelFacts, bootTimeoutMs: number): Attempt[] {
  if (req === 'tcg') return [{ accel: 'tcg', bootTimeoutMs, probe: false }];
  if (req === 'kvm') return [{ accel: 'kvm', bootTimeoutMs, probe: false }];
  if (!facts.kvmDevice || facts.kvmVerdict === 'broken') return [{ accel: 'tcg', bootTimeoutMs, probe: false }];
  const probeMs = facts.kvmVerdict === 'works' ? bootTimeoutMs : Math.min(KVM_PROBE_MS, bootTimeoutMs);
  return [
    { accel: 'kvm', bootTimeoutMs: probeMs, probe: true },
    { accel: 'tcg', bootTimeoutMs, probe: false },
  ];
}

export function kvmDeviceUsable(dev = '/dev/kvm'): boolean {
  try {
    accessSync(dev, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The probe verdict is valid for one QEMU binary on one host kernel. */
export function verdictKey(qemuVersion: string, hostRelease: string): string {
  return `${qemuVersion.trim()} @ ${hostRelease.trim()}`;
}

const VERDICT_FILE = 'kvm-probe.json';

export function readVerdict(cacheDir: string, key: string): 'works' | 'broken' | undefined {
  const f = join(cacheDir, VERDICT_FILE);
  if (!existsSync(f)) return undefined;
  try {
    const j = JSON.parse(readFileSync(f, 'utf8')) as { key?: string; verdict?: string };
    if (j.key === key && (j.verdict === 'works' || j.verdict === 'broken')) return j.verdict;
  } catch {
    // A damaged file is as good as none: probe again.
  }
  return undefined;
}

export function writeVerdict(cacheDir: string, key: string, verdict: 'works' | 'broken', reason: string): void {
  writeFileSync(join(cacheDir, VERDICT_FILE), JSON.stringify({ key, verdict, reason, at: new Date().toISOString() }, null, 2) + '\n');
}
