/**
 * The committed seed corpus (fuzz/corpus/<target>/): packets captured from
 * Linux as hex, one per file ('#' lines are comments), and the conformance
 * scripts as seeds for the script parser.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, from src/fuzz or dist/src/fuzz. */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      if (statSync(join(d, 'package.json')).isFile()) return d;
    } catch {
      // keep climbing
    }
    d = dirname(d);
  }
  throw new Error('fuzz: cannot find the package root (package.json) above ' + fileURLToPath(import.meta.url));
}

/** Hex packets of fuzz/corpus/<name>, sorted by file name. */
export function loadHexCorpus(name: string): Buffer[] {
  const dir = join(repoRoot(), 'fuzz', 'corpus', name);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.hex'))
    .sort()
    .map((f) =>
      Buffer.from(
        readFileSync(join(dir, f), 'utf8')
          .split('\n')
          .filter((l) => !l.startsWith('#'))
          .join('')
          .replace(/\s+/g, ''),
        'hex',
      ),
    );
}

/** Every file under `dir` ending in `ext`, recursively, as text. */
export function loadTextFiles(dir: string, ext: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith(ext)) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}
