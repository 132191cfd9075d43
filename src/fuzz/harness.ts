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

/**
 * Inputs per fast-check run in a long run. One fc.check is synchronous, so
 * anything a target defers (a socket's process.nextTick 'listening', a
 * Stack's async close) cannot run until it returns: a run of millions of
 * inputs would hold every input's stack until the end (28 KB each: the
 * first 10-million-input run overflowed the heap at ~140k `stack` inputs).
 * Long runs therefore go in chunks with a turn of the event loop between.
 */
export const CHUNK_INPUTS = 20_000;

/**
 * Run a target in chunks of CHUNK_INPUTS inputs (chunk k uses seed + k, so a
 * failure replays with the seed it prints) until `seconds` pass, `inputs`
 * ran, or one fails. A `path` replay is a single run.
 */
export async function runTargetChunked(t: FuzzTarget, o: FuzzRunOptions): Promise<FuzzResult> {
  if (o.path) return runTarget(t, o);
  const deadline = Date.now() + o.seconds * 1000;
  const total: FuzzResult = { target: t.name, inputs: 0, failures: 0, seed: o.seed };
  for (let k = 0; ; k++) {
    const left = o.inputs === undefined ? CHUNK_INPUTS : Math.min(CHUNK_INPUTS, o.inputs - total.inputs);
    const seconds = (deadline - Date.now()) / 1000;
    if (left <= 0 || seconds <= 0) return total;
    const r = runTarget(t, { seconds, inputs: left, seed: (o.seed + k) >>> 0 });
    total.inputs += r.inputs;
    if (r.failures) return { ...r, inputs: total.inputs };
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
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
