/**
 * Script header comments the runner reads. `// linux-differs: REASON` marks a
 * script whose behaviour tunstack holds on purpose where Linux differs: under
 * `--target linux` it is a SKIP with the reason printed, never run.
 */

const LINUX_DIFFERS = /^\s*\/\/\s*linux-differs:(.*)$/m;

/** The reason of a `// linux-differs:` line, or undefined. An empty reason is a script error. */
export function linuxDiffers(src: string): string | undefined {
  const m = LINUX_DIFFERS.exec(src);
  if (!m) return undefined;
  const reason = m[1].trim();
  if (!reason) throw new Error('a "// linux-differs:" line needs a reason after the colon');
  return reason;
}
