import { describe, expect, it } from 'vitest';
import { parseBytesAcked } from '../../bench/wan/client.js';
import { median, softnetDrops, type WanResult } from '../../bench/wan/measure.js';
import { rows, summaryLine, svgChart, table } from '../../bench/wan/report.js';
import { netemArgs, pickScenarios, qdiscChain, queueLimit, scaleRate, SCENARIOS } from '../../bench/wan/scenarios.js';
import { allowedCcList, KERNEL_CC } from '../../bench/wan/topology.js';

describe('bench:wan scenarios', () => {
  it('has the paths issue 14 asks for', () => {
    expect(SCENARIOS.map((s) => s.name)).toEqual(['clean', 'loss1', 'loss05-80', 'jitter-reorder', 'gemodel', 'long-fat', 'deep-buffer', 'ecn']);
  });

  it('puts an ECN path behind netem (delay, CE marks) → tbf (rate) → fq_codel with ECN, and rate-limits plain paths in netem', () => {
    const ecn = pickScenarios(['ecn'])[0];
    expect(ecn.ecn).toBe(true);
    const chain = qdiscChain(ecn, 'r0');
    expect(chain.map((c) => c.join(' '))).toEqual([
      'qdisc add dev r0 root handle 1: netem limit 1000 delay 20ms loss random 0.5% ecn',
      'qdisc add dev r0 parent 1:1 handle 10: tbf rate 20mbit burst 15000 limit 3000000',
      'qdisc add dev r0 parent 10:1 handle 20: fq_codel ecn',
    ]);
    expect(qdiscChain(pickScenarios(['clean'])[0], 'r1')).toEqual([['qdisc', 'add', 'dev', 'r1', 'root', 'handle', '1:', 'netem', 'limit', '67', 'delay', '10ms', 'rate', '20mbit']]);
  });

  it('scales rates for --rate-scale, with the label and the BDP-sized queue following', () => {
    const loss1 = scaleRate(pickScenarios(['loss1'])[0], 0.25);
    expect(loss1.rateMbit).toBe(5);
    expect(loss1.label).toBe('5 Mbit/s, RTT 40 ms, 1% loss');
    expect(netemArgs(loss1)).toEqual(['netem', 'limit', '50', 'delay', '20ms', 'loss', 'random', '1%', 'rate', '5mbit']);
    expect(queueLimit(scaleRate(pickScenarios(['deep-buffer'])[0], 0.5))).toBe(2000);
    expect(scaleRate(pickScenarios(['ecn'])[0], 0.25).rateMbit).toBe(5);
  });

  it('pairs each tunstack congestion control with the kernel module of the same algorithm', () => {
    expect(KERNEL_CC).toEqual({ cubic: 'cubic', bbr: 'bbr', newreno: 'reno' });
  });

  it('widens tcp_allowed_congestion_control only inside the VM, and names the sysctl elsewhere', () => {
    expect(allowedCcList('cubic', ['reno', 'cubic'], false)).toBeUndefined();
    expect(allowedCcList('bbr', ['reno', 'cubic'], true)).toBe('reno cubic bbr');
    expect(() => allowedCcList('bbr', ['reno', 'cubic'], false)).toThrow(/not in net\.ipv4\.tcp_allowed_congestion_control \(reno cubic\): add it, or run the bench with --vm/);
  });

  it('splits the RTT into one-way delays and puts jitter right after the delay', () => {
    expect(netemArgs(pickScenarios(['loss1'])[0])).toEqual(['netem', 'limit', '134', 'delay', '20ms', 'loss', 'random', '1%', 'rate', '20mbit']);
    expect(netemArgs(pickScenarios(['jitter-reorder'])[0])).toEqual(['netem', 'limit', '134', 'delay', '20ms', '10ms', 'reorder', '5%', '50%', 'rate', '20mbit']);
    expect(netemArgs(pickScenarios(['gemodel'])[0]).join(' ')).toContain('loss gemodel 1% 30% 50% 0%');
  });

  it('sizes queues at twice the BDP (at least 50), except the deep buffer', () => {
    expect(queueLimit(pickScenarios(['clean'])[0])).toBe(67); // 20 Mbit/s × 20 ms = 33.3 packets
    expect(queueLimit(pickScenarios(['long-fat'])[0])).toBe(250);
    expect(queueLimit(pickScenarios(['deep-buffer'])[0])).toBe(2000);
    expect(() => pickScenarios(['nope'])).toThrow(/unknown scenario 'nope'/);
  });

  it('sums the dropped column of softnet_stat over CPUs', () => {
    expect(softnetDrops('00629ea3 00000001 00000000\n00554db5 00000055 00000003\n')).toBe(1 + 0x55);
  });

  it('reads bytes_acked from ss -ti', () => {
    expect(parseBytesAcked('ESTAB 0 0 10.88.1.2:40000 10.88.3.2:9\n\t cubic wscale:7,7 bytes_sent:123 bytes_acked:4567 segs_out:9')).toBe(4567);
    expect(parseBytesAcked('')).toBeUndefined();
  });
});

describe('bench:wan report', () => {
  const result: WanResult = {
    kernelRelease: '6.1.0-57-amd64', where: 'test', secs: 6, rounds: 3,
    cc: { kernel: 'cubic', tunstack: 'default' },
    unconstrainedMbit: { tunstack: 60, kernel: 500 },
    scenarios: [{ name: 'clean', label: 'x', netem: 'netem delay 10ms', idleRttMs: { tunstack: 21, kernel: 20.5 } }],
    transfers: [
      ...[10, 12, 11].map((g, i) => ({ scenario: 'clean', stack: 'tunstack' as const, dir: 'down' as const, round: i + 1, goodputMbit: g, retrans: i, rttLoadMs: 30 })),
      ...[20, 18, 19].map((g, i) => ({ scenario: 'clean', stack: 'kernel' as const, dir: 'down' as const, round: i + 1, goodputMbit: g, retrans: 5, rttLoadMs: 40 })),
      ...[16, 16, 16].map((g, i) => ({ scenario: 'clean', stack: 'tunstack' as const, dir: 'up' as const, round: i + 1, goodputMbit: g, retrans: 0 })),
      ...[16, 16, 16].map((g, i) => ({ scenario: 'clean', stack: 'kernel' as const, dir: 'up' as const, round: i + 1, goodputMbit: g, retrans: 0 })),
    ],
  };

  it('takes medians and min–max per path and direction', () => {
    const [down, up] = rows(result);
    expect(down.goodput.tunstack).toEqual({ median: 11, min: 10, max: 12 });
    expect(down.goodput.kernel).toEqual({ median: 19, min: 18, max: 20 });
    expect(down.retrans).toEqual({ tunstack: 1, kernel: 5 });
    expect(down.ratio).toBeCloseTo(11 / 19);
    expect(up.rttLoadMs.tunstack).toBeUndefined();
    expect(median([1, 2, 3, 4])).toBe(2.5);
  });

  it('ends with the summary line and renders a table and an SVG', () => {
    expect(summaryLine(rows(result))).toBe(`wan: median goodput ratio tunstack/kernel ${((11 / 19 + 1) / 2).toFixed(2)} over 2 scenarios`);
    expect(table(result).split('\n')).toHaveLength(4);
    const svg = svgChart(result);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(4);
  });
});
