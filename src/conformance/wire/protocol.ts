/**
 * Wire mode's system-call channel: JSON lines over a unix socket between the
 * runner (which reads the script) and the agent inside the real tunstack
 * process (src/run/agent.ts, which owns the BSD socket layer over the
 * process's own TCP). A blocking call first answers `blocked`, then `result`
 * when it completes; `note` lines (a socket became a listener or connection)
 * are sent the moment the agent learns of them, before that call's answer,
 * so the runner knows a flow before its first packet is compared.
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
  | { id: number; op: 'call'; call: SyscallSpec; afterRx: number }
  | { id: number; op: 'info'; fd: number; afterRx: number };

export type AgentReply =
  | { id: number; kind: 'result'; ret: number; errno?: string; out?: number[] }
  | { id: number; kind: 'blocked' }
  | { id: number; kind: 'unsupported'; reason: string }
  | { id: number; kind: 'error'; message: string }
  | { id: number; kind: 'info'; info: TcpInfo | null }
  | { kind: 'note'; note: 'listen' | 'accept' | 'connect'; fd: number; localPort: number; remotePort: number };

/** What `tunstack up --conformance-agent` needs: where to listen and the script's profile (after its options and sysctls). */
export interface AgentConfig {
  socketPath: string;
  profile: Profile;
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
  if (typeof c.socketPath !== 'string') return 'socketPath missing';
  const p = c.profile;
  if (!p || typeof p.tcp !== 'object' || typeof p.localAddr !== 'number' || typeof p.remoteAddr !== 'number' || typeof p.port !== 'number') {
    return 'profile missing or incomplete';
  }
  return c as AgentConfig;
}
