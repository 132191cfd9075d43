/**
 * One script in wire mode: parse and prepare it exactly as in-process, decide
 * the wire-only SKIPs, have the run's agent process build a fresh stack with
 * the script's profile, open the peer's packet socket, run, and discard the
 * stack again (the agent process and its TUN serve the next script).
 */
import type { Clock } from '../../time/clock.js';
import { RealClock } from '../../time/real-clock.js';
import { scaleClock } from './scaled-clock.js';
import { ScriptSyntaxError } from '../lexer.js';
import { ScriptFailure } from '../interpreter.js';
import { ScriptUnsupported, parseScript } from '../parser.js';
import type { Profile } from '../profile.js';
import type { Outcome } from '../runner.js';
import type { Expr, Script } from '../script.js';
import { prepare } from '../setup.js';
import { resolveTime } from '../trace.js';
import { AgentClient } from './agent-client.js';
import { WireInterpreter } from './interpreter.js';
import { PacketSocket } from './packet-socket.js';

export interface WireOptions {
  profile: Profile;
  netns: string;
  tun: string;
  /** Floor for the timing tolerance, ms (a JS process and a real TUN are not a kernel). */
  toleranceMs: number;
  /** Scripts whose scripted time runs longer than this (ms) SKIP: long timers are covered in-process. */
  maxDurationMs: number;
  /** The run's agent process (tunstack-process.ts) listens here. */
  socketPath: string;
  /** Time dilation (scaled-clock.ts): script time runs this many times slower than real time, on both sides. Default 1. */
  timeScale?: number;
}

/** Quiet time between warm-up and the script's time 0. */
const SETTLE_MS = 100;

export const WIRE_DEFAULTS = { tun: 'tscw0', toleranceMs: 50, maxDurationMs: 15_000 };

/**
 * Inside `npm run vm` (TUNSTACK_VM=1), unless --tolerance-ms / --time-scale
 * are given: JavaScript runs ~20x slower under TCG, so script time is dilated
 * VM_TIME_SCALE times (scaled-clock.ts) and the tolerance floor is
 * VM_TOLERANCE_MS of script time. Chosen from full runs in the VM on the
 * loaded 2-core machine (test/conformance/README.md "Wire mode in the VM").
 */
export const VM_TIME_SCALE = 3;
export const VM_TOLERANCE_MS = 400;

export interface WireTiming {
  toleranceMs: number;
  timeScale: number;
  why: string;
}

/** The timing a run uses without flags, and why (printed at the start of the run). */
export function defaultTiming(env: NodeJS.ProcessEnv = process.env): WireTiming {
  if (env.TUNSTACK_VM === '1') return { toleranceMs: VM_TOLERANCE_MS, timeScale: VM_TIME_SCALE, why: 'inside npm run vm (TUNSTACK_VM=1): a TCG guest is slow' };
  return { toleranceMs: WIRE_DEFAULTS.toleranceMs, timeScale: 1, why: 'defaults' };
}

/** Scripted length of a run: the latest time any event is scheduled or expected to return. */
export function scriptDuration(script: Script): number {
  let last = 0;
  let max = 0;
  for (const ev of script.events) {
    const t = resolveTime(ev.time, last);
    max = Math.max(max, t.at, t.rangeEnd ?? 0, t.blockingEnd ?? 0);
    last = t.at;
  }
  return max;
}

/**
 * Run socket() + close() through the agent before time 0: the first call on
 * a fresh stack and a new unix connection (and, for the run's first script,
 * JIT compilation) would otherwise show up as the first scripted call
 * returning late.
 */
export async function warmUp(agent: AgentClient, clock: Clock): Promise<void> {
  const sym = (name: string): Expr => ({ t: 'sym', name });
  const r = await agent.call({ name: 'socket', args: [sym('AF_INET'), sym('SOCK_STREAM'), sym('IPPROTO_TCP')], ret: { t: 'ellipsis' } }).final;
  if (r.kind !== 'result' || r.ret < 0) throw new Error(`agent warm-up socket() failed: ${JSON.stringify(r)}`);
  await agent.call({ name: 'close', args: [{ t: 'int', v: r.ret }], ret: { t: 'int', v: 0 } }).final;
  await agent.info(-1);
  // Let the freshly started process finish whatever start-up work is still queued.
  await new Promise<void>((res) => clock.setTimer(clock.now() + SETTLE_MS, res));
}

/** The line of a `%{ }%` block asserting a value computed from measured RTTs, which real time cannot reproduce exactly. */
function realTimeAssert(script: Script): number | undefined {
  return script.events.find((ev) => ev.body.type === 'code' && /\btcpi_(rto|rtt|rttvar)\b/.test(ev.body.code))?.line;
}

export async function runWireScript(src: string, o: WireOptions): Promise<Outcome> {
  let script: Script;
  let setup: ReturnType<typeof prepare>;
  try {
    script = parseScript(src);
    setup = prepare(script, o.profile);
  } catch (e) {
    if (e instanceof ScriptUnsupported) return { status: 'SKIP', reason: e.reason };
    if (e instanceof ScriptSyntaxError) return { status: 'FAIL', message: `parse error: ${e.message}` };
    throw e;
  }
  const realTime = realTimeAssert(script);
  if (realTime) return { status: 'SKIP', reason: `wire mode: line ${realTime}: asserts an RTT-derived tcp_info value (tcpi_rto/tcpi_rtt/tcpi_rttvar), exact only in virtual time; it runs in-process` };
  const dur = scriptDuration(script);
  if (dur > o.maxDurationMs) {
    return { status: 'SKIP', reason: `wire mode: the script runs ${(dur / 1000).toFixed(1)} s of real time (limit ${o.maxDurationMs / 1000} s, --max-duration); it runs in-process` };
  }
  const cmp = { ...setup.compare, toleranceMs: Math.max(setup.compare.toleranceMs, o.toleranceMs) };
  const real = new RealClock();
  const scale = o.timeScale ?? 1;
  const clock = scaleClock(real, scale);
  let peer: PacketSocket | undefined;
  let agent: AgentClient | undefined;
  try {
    agent = await AgentClient.connect(o.socketPath, () => clock.now());
    await agent.start(setup.profile, scale);
    peer = PacketSocket.open(o.tun, o.netns);
    await warmUp(agent, clock);
    const p = peer;
    const interp = new WireInterpreter(script, setup.profile, cmp, { send: (d) => p.send(d) }, agent, clock);
    p.onPackets(
      (pk) => interp.capture(pk),
      (pk) => interp.kernelSent(pk),
    );
    await interp.run();
    return { status: 'PASS' };
  } catch (e) {
    if (e instanceof ScriptUnsupported) return { status: 'SKIP', reason: e.reason };
    if (e instanceof ScriptFailure) return { status: 'FAIL', message: e.message };
    return { status: 'FAIL', message: `wire harness error: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    // The stack goes before the peer's socket: nothing it still sends can reach the next script.
    await agent?.end().catch(() => undefined);
    agent?.close();
    peer?.close();
    real.stop();
  }
}
