/**
 * The pmtud explain scenario and the router behind it: a DF segment larger
 * than the router's next hop is dropped and answered with ICMP frag-needed
 * (RFC 1191 §4), the sender lowers its path MTU and MSS and resends in
 * smaller segments (RFC 1191 §6.4) — all of it done by the real stacks, the
 * ladder only describes it.
 */
import { describe, expect, it } from 'vitest';
import { buildLadder } from '../../src/explain/ladder.js';
import { runScenario } from '../../src/explain/run-scenario.js';
import { ExplainSim, ROUTER_ADDR, type App } from '../../src/explain/sim.js';
import type { TraceSegment, TraceStep } from '../../src/explain/trace-format.js';

const packets = (steps: TraceStep[]): TraceSegment[] => {
  const seen = new Map<number, TraceSegment>();
  for (const s of steps) for (const p of s.segments) seen.set(p.id, p);
  return [...seen.values()];
};
const sum = (steps: TraceStep[], side: 'a' | 'b', counter: string): number => steps.reduce((n, s) => n + (s.counters[side][counter] ?? 0), 0);

describe('explain pmtud', () => {
  it('a full-size segment meets the 1280-byte hop: frag-needed, MSS 1448 → 1228, resent smaller and delivered', () => {
    const { steps } = runScenario('pmtud');
    const all = packets(steps);
    const data = all.filter((p) => p.from === 'a' && (p.tcp?.len ?? 0) > 0);
    // The first transmission: 1448 bytes of data in a 1500-byte datagram with DF, dropped by the router.
    expect(data[0].tcp!.len).toBe(1448);
    expect(data[0].ip).toMatchObject({ len: 1500, df: true });
    expect(data[0].dropped).toBe('too-big');
    // The router's answer reached the sender, from the router's own address, with the next-hop MTU.
    const icmp = all.filter((p) => p.icmp);
    expect(icmp).toHaveLength(1);
    expect(icmp[0].icmp).toEqual({ type: 3, code: 4, src: ROUTER_ADDR, mtu: 1280 });
    expect(icmp[0].arrivedAt).toBe(icmp[0].t + 5); // the one-way delay at rtt 10 ms
    // The sender believed it once and shrank once.
    expect(sum(steps, 'a', 'Icmp.pmtuLearnt')).toBe(1);
    expect(sum(steps, 'a', 'Tcp.TCPPMTUShrunk')).toBe(1);
    // Everything after fits the hop, arrives, and carries all 1448 bytes.
    const rest = data.slice(1);
    expect(rest.map((p) => p.tcp!.len)).toEqual([1228, 220]);
    for (const p of rest) {
      expect(p.ip.len).toBeLessThanOrEqual(1280);
      expect(p.arrivedAt).toBeDefined();
    }
    const last = steps[steps.length - 1].after;
    const client = last.a!.find((c) => c.state === 'ESTABLISHED')!;
    expect(client.mss).toBe(1228);
    expect((client.sndUna - client.iss) >>> 0).toBe(1449);
    // The server never saw a segment over the hop's size, and received the data once.
    expect(all.filter((p) => p.from === 'a' && p.arrivedAt !== undefined).every((p) => p.ip.len <= 1280)).toBe(true);
  });

  it('each step is explained: the router by RFC 1191 §4, the sender by §3 and §6.4, with Linux and RFC 8201/4821/9293', () => {
    const t = runScenario('pmtud');
    const rules = buildLadder(t.header, t.steps).items.filter((i) => i.kind === 'rule');
    const router = rules.find((r) => r.cite === 'pmtu-router')!;
    expect(router.label).toBe('RFC 1191 §4');
    expect(router.text).toContain('1500-byte datagram with DF set does not fit its 1280-byte next hop');
    expect(router.also).toEqual(['Linux ip_forward()']);
    const host = rules.find((r) => r.cite === 'pmtu-host')!;
    expect(host.text).toContain('lower the path MTU to 10.0.0.2 from the link\'s to 1280');
    const tcp = rules.find((r) => r.cite === 'pmtu-tcp')!;
    expect(tcp.text).toMatch(/^MSS 1448 → 1228 .*resent at once in 2 segment\(s\)/);
    expect(tcp.also).toEqual(['RFC 8201 §5.4', 'Linux tcp_v4_mtu_reduced()']);
    expect(rules.find((r) => r.cite === 'tcp-pmtud')!.also).toEqual(['RFC 4821 §1']);
    // The router's rule comes in the step of the too-big segment, the sender's one one-way delay later.
    expect(tcp.t - router.t).toBe(5);
  });

  it('a lost frag-needed costs an RTO: the full-size segment goes again and the router answers again', () => {
    const sim = new ExplainSim({ seed: 1, rttMs: 10, loss: 0 });
    sim.narrowPath(1280);
    let icmps = 0;
    sim.drop((s) => s.icmp !== undefined && ++icmps === 1);
    let server: App[] = [];
    sim.at(0, 'b', 'listen(80)', () => (server = sim.listen('b', 80).apps));
    let client: App | undefined;
    sim.at(1, 'a', 'connect()', () => (client = sim.connect('a', 80)));
    sim.at(50, 'a', 'write(1448 bytes)', () => client!.conn!.send(Buffer.alloc(1448, 0x61)));
    sim.runUntil(2000);
    const all = packets(sim.recorder.steps);
    const full = all.filter((p) => p.from === 'a' && p.tcp?.len === 1448);
    expect(full.length).toBe(2); // the first and its RTO retransmission, both too big
    expect(full.every((p) => p.dropped === 'too-big')).toBe(true);
    const icmp = all.filter((p) => p.icmp);
    expect(icmp.map((p) => p.dropped)).toEqual(['scenario', undefined]);
    const info = sim.stacks.a.connections().find((c) => c.state === 'ESTABLISHED')!;
    expect(info.mss).toBe(1228);
    expect(info.sndUna).toBe(info.sndNxt);
    expect(server.map((a) => a.received)).toEqual([1448]);
  });
});
