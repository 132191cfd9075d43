/**
 * bench:wan's paths. Each scenario is one `tc qdisc ... netem` applied to the
 * egress of every router interface (toward the client, toward each server),
 * so both link directions carry the same delay, rate, loss and reordering,
 * and the RTT is twice the one-way delay. Rates stay at or below 20 Mbit/s:
 * under TCG the stack moves about 60 Mbit/s unconstrained (issue 14), and
 * the bench prints the unconstrained rate so CPU is never the limit unseen.
 */
export interface Scenario {
  name: string;
  /** What a reader sees in the table. */
  label: string;
  rateMbit: number;
  rttMs: number;
  /** Extra netem arguments (loss, jitter, reordering), applied per direction. */
  extra: string[];
  /** Queue limit in packets; default: twice the bandwidth-delay product, at least 50. */
  limit?: number;
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'clean', label: '20 Mbit/s, RTT 20 ms', rateMbit: 20, rttMs: 20, extra: [] },
  { name: 'loss1', label: '20 Mbit/s, RTT 40 ms, 1% loss', rateMbit: 20, rttMs: 40, extra: ['loss', 'random', '1%'] },
  { name: 'loss05-80', label: '10 Mbit/s, RTT 80 ms, 0.5% loss', rateMbit: 10, rttMs: 80, extra: ['loss', 'random', '0.5%'] },
  // netem's jitter draws each packet's delay from [d-j, d+j]; reorder sends 5% at once (ahead of the queue).
  { name: 'jitter-reorder', label: '20 Mbit/s, RTT 40 ms, ±10 ms jitter, 5% reorder', rateMbit: 20, rttMs: 40, extra: ['jitter:10ms', 'reorder', '5%', '50%'] },
  // Gilbert-Elliott: p=1% into the bad state, r=30% out of it, 50% loss when bad (≈1.6% loss in bursts of ~3).
  { name: 'gemodel', label: '20 Mbit/s, RTT 40 ms, bursty loss (gemodel 1% 30% 50% 0%)', rateMbit: 20, rttMs: 40, extra: ['loss', 'gemodel', '1%', '30%', '50%', '0%'] },
  { name: 'long-fat', label: '5 Mbit/s, RTT 300 ms', rateMbit: 5, rttMs: 300, extra: [] },
  // A 2000-packet queue at 10 Mbit/s holds 2.4 s: loss-based CC fills it and the RTT under load shows it.
  { name: 'deep-buffer', label: '10 Mbit/s, RTT 20 ms, 2000-packet buffer', rateMbit: 10, rttMs: 20, extra: [], limit: 2000 },
];

export function queueLimit(s: Scenario): number {
  if (s.limit !== undefined) return s.limit;
  const bdpPackets = (s.rateMbit * 1e6 * (s.rttMs / 1000)) / 8 / 1500;
  return Math.max(50, Math.ceil(2 * bdpPackets));
}

/** `tc qdisc replace dev DEV root` + these arguments. One-way delay is half the RTT. */
export function netemArgs(s: Scenario): string[] {
  const delay = `${s.rttMs / 2}ms`;
  const jitter = s.extra.find((e) => e.startsWith('jitter:'));
  const rest = s.extra.filter((e) => !e.startsWith('jitter:'));
  const args = ['netem', 'limit', String(queueLimit(s)), 'delay', delay];
  if (jitter) args.push(jitter.slice('jitter:'.length));
  args.push(...rest, 'rate', `${s.rateMbit}mbit`);
  return args;
}

export function pickScenarios(names: readonly string[]): Scenario[] {
  if (names.length === 0) return [...SCENARIOS];
  return names.map((n) => {
    const s = SCENARIOS.find((x) => x.name === n);
    if (!s) throw new Error(`unknown scenario '${n}' (have: ${SCENARIOS.map((x) => x.name).join(', ')})`);
    return s;
  });
}
