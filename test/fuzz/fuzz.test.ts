/**
 * Every fuzz target for a short while (FUZZ_SECONDS, default 1.5 s each) with
 * a printed seed (FUZZ_SEED to replay); long runs: `npm run fuzz -- --seconds N`.
 * Also: the invariant checks can fail (a checker that cannot fail is no check).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CHUNK_INPUTS, runTarget, runTargetChunked, type FuzzTarget } from '../../src/fuzz/harness.js';
import { ALL_TARGETS } from '../../src/fuzz/targets.js';
import { checkSent, checkStack } from '../../src/fuzz/invariants.js';
import { buildFuzzStack } from '../../src/fuzz/stack-target.js';
import { loadHexCorpus } from '../../src/fuzz/corpus.js';

const SEED = Number(process.env.FUZZ_SEED ?? (Date.now() >>> 0));
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 1.5);

describe(`fuzz targets (seed ${SEED}, ${SECONDS} s each)`, () => {
  for (const t of ALL_TARGETS) {
    it(`${t.name}: ${t.about}`, () => {
      const r = runTarget(t, { seconds: SECONDS, seed: SEED });
      console.log(`fuzz ${t.name}: ${r.inputs} inputs, ${r.failures} failures (seed ${SEED})`);
      if (r.failures) console.log(`replay: npm run fuzz -- --target ${t.name} --seed ${SEED} --path ${r.path}\n${r.counterexample}\n${r.error}`);
      expect(r.failures).toBe(0);
      expect(r.inputs).toBeGreaterThan(50);
    });
  }
});

describe('long runs', () => {
  it('run in chunks with a turn of the event loop between, so what inputs defer (nextTicks) cannot pile up', async () => {
    let pending = 0;
    let most = 0;
    const deferring: FuzzTarget = {
      name: 'deferring',
      about: '',
      property: () =>
        fc.property(fc.nat(), () => {
          pending++;
          most = Math.max(most, pending);
          process.nextTick(() => pending--);
        }),
    };
    const r = await runTargetChunked(deferring, { seconds: 60, inputs: 2 * CHUNK_INPUTS + 5, seed: 3 });
    expect(r.inputs).toBe(2 * CHUNK_INPUTS + 5);
    expect(r.failures).toBe(0);
    expect(most).toBeLessThanOrEqual(CHUNK_INPUTS);
  });
});

describe('the invariants can fail', () => {
  it('a throwing property is reported as a failure with a shrunk input and replay path', () => {
    const broken: FuzzTarget = { name: 'broken', about: '', property: () => fc.property(fc.nat(), (n) => { if (n > 10) throw new Error('boom'); }) };
    const r = runTarget(broken, { seconds: 1, seed: 1 });
    expect(r.failures).toBe(1);
    expect(r.counterexample).toBe('[11]');
    expect(r.path).toBeTruthy();
  });

  it('checkStack and checkSent catch a broken stack and a malformed sent datagram', () => {
    const f = buildFuzzStack(loadHexCorpus('stack'));
    expect(() => checkStack(f.stack, { reassemblyMaxBytes: 1 << 20, maxConnections: 8 }, 0, 0)).not.toThrow();
    expect(() => checkStack(f.stack, { reassemblyMaxBytes: 1 << 20, maxConnections: 2 }, 0, 0)).toThrow(/connection table/);
    f.stack.counters().Ip.handlerError = 1;
    expect(() => checkStack(f.stack, { reassemblyMaxBytes: 1 << 20, maxConnections: 8 }, 0, 0)).toThrow(/threw/);
    expect(() => checkSent([Buffer.alloc(30, 0x45)], 1500)).toThrow(/malformed IPv4/);
    expect(() => checkSent([Buffer.alloc(1501)], 1500)).toThrow(/above the MTU/);
  });
});
