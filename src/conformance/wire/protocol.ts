/**
 * Wire mode's system-call channel: JSON lines over a unix socket between the
 * runner (which reads the script) and the agent inside the real tunstack
 * process (src/run/agent-server.ts, one process for the whole run). Each
 * script opens its own connection and first sends `start` with its profile:
 * the agent builds a fresh Stack for it on the TUN it keeps open, and
 * answers `started`. `end` (or the connection closing) discards that stack
 * and answers `ended`. In between, system calls run in the BSD socket layer
 * over that stack (src/run/agent.ts). A blocking call first answers
 * `blocked`, then `result` when it completes; `note` lines (a socket became
 * a listener or connection) are sent the moment the agent learns of them,
 * before that call's answer, so the runner knows a flow before its first
 * packet is compared.
 */
import type { TcpInfo } from '../../tcp/api.js';
import type { Profile } from '../profile.js';
import type { SyscallSpec } from '../script.js';

/**
 * `afterRx`: how many datagrams the runner has injected so far. The agent
 * holds the request until the stack has received that many (or a second has
 * passed), so `< packet` followed by a call at the same scripted time reaches
 * the stack in script order although the two travel on different channels.
 */
export type AgentRequest =
  /** `timeScale`: the stack's clock runs this many times slower than real time (scaled-clock.ts); absent = 1. */
  | { id: number; op: 'start'; profile: Profile; timeScale?: number }
  | { id: number; op: 'end' }
  | { id: number; op: 'call'; call: SyscallSpec; afterRx: number }
  | { id: number; op: 'info'; fd: number; afterRx: number };

export type AgentReply =
  | { id: number; kind: 'result'; ret: number; errno?: string; out?: number[] }
  | { id: number; kind: 'blocked' }
  | { id: number; kind: 'unsupported'; reason: string }
  | { id: number; kind: 'error'; message: string }
  | { id: number; kind: 'info'; info: TcpInfo | null }
  | { id: number; kind: 'started' | 'ended' }
  | { kind: 'note'; note: 'listen' | 'accept' | 'connect'; fd: number; localPort: number; remotePort: number };

/** What `tunstack up --conformance-agent` needs: where to listen (each script brings its profile in `start`). */
export interface AgentConfig {
  socketPath: string;
}

export function encodeAgentConfig(c: AgentConfig): string {
  return JSON.stringify(c);
}

/** Parse the hidden flag's JSON; a string is the reason it is unusable. */
export function decodeAgentConfig(text: string): AgentConfig | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `not JSON: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (typeof v !== 'object' || v === null) return 'not an object';
  const c = v as Partial<AgentConfig>;
  if (typeof c.socketPath !== 'string' || c.socketPath === '') return 'socketPath missing';
  return { socketPath: c.socketPath };
}

/** Check a `start` request's profile (it crossed a process boundary as JSON); a string is what is wrong. */
export function checkProfile(v: unknown): Profile | string {
  if (typeof v !== 'object' || v === null) return 'profile missing';
  const p = v as Partial<Profile>;
  if (typeof p.tcp !== 'object' || p.tcp === null) return 'profile.tcp missing';
  for (const k of ['localAddr', 'remoteAddr', 'port', 'mtu'] as const) {
    if (typeof p[k] !== 'number' || !Number.isFinite(p[k])) return `profile.${k} missing or not a number`;
  }
  if (p.mtu! < 68 || p.mtu! > 65535) return `profile.mtu ${p.mtu} outside 68..65535`;
  return p as Profile;
}
