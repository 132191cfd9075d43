/** Run one explain scenario and return its trace (header + steps), ready for buildLadder. */
import { scenarioByName, SCENARIOS } from './scenarios.js';
import { ADDRS, ExplainSim } from './sim.js';
import { TRACE_VERSION, type TraceHeader, type TraceStep } from './trace-format.js';

export interface ScenarioRunOptions {
  seed: number;
  rttMs: number;
  loss: number;
}

export const DEFAULT_RUN: ScenarioRunOptions = { seed: 1, rttMs: 10, loss: 0 };

export function runScenario(name: string, o: ScenarioRunOptions = DEFAULT_RUN): { header: TraceHeader; steps: TraceStep[] } {
  const sc = scenarioByName(name);
  if (!sc) throw new Error(`unknown scenario '${name}' (one of: ${SCENARIOS.map((s) => s.name).join(', ')})`);
  const sim = new ExplainSim({ seed: o.seed, rttMs: o.rttMs, loss: o.loss, mtu: sc.mtu, tcp: sc.tcp, tcpB: sc.tcpB });
  sc.setup(sim);
  sim.runUntil(sc.durationMs);
  const peers = sc.name === 'simultaneous-open';
  const header: TraceHeader = {
    type: 'header',
    version: TRACE_VERSION,
    sides: { a: { addr: ADDRS.a, label: peers ? 'A' : 'client' }, b: { addr: ADDRS.b, label: peers ? 'B' : 'server' } },
    source: sc.name,
    seed: o.seed,
    rttMs: o.rttMs,
    loss: o.loss,
  };
  return { header, steps: sim.recorder.steps };
}
