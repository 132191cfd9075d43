/**
 * bench:wan's measurement loop (runs where the kernel has sch_netem: the host
 * if it has it, else inside `npm run vm`). For each scenario: shape the path,
 * ping it idle, then rounds × {tunstack, kernel} × {down, up} fixed-time
 * transfers from the same kernel client, with pings during each transfer
 * (RTT under load) and the data sender's retransmitted segments.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_TCP_OPTIONS } from '../../src/tcp/api.js';
import { ADDR, Topology } from './topology.js';
import { qdiscChain, type Scenario } from './scenarios.js';

export type StackName = 'tunstack' | 'kernel';
export type Direction = 'down' | 'up';

export interface Transfer {
  scenario: string;
  stack: StackName;
  dir: Direction;
  round: number;
  goodputMbit: number;
  retrans: number;
  /** Median ping RTT during the transfer, ms (undefined if no reply came back). */
  rttLoadMs?: number;
  /**
   * Packets the receiving kernel dropped from its per-CPU input backlog
   * (/proc/net/softnet_stat, 2nd column, all CPUs; netdev_max_backlog) during
   * the transfer: a TUN writer that bursts faster than a slow guest's softirq
   * drains loses packets here, before netem.
   */
  backlogDrops?: number;
}

/** Sum of the `dropped` column of /proc/net/softnet_stat (hex, one line per CPU). */
export function softnetDrops(text: string): number {
  return text
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .reduce((sum, l) => sum + parseInt(l.trim().split(/\s+/)[1] ?? '0', 16), 0);
}

const readSoftnetDrops = (): number | undefined => {
  try {
    return softnetDrops(readFileSync('/proc/net/softnet_stat', 'utf8'));
  } catch {
    return undefined;
  }
};

export interface WanResult {
  kernelRelease: string;
  where: string;
  secs: number;
  rounds: number;
  cc: { kernel: string; tunstack: string };
  unconstrainedMbit: Record<StackName, number>;
  scenarios: { name: string; label: string; netem: string; idleRttMs: Record<StackName, number | undefined> }[];
  transfers: Transfer[];
}

export function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const host = (s: StackName): string => (s === 'tunstack' ? ADDR.tunstack : ADDR.kernel);

async function oneTransfer(t: Topology, sc: string, stack: StackName, dir: Direction, round: number, secs: number): Promise<Transfer> {
  // The data sender's count: the server for downloads, the (kernel) client for uploads.
  const retrans = async (): Promise<number> => (dir === 'up' ? t.kernelRetrans(t.cli) : stack === 'kernel' ? t.kernelRetrans(t.srv) : t.tunstackRetrans());
  const before = await retrans();
  const dropsBefore = readSoftnetDrops();
  const pings = new Promise<number[]>((res) => setTimeout(() => void t.ping(host(stack), secs - 1.5).then(res), 1000));
  const r = await t.transfer(dir, host(stack), secs);
  const rtts = await pings;
  const after = await retrans();
  const dropsAfter = readSoftnetDrops();
  const backlogDrops = dropsBefore !== undefined && dropsAfter !== undefined ? dropsAfter - dropsBefore : undefined;
  return { scenario: sc, stack, dir, round, goodputMbit: (r.bytes * 8) / (r.ms * 1000), retrans: after - before, rttLoadMs: median(rtts), backlogDrops };
}

export interface MeasureOptions {
  root: string;
  scenarios: readonly Scenario[];
  rounds: number;
  secs: number;
  where: string;
  kernelRelease: string;
  /** tunstack's `--cc`; the kernel runs its counterpart (topology.ts KERNEL_CC). */
  cc: string;
  /** tunstack's `--cwnd-trace FILE`. */
  cwndTrace?: string;
  log: (m: string) => void;
}

export async function measure(o: MeasureOptions): Promise<WanResult> {
  const t = new Topology({ root: o.root, cc: o.cc, cwndTrace: o.cwndTrace });
  const onExit = (): void => t.down();
  process.once('exit', onExit);
  try {
    await t.up();
    const result: WanResult = {
      kernelRelease: o.kernelRelease,
      where: o.where,
      secs: o.secs,
      rounds: o.rounds,
      cc: { kernel: t.kernelCc, tunstack: o.cc === DEFAULT_TCP_OPTIONS.congestionControl ? `${o.cc} (its default)` : o.cc },
      unconstrainedMbit: { tunstack: 0, kernel: 0 },
      scenarios: [],
      transfers: [],
    };
    t.shape(undefined);
    // Warm-up (V8 compiles tunstack's hot paths on first use, slowly under TCG), not counted.
    for (const stack of ['tunstack', 'kernel'] as const) await t.transfer('down', host(stack), 2);
    for (const stack of ['tunstack', 'kernel'] as const) {
      const r = await t.transfer('down', host(stack), Math.min(3, o.secs));
      result.unconstrainedMbit[stack] = (r.bytes * 8) / (r.ms * 1000);
    }
    o.log(`unconstrained (no netem, download): tunstack ${result.unconstrainedMbit.tunstack.toFixed(1)} Mbit/s, kernel ${result.unconstrainedMbit.kernel.toFixed(1)} Mbit/s`);
    for (const sc of o.scenarios) {
      const netem = qdiscChain(sc, 'DEV').map((c) => c.slice(c.indexOf('handle') + 2).join(' ')).join(' → ');
      t.shape(sc);
      if (sc.rateMbit > 0.8 * result.unconstrainedMbit.tunstack) {
        o.log(`WARNING: ${sc.name} asks for ${sc.rateMbit} Mbit/s, near tunstack's unconstrained ${result.unconstrainedMbit.tunstack.toFixed(1)}: CPU may be the limit`);
      }
      const idle: Record<StackName, number | undefined> = { tunstack: undefined, kernel: undefined };
      for (const stack of ['tunstack', 'kernel'] as const) idle[stack] = median(await t.ping(host(stack), 0, 5));
      result.scenarios.push({ name: sc.name, label: sc.label, netem, idleRttMs: idle });
      o.log(`${sc.name}: ${netem}${sc.ecn ? ' (kernel ends tcp_ecn=1)' : ''}; idle RTT tunstack ${idle.tunstack?.toFixed(1)} ms, kernel ${idle.kernel?.toFixed(1)} ms`);
      for (let round = 1; round <= o.rounds; round++) {
        for (const dir of ['down', 'up'] as const) {
          for (const stack of ['tunstack', 'kernel'] as const) {
            const x = await oneTransfer(t, sc.name, stack, dir, round, o.secs);
            result.transfers.push(x);
            o.log(`  ${sc.name} r${round} ${dir} ${stack}: ${x.goodputMbit.toFixed(2)} Mbit/s, ${x.retrans} retrans, RTT under load ${x.rttLoadMs?.toFixed(0) ?? '-'} ms, ${x.backlogDrops ?? '-'} backlog drops`);
          }
        }
      }
    }
    return result;
  } finally {
    process.removeListener('exit', onExit);
    t.down();
  }
}
