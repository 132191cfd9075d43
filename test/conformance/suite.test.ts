/**
 * The script suite itself (the default suite in scripts/ and any script
 * parked in pending/ until the stack passes it): every script parses, needs
 * nothing the runner reports as unsupported (a suite script must never SKIP),
 * and starts with a comment naming the rule it checks (an RFC section, POSIX
 * or Linux behaviour).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScript } from '../../src/conformance/parser.js';
import { getProfile } from '../../src/conformance/profile.js';
import { prepare } from '../../src/conformance/setup.js';
import { linuxDiffers } from '../../src/conformance/linux/headers.js';

const DIR = import.meta.dirname;

const SUITES = ['scripts', 'pending'].map((d) => join(DIR, d)).filter((d) => existsSync(d));

function collect(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? collect(p) : p.endsWith('.pkt') ? [p] : [];
  });
}

const files = SUITES.flatMap(collect);

describe('conformance script suite', () => {
  it('has at least 50 scripts', () => {
    expect(files.length).toBeGreaterThanOrEqual(50);
  });

  it('marks fewer than 10% of the scripts linux-differs, each with a reason (issue 14 target)', () => {
    const marked = files.filter((f) => linuxDiffers(readFileSync(f, 'utf8')) !== undefined);
    expect(marked.length / files.length).toBeLessThan(0.1);
  });

  it.each(files.map((f) => [f.slice(DIR.length + 1), f]))('%s parses, is supported and names its rule', (_name, file) => {
    const src = readFileSync(file, 'utf8');
    expect(src.split('\n')[0]).toMatch(/^\/\/ .*(RFC \d+|POSIX|Linux|listen\(2\)|poll\(2\)|writev\(2\)|send\(2\)|SO_ERROR)/);
    const profile = getProfile('default');
    if (!profile) throw new Error('no linux profile');
    expect(() => prepare(parseScript(src), profile)).not.toThrow();
  });
});
