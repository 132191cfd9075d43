/**
 * Wire mode's machinery without root: the real-time WireInterpreter, the
 * agent channel (AgentClient <-> AgentServer over a real unix socket), the
 * per-script stacks the server builds on one device, and the agent's
 * link/clock hooks, with a loopback link in this process standing in for
 * the TUN + packet socket. Checks a passive open (RFC 9293 §3.5) PASSes, a
 * wrong expectation FAILs naming the field, a blocking read completes when
 * data arrives (the agent re-polls on receive), the rx barrier keeps
 * `< win 0` ahead of a `write()` at the same scripted time (RFC 9293
 * §3.8.6.1: a zero window stops data), and a script's stack is gone when the
 * next script starts on the same device. Seed 1 for each stack's Rng.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScriptFailure } from '../../src/conformance/interpreter.js';
import { parseScript } from '../../src/conformance/parser.js';
import { getProfile } from '../../src/conformance/profile.js';
import { prepare } from '../../src/conformance/setup.js';
import { AgentClient } from '../../src/conformance/wire/agent-client.js';
import { WireInterpreter } from '../../src/conformance/wire/interpreter.js';
import type { Link, ReceiveHandler } from '../../src/link/link.js';
import { AgentServer } from '../../src/run/agent-server.js';
import { scaleClock } from '../../src/conformance/wire/scaled-clock.js';
import { warmUp } from '../../src/conformance/wire/runner.js';
import { RealClock } from '../../src/time/real-clock.js';
import { SeededRng } from '../../src/util/random.js';
import { pino } from 'pino';

const HANDSHAKE = `
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0  < S 0:0(0) win 65535 <mss 1460>
+0  > S. 0:0(0) ack 1 <mss 1460>
+.05 < . 1:1(0) ack 1 win 65535
+0  accept(3, ..., ...) = 4
`;

/**
 * An agent server on a loopback "device": what the stack sends goes to the
 * current script's interpreter, what the script injects reaches the stack an
 * event-loop turn (or `inboundDelayMs`) later, as datagrams through a TUN do.
 */
async function loopAgent(clock: RealClock, path: string): Promise<{ server: AgentServer; run: (src: string, inboundDelayMs?: number) => Promise<string | undefined> }> {
  let toStack: ReceiveHandler | undefined;
  let interp: WireInterpreter | undefined;
  const device: Link = {
    mtu: 65535,
    send: (p) => void setImmediate(() => interp?.capture([p])),
    onReceive: (h) => (toStack = h),
    close: async () => {},
  };
  const server = new AgentServer(device, clock, pino({ level: 'silent' }), () => new SeededRng(1));
  await server.listen(path);
  /** Run a script in real time through the agent; undefined = PASS, else the failure message. */
  const run = async (src: string, inboundDelayMs = 0, timeScale = 1): Promise<string | undefined> => {
    const scriptClock = scaleClock(clock, timeScale);
    const script = parseScript(src);
    const setup = prepare(script, getProfile('default')!);
    // 250 ms: wide enough for a 2-core machine at load average 15 (the first
    // script's SYN-ACK came 100-170 ms late there), still far below the 650 ms
    // error the late-read cases must catch.
    const cmp = { ...setup.compare, toleranceMs: 250 };
    const client = await AgentClient.connect(path, () => scriptClock.now());
    try {
      await client.start(setup.profile, timeScale);
      // As runWireScript does: one socket()/close() and 100 ms of quiet before time 0.
      await warmUp(client, scriptClock);
      const deliver = (d: Buffer) => () => toStack?.([d]);
      const peer = { send: (d: Buffer) => void (inboundDelayMs ? setTimeout(deliver(d), inboundDelayMs) : setImmediate(deliver(d))) };
      interp = new WireInterpreter(script, setup.profile, cmp, peer, client, scriptClock);
      await interp.run();
      return undefined;
    } catch (e) {
      if (e instanceof ScriptFailure) return e.message;
      throw e;
    } finally {
      await client.end();
      client.close();
      interp = undefined;
    }
  };
  return { server, run };
}

async function runLoop(src: string, inboundDelayMs = 0, timeScale = 1): Promise<string | undefined> {
  const clock = new RealClock();
  const dir = mkdtempSync(join(tmpdir(), 'tscw-loop-'));
  const { server, run } = await loopAgent(clock, join(dir, 'agent.sock'));
  try {
    return await run(src, inboundDelayMs, timeScale);
  } finally {
    await server.close();
    clock.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('wire interpreter + agent over an in-process loopback (seed 1)', () => {
  it('passes a passive open and data in both directions', async () => {
    expect(
      await runLoop(`${HANDSHAKE}+0 write(4, ..., 100) = 100
+0  > P. 1:101(100) ack 1
+.05 < P. 1:11(10) ack 101 win 65535
+0  > . 101:101(0) ack 11
+0  read(4, ..., 100) = 10
`),
    ).toBeUndefined();
  });

  it('fails a wrong SYN-ACK expectation with the flags mismatch', async () => {
    const why = await runLoop(HANDSHAKE.replace('> S. 0:0(0) ack 1', '> S 0:0(0)'));
    expect(why).toMatch(/^line 7 at [\d.]+s: flags: expected S vs actual S\./);
  });

  it('completes a blocking read when data arrives, at the scripted time', async () => {
    expect(
      await runLoop(`${HANDSHAKE}+0...0.1 read(4, ..., 100) = 10
+.1 < P. 1:11(10) ack 1 win 65535
+0  > . 1:1(0) ack 11
`),
    ).toBeUndefined();
    const late = await runLoop(`${HANDSHAKE}+0...0.7 read(4, ..., 100) = 10
+.05 < P. 1:11(10) ack 1 win 65535
`);
    expect(late).toMatch(/read\(\) returned at the wrong time/);
  });

  it('keeps script time under --time-scale 3: a blocking read on time passes, one 650 ms early fails', async () => {
    const read = (at: string, gap: string) => `${HANDSHAKE}+0...${at} read(4, ..., 100) = 10
+${gap} < P. 1:11(10) ack 1 win 65535
`;
    expect(await runLoop(read('0.1', '.1'), 0, 3)).toBeUndefined();
    expect(await runLoop(read('0.7', '.05'), 0, 3)).toMatch(/read\(\) returned at the wrong time/);
  });

  it('delivers a zero window before a write scripted at the same time (agent rx barrier)', async () => {
    // Inbound datagrams take 20 ms here, far longer than the agent call: without
    // the barrier the write would go out as data into the old 65535 window.
    expect(
      await runLoop(
        `${HANDSHAKE}+.05 < . 1:1(0) ack 1 win 0
+0  write(4, ..., 100) = 100
+.1~+1 > . 0:0(0) ack 1
`,
        20,
      ),
    ).toBeUndefined();
  });

  it('gives every script a fresh stack on the same device (the last one is cut off)', async () => {
    const clock = new RealClock();
    const dir = mkdtempSync(join(tmpdir(), 'tscw-loop-'));
    const { server, run } = await loopAgent(clock, join(dir, 'agent.sock'));
    try {
      // The first script leaves its listener and an established connection behind.
      expect(await run(HANDSHAKE)).toBeUndefined();
      // Same ports again: a leftover stack would answer this SYN from the old
      // connection (a challenge ACK, RFC 5961 §4) and bind() would see the old listener.
      expect(await run(HANDSHAKE)).toBeUndefined();
      const bad = await run(HANDSHAKE.replace('> S. 0:0(0) ack 1', '> S 0:0(0)'));
      expect(bad).toMatch(/flags: expected S vs actual S\./);
      expect(await run(HANDSHAKE)).toBeUndefined();
    } finally {
      await server.close();
      clock.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
