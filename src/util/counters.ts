/**
 * Counters for every drop reason and event, grouped by layer and printed like
 * `netstat -s`. A group is a plain object of numbers so the hot path does a
 * property increment and nothing else.
 */

export type Counters<K extends string> = Record<K, number>;

export function makeCounters<K extends string>(names: readonly K[]): Counters<K> {
  const c = {} as Counters<K>;
  for (const n of names) c[n] = 0;
  return c;
}

/** Render groups as `netstat -s` does: a header per group, one counter per line. Zero counters are omitted unless `all`. */
export function formatCounters(groups: Record<string, Record<string, number>>, all = false): string {
  const lines: string[] = [];
  for (const [group, counters] of Object.entries(groups)) {
    lines.push(`${group}:`);
    for (const [name, value] of Object.entries(counters)) {
      if (value !== 0 || all) lines.push(`    ${value} ${name}`);
    }
  }
  return lines.join('\n') + '\n';
}
