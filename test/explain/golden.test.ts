/**
 * Golden ladders: every explain scenario, seed 1, rtt 10 ms, no random loss,
 * printed exactly as `tunstack explain NAME` prints it. The ladder is derived
 * from what the two stacks did, so a behaviour change in the stack shows up
 * here as a diff to read (then regenerate with UPDATE_GOLDEN=1).
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildLadder } from '../../src/explain/ladder.js';
import { renderText } from '../../src/explain/render-text.js';
import { renderSvg } from '../../src/explain/render-svg.js';
import { runScenario } from '../../src/explain/run-scenario.js';
import { SCENARIOS } from '../../src/explain/scenarios.js';

const golden = (name: string): string => fileURLToPath(new URL(`./golden/${name}.txt`, import.meta.url));

function ladderText(name: string, seed = 1, loss = 0, rttMs = 10): string {
  const t = runScenario(name, { seed, loss, rttMs });
  return renderText(buildLadder(t.header, t.steps));
}

describe('explain scenarios: golden ladders (seed 1)', () => {
  for (const sc of SCENARIOS) {
    it(`${sc.name} matches test/explain/golden/${sc.name}.txt`, () => {
      const text = ladderText(sc.name);
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden(sc.name))) writeFileSync(golden(sc.name), text);
      expect(text).toBe(readFileSync(golden(sc.name), 'utf8'));
    });
  }

  it('a run is reproducible for a seed, and the seed changes it', () => {
    expect(ladderText('lost-segment', 7)).toBe(ladderText('lost-segment', 7));
    expect(ladderText('lost-segment', 7)).not.toBe(ladderText('lost-segment', 8));
  });

  it('--rtt moves the arrivals: the SYN,ACK comes back one RTT after the SYN', () => {
    const t = runScenario('handshake', { seed: 1, loss: 0, rttMs: 80 });
    const items = buildLadder(t.header, t.steps).items.filter((i) => i.kind === 'segment');
    expect(items[0].text).toMatch(/^\[S\] /);
    expect(items[1].text).toMatch(/^\[S\.\] /);
    expect(items[1].t - items[0].t).toBe(40); // one-way delay: the SYN,ACK leaves when the SYN arrives
  });

  it('--loss loses packets at random: they are drawn lost and the transfer still completes', () => {
    console.log('explain loss seed=3');
    const t = runScenario('slow-start', { seed: 3, loss: 0.2, rttMs: 10 });
    const items = buildLadder(t.header, t.steps).items;
    expect(items.some((i) => i.kind === 'segment' && i.fate === 'lost')).toBe(true);
    expect(items.some((i) => i.kind === 'rule' && (i.cite === 'rto-manage' || i.cite === 'sack-recovery' || i.cite === 'fast-rtx' || i.cite === 'tlp'))).toBe(true);
  });

  it('every step of every scenario is explained by at least one rule', () => {
    for (const sc of SCENARIOS) {
      const t = runScenario(sc.name);
      const ladder = buildLadder(t.header, t.steps);
      // (an application call that put nothing on the wire and changed no TCP state has nothing to explain)
      const quiet = (s: (typeof t.steps)[number]): boolean => s.cause.kind === 'app' && s.segments.length === 0 && JSON.stringify(s.before) === JSON.stringify(s.after);
      const unexplained = t.steps.filter((s) => !quiet(s) && !ladder.items.some((i) => i.kind === 'rule' && i.t === s.t));
      expect(unexplained.map((s) => `${sc.name} t=${s.t} ${JSON.stringify(s.cause)}`)).toEqual([]);
    }
  });

  it('the SVG draws one arrow per packet', () => {
    const t = runScenario('handshake');
    const ladder = buildLadder(t.header, t.steps);
    const svg = renderSvg(ladder);
    expect(svg.startsWith('<svg')).toBe(true);
    expect((svg.match(/<line [^>]*marker-end/g) ?? []).length).toBe(ladder.items.filter((i) => i.kind === 'segment').length);
  });
});
