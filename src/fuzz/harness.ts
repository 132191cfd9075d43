/**
 * The fuzzing harness: a target is a fast-check property over structured
 * inputs (a packet grammar, a fragment set, a command sequence), and a run
 * feeds it inputs until a time budget is spent. fast-check gives generation,
 * shrinking of a failing input to a minimal one, and replay from a printed
 * seed and path (`--seed S --path P`).
 *
 * "Failure" means an invariant broke, not only that something threw: each
 * target checks its own invariants after every input (see invariants.ts).
 */
import fc from 'fast-check';

export interface FuzzTarget {
  name: string;
  /** One line: what the target feeds and what it checks. */
  about: string;
  /** The property; built once per run (seed corpora are loaded here). */
  property(): fc.IProperty<[unknown]> | fc.IProperty<unknown[]>;
}

export interface FuzzRunOptions {
  seconds: number;
  /** Stop after this many inputs (or `seconds`, whichever comes first); unbounded when absent. */
  inputs?: number;
  seed: number;
  /** Replay path printed with a failure (fast-check's `path`). */
  path?: string;
}

export interface FuzzResult {
  target: string;
  inputs: number;
  failures: number;
  seed: number;
  /** Shrunk failing input and its error, when failures > 0. */
  counterexample?: string;
  error?: string;
  path?: string;
}

/** Run one target until `seconds` have passed or `inputs` ran (or the first failure, which is then shrunk). */
export function runTarget(t: FuzzTarget, o: FuzzRunOptions): FuzzResult {
  const details = fc.check(t.property() as fc.IProperty<unknown[]>, {
    seed: o.seed,
    path: o.path,
    numRuns: o.path ? 1 : (o.inputs ?? Number.MAX_SAFE_INTEGER),
    interruptAfterTimeLimit: Math.max(1, Math.round(o.seconds * 1000)),
    markInterruptAsFailure: false,
    endOnFailure: false,
  });
  const r: FuzzResult = { target: t.name, inputs: details.numRuns, failures: details.failed ? 1 : 0, seed: o.seed };
  if (details.failed) {
    r.counterexample = fc.stringify(details.counterexample);
    r.error = details.errorInstance instanceof Error ? (details.errorInstance.stack ?? details.errorInstance.message) : String(details.errorInstance);
    r.path = details.counterexamplePath ?? undefined;
  }
  return r;
}

/** An invariant violation: what broke, with the values that show it. */
export class InvariantError extends Error {
  constructor(what: string, detail?: unknown) {
    super(detail === undefined ? what : `${what}: ${JSON.stringify(detail)}`);
    this.name = 'InvariantError';
  }
}

export function check(cond: boolean, what: string, detail?: unknown): void {
  if (!cond) throw new InvariantError(what, detail);
}
