/**
 * The conformance agent process (hidden: `tunstack up --conformance-agent
 * JSON`, started once per wire-mode run by src/conformance/wire/). It opens
 * the TUN in the run's namespace once and serves every script of the run on
 * it: a script's connection starts with `start` (its profile), which builds a
 * fresh Stack with that profile on the open device; `end` or the connection
 * closing discards it (src/run/agent.ts cuts it off the device and cancels
 * its timers), so no connection, TIME_WAIT or port state leaks into the next
 * script. One process per run instead of one per script: under TCG node's
 * start-up alone cost tens of seconds per script.
 * Not loaded at all unless the hidden flag is given.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { Stack } from '../stack.js';
import type { Clock } from '../time/clock.js';
import { RealClock } from '../time/real-clock.js';
import { CryptoRng, type Rng } from '../util/random.js';
import { parseCidr, parseIpv4 } from '../wire/ip-address.js';
import type { Link } from '../link/link.js';
import { checkProfile, decodeAgentConfig, type AgentReply, type AgentRequest } from '../conformance/wire/protocol.js';
import { scaleClock } from '../conformance/wire/scaled-clock.js';
import { AgentHooks, AgentSession } from './agent.js';
import { openDeviceLink } from './device.js';
import { ensureNetns, deleteNetns } from './netns.js';
import { CliError } from './errors.js';

/**
 * The device's MTU: the IPv4 maximum, so whatever a script injects reaches the
 * stack (packetdrill writes into its TUN, where no MTU check applies; a script
 * may send 1500 payload bytes after advertising MSS 1460). Each stack still
 * sends up to its own profile's MTU (AgentHooks.link).
 */
export const AGENT_DEVICE_MTU = 65535;

export interface AgentServerOptions {
  netns?: string;
  device: string;
  hostCidr: string;
  addr: string;
  logLevel: string;
  /** The hidden flag's JSON (AgentConfig). */
  config: string;
}

interface Live {
  conn: Socket;
  hooks: AgentHooks;
  stack: Stack;
  session: AgentSession;
}

/** Serves scripts on one device, one stack at a time (the newest `start` wins). */
export class AgentServer {
  private live: Live | undefined;
  private readonly conns = new Set<Socket>();
  private server: Server | undefined;
  private path: string | undefined;

  constructor(
    private readonly device: Link,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Each stack's randomness (ISNs, ports); tests pass a seeded one. */
    private readonly newRng: () => Rng = () => new CryptoRng(),
  ) {}

  async listen(path: string): Promise<void> {
    rmSync(path, { force: true });
    const server = createServer((conn) => this.serve(conn));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    this.server = server;
    this.path = path;
  }

  private serve(conn: Socket): void {
    let buf = '';
    // One request at a time per connection: a `start` finishes before the calls after it.
    let chain = Promise.resolve();
    this.conns.add(conn);
    conn.setEncoding('utf8');
    conn.on('error', () => {});
    conn.on('close', () => {
      this.conns.delete(conn);
      if (this.live?.conn === conn) void this.endSession();
    });
    conn.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) chain = chain.then(() => this.request(conn, line));
      }
    });
  }

  async close(): Promise<void> {
    await this.endSession();
    // server.close() waits for open connections: end ours so teardown never hangs on the runner.
    for (const c of this.conns) c.destroy();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    if (this.path) rmSync(this.path, { force: true });
  }

  private async request(conn: Socket, line: string): Promise<void> {
    const send = (r: AgentReply): void => {
      if (!conn.destroyed) conn.write(`${JSON.stringify(r)}\n`);
    };
    let req: AgentRequest;
    try {
      req = JSON.parse(line) as AgentRequest;
    } catch {
      return send({ id: -1, kind: 'error', message: `bad request: ${line.slice(0, 80)}` });
    }
    if (req.op === 'start') {
      await this.endSession();
      const profile = checkProfile(req.profile);
      if (typeof profile === 'string') return send({ id: req.id, kind: 'error', message: `start: ${profile}` });
      const scale = req.timeScale ?? 1;
      if (!(typeof scale === 'number' && scale >= 1 && scale <= 100)) return send({ id: req.id, kind: 'error', message: `start: timeScale ${String(scale)} outside 1..100` });
      const hooks = new AgentHooks(profile.remoteAddr >>> 0);
      const clock = hooks.clock(scaleClock(this.clock, scale));
      const stack = new Stack({ link: hooks.link(this.device, profile.mtu), addr: profile.localAddr, clock, rng: this.newRng(), logger: this.log, tcp: profile.tcp });
      this.live = { conn, hooks, stack, session: new AgentSession(stack.tcp, clock, hooks, profile, send) };
      return send({ id: req.id, kind: 'started' });
    }
    if (req.op === 'end') {
      if (this.live?.conn === conn) await this.endSession();
      return send({ id: req.id, kind: 'ended' });
    }
    if (this.live?.conn !== conn) return send({ id: req.id, kind: 'error', message: 'no stack for this connection: send start first' });
    this.live.session.request(req);
  }

  private async endSession(): Promise<void> {
    const l = this.live;
    if (!l) return;
    this.live = undefined;
    l.hooks.end();
    await l.stack.close();
  }
}

export async function serveAgent(o: AgentServerOptions): Promise<number> {
  const config = decodeAgentConfig(o.config);
  if (typeof config === 'string') throw new CliError(`--conformance-agent: ${config}`);
  const host = parseCidr(o.hostCidr);
  const addr = parseIpv4(o.addr);
  if (!host || addr === undefined) throw new CliError(`--conformance-agent needs --host-addr CIDR and --addr (got ${o.hostCidr}, ${o.addr})`);
  const log = pino({ level: o.logLevel, base: undefined }, pino.destination(2));
  const createdNetns = o.netns !== undefined ? ensureNetns(o.netns) : false;
  const clock = new RealClock();
  let device: Link | undefined;
  let agent: AgentServer | undefined;
  try {
    device = await openDeviceLink({
      mode: 'tun',
      name: o.device,
      netns: o.netns,
      mtu: AGENT_DEVICE_MTU,
      hostAddr: host.addr,
      prefixLen: host.prefixLen,
      stackAddr: addr,
      log: (m) => log.info(m),
      clock,
      rng: new CryptoRng(),
    });
    agent = new AgentServer(device, clock, log);
    await agent.listen(config.socketPath);
    process.stdout.write(`tunstack: conformance agent on ${o.device}${o.netns ? ` in netns ${o.netns}` : ''}, socket ${config.socketPath}: ready\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    return 0;
  } finally {
    await agent?.close();
    await device?.close();
    clock.stop();
    if (createdNetns) deleteNetns(o.netns!);
  }
}
