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
  /**
   * ECN path: the kernel endpoints ask for ECN (`tcp_ecn=1`, RFC 3168 §6.1.1),
   * netem's loss marks ECT packets CE instead of dropping them (its `ecn`
   * flag), and the bottleneck is a token bucket feeding fq_codel with ECN
   * (RFC 8290 §4.1, CoDel marks when the queue's sojourn time stays above
   * 5 ms) instead of netem's own rate limiter. A flow without ECN is dropped
   * where an ECN flow is marked.
   */
  ecn?: boolean;
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
  { name: 'ecn', label: '20 Mbit/s, RTT 40 ms, fq_codel ECN bottleneck, 0.5% CE marks (drops without ECN)', rateMbit: 20, rttMs: 40, extra: ['loss', 'random', '0.5%', 'ecn'], ecn: true, limit: 1000 },
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
  args.push(...rest);
  // An ECN path's rate limit is the token bucket in front of fq_codel (qdiscChain).
  if (!s.ecn) args.push('rate', `${s.rateMbit}mbit`);
  return args;
}

/**
 * The `tc` commands (without `tc`) that shape one device for a scenario,
 * once its root qdisc is deleted (a netem changed in place keeps its children).
 * Plain paths: one netem as the root qdisc. ECN paths: netem (delay, CE
 * marks) as root 1:, a tbf at the scenario's rate as its child 10: (netem
 * hands packets on once their delay is over), and fq_codel with ECN under
 * the tbf, where the standing queue builds and CoDel marks (the usual
 * netem-then-tbf chain of the netem manual, with an AQM at the bottleneck).
 */
export function qdiscChain(s: Scenario, dev: string): string[][] {
  const root = ['qdisc', 'add', 'dev', dev, 'root', 'handle', '1:', ...netemArgs(s)];
  if (!s.ecn) return [root];
  // burst: 10 full packets (tbf needs at least one MTU per tick); limit: the fq_codel below holds the queue.
  return [
    root,
    ['qdisc', 'add', 'dev', dev, 'parent', '1:1', 'handle', '10:', 'tbf', 'rate', `${s.rateMbit}mbit`, 'burst', '15000', 'limit', '3000000'],
    ['qdisc', 'add', 'dev', dev, 'parent', '10:1', 'handle', '20:', 'fq_codel', 'ecn'],
  ];
}

/**
 * The scenario at `factor` times its rate (`--rate-scale`): for a machine
 * whose VM cannot move the listed rates (the unconstrained line says so), the
 * same delays, losses and queues in time (the queue limit follows the BDP;
 * an explicit limit stays), so the paths limit the stacks, not the CPU.
 */
export function scaleRate(s: Scenario, factor: number): Scenario {
  if (factor === 1) return s;
  const rateMbit = Math.round(s.rateMbit * factor * 1000) / 1000;
  return { ...s, rateMbit, label: s.label.replace(/^[\d.]+ Mbit\/s/, `${rateMbit} Mbit/s`) };
}

export function pickScenarios(names: readonly string[]): Scenario[] {
  if (names.length === 0) return [...SCENARIOS];
  return names.map((n) => {
    const s = SCENARIOS.find((x) => x.name === n);
    if (!s) throw new Error(`unknown scenario '${n}' (have: ${SCENARIOS.map((x) => x.name).join(', ')})`);
    return s;
  });
}
