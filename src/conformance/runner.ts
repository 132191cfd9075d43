/**
 * One script file in, one verdict out: PASS, FAIL with the first mismatch, or
 * SKIP with the reason something is unsupported. Parse errors are FAILs that
 * name the line; an exception thrown by the stack is a FAIL too (a packet
 * path must never throw on script input).
 */
import { ScriptSyntaxError } from './lexer.js';
import { Interpreter, ScriptFailure } from './interpreter.js';
import { ScriptUnsupported, parseScript } from './parser.js';
import type { Profile } from './profile.js';
import { prepare } from './setup.js';
import type { StackFactory } from './harness.js';

export type Outcome = { status: 'PASS'; ignored?: string[] } | { status: 'FAIL'; message: string } | { status: 'SKIP'; reason: string };

export interface RunOptions {
  profile: Profile;
  factory: StackFactory;
  /** Seed of the stack's Rng (ISNs, ports): printed on failure so a run can be repeated. */
  seed: number;
}

export function runScriptText(src: string, o: RunOptions): Outcome {
  try {
    const script = parseScript(src);
    const setup = prepare(script, o.profile);
    new Interpreter(script, setup.profile, setup.compare, o.factory, o.seed).run();
    return setup.ignoredSysctls.length ? { status: 'PASS', ignored: setup.ignoredSysctls } : { status: 'PASS' };
  } catch (e) {
    if (e instanceof ScriptUnsupported) return { status: 'SKIP', reason: e.reason };
    if (e instanceof ScriptSyntaxError) return { status: 'FAIL', message: `parse error: ${e.message}` };
    if (e instanceof ScriptFailure) return { status: 'FAIL', message: `${e.message} (seed ${o.seed})` };
    const err = e instanceof Error ? (e.stack ?? e.message) : String(e);
    return { status: 'FAIL', message: `the stack threw: ${err.split('\n').slice(0, 4).join('\n    ')} (seed ${o.seed})` };
  }
}
