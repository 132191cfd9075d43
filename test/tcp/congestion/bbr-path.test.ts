/**
 * BBR (src/tcp/congestion/bbr.ts, Linux tcp_bbr.c) on a simulated path in
 * virtual time: two stacks across an 80 Mbit/s bottleneck with a tail-drop
 * queue. What BBR promises (Cardwell et al. 2016; draft-cardwell-iccrg-bbr
 * §4.3): it finds the bottleneck rate within a few round trips, then keeps
 * in flight about one BDP, so the RTT under load stays near the path's
 * minimum where a loss-based controller fills the queue; its modes follow
 * STARTUP → DRAIN → PROBE_BW (eight-phase gain cycle), PROBE_RTT when the
 * min RTT is 10 s old; and it paces: segments leave spaced by their
 * length over the pacing rate.
 */
import { describe, expect, it } from 'vitest';
import { Bbr, BBR_CWND_MIN_TARGET, BBR_MIN_RTT_WIN_MS, BBR_PACING_GAIN, BBR_PROBE_RTT_MODE_MS, type BbrMode } from '../../../src/tcp/congestion/bbr.js';
import { PAYLOAD_RATE, bottleneckPath, type Path } from './bottleneck.js';

/** The sender's controller (read it after the handshake: Connection.setMss makes a new one). */
function bbrOf(p: Path): Bbr {
  const cc = p.sender.cc;
  if (!(cc instanceof Bbr)) throw new Error(`sender runs ${cc.name}, not bbr`);
  return cc;
}

/** Mean SRTT and goodput (bytes/ms) over [from, to), sampling SRTT every ms. */
function steadyState(p: Path, from: number, to: number): { srtt: number; rate: number } {
  while (p.step(from));
  const rx0 = p.received();
  let sum = 0;
  let n = 0;
  for (let t = from + 1; t <= to; t++) {
    while (p.step(t));
    sum += p.sender.info().srtt;
    n++;
  }
  return { srtt: sum / n, rate: (p.received() - rx0) / (to - from) };
}

describe('BBR on a bottleneck path (virtual time)', () => {
  it('finds the bottleneck rate within a few round trips and leaves STARTUP', () => {
    const rtt = 20;
    const p = bottleneckPath({ cc: 'bbr', rttMs: rtt, queueBdp: 1 });
    // STARTUP doubles the delivery rate per round trip: the 133-segment BDP is found from
    // the initial 10 segments in about log2(13) ≈ 4 rounds after the handshake.
    while (p.step(8 * rtt));
    expect(bbrOf(p).btlBw).toBeGreaterThan(0.95 * PAYLOAD_RATE);
    expect(bbrOf(p).btlBw).toBeLessThan(1.05 * PAYLOAD_RATE);
    // Three more rounds without 25 % growth say the pipe is full; DRAIN empties STARTUP's
    // queue (here after the loss that 2.89× overshoot causes in a 1-BDP buffer, as on Linux).
    while (p.step(20 * rtt));
    expect(bbrOf(p).fullBwReached).toBe(true);
    expect(bbrOf(p).mode).toBe('probe_bw');
    const s = steadyState(p, 25 * rtt, 50 * rtt);
    expect(s.rate).toBeGreaterThan(0.93 * PAYLOAD_RATE);
  });

  it('keeps the queue small: RTT under load near the min RTT, where CUBIC fills a 4-BDP buffer', () => {
    const rtt = 10;
    const bbr = steadyState(bottleneckPath({ cc: 'bbr', rttMs: rtt, queueBdp: 4 }), 1000, 3000);
    const cubic = steadyState(bottleneckPath({ cc: 'cubic', rttMs: rtt, queueBdp: 4 }), 1000, 3000);
    console.log(`10 ms path, 4-BDP queue, 1–3 s: bbr srtt ${bbr.srtt.toFixed(2)} ms at ${((bbr.rate * 8) / 1000).toFixed(1)} Mbit/s; cubic srtt ${cubic.srtt.toFixed(2)} ms at ${((cubic.rate * 8) / 1000).toFixed(1)} Mbit/s`);
    expect(bbr.rate).toBeGreaterThan(0.93 * PAYLOAD_RATE);
    expect(bbr.srtt).toBeLessThan(1.5 * rtt);
    expect(cubic.srtt).toBeGreaterThan(2 * rtt);
  });

  it('runs STARTUP → DRAIN → PROBE_BW, cycles the gains a min RTT each, and enters PROBE_RTT 10 s after the last new min RTT', () => {
    const rtt = 10;
    const p = bottleneckPath({ cc: 'bbr', rttMs: rtt, queueBdp: 1 });
    while (p.step(2 * rtt)); // the handshake sets the MSS and a fresh controller (Connection.setMss)
    const bbr = bbrOf(p);
    const modes: Array<{ mode: BbrMode; at: number }> = [{ mode: bbr.mode, at: 0 }];
    const phases: Array<{ idx: number; at: number; gain: number; minRtt: number }> = [];
    let stampBeforeProbe = -1;
    let maxCwndInProbeRtt = 0;
    let cwndBeforeProbe = 0;
    while (p.step(10_800)) {
      const last = modes[modes.length - 1];
      if (bbr.mode !== last.mode) modes.push({ mode: bbr.mode, at: p.clock.now() });
      if (bbr.mode === 'probe_bw' && (phases.length === 0 || phases[phases.length - 1].idx !== bbr.cycleIdx)) phases.push({ idx: bbr.cycleIdx, at: p.clock.now(), gain: bbr.pacingGain, minRtt: bbr.minRtt });
      if (bbr.mode === 'probe_rtt') maxCwndInProbeRtt = Math.max(maxCwndInProbeRtt, bbr.cwnd);
      else if (modes.length < 4) {
        stampBeforeProbe = bbr.minRttStamp;
        cwndBeforeProbe = bbr.cwnd;
      }
    }
    expect(modes.map((m) => m.mode)).toEqual(['startup', 'drain', 'probe_bw', 'probe_rtt', 'probe_bw']);
    // The gain cycle: one phase per min RTT (at least), in order, each with its gain.
    const steady = phases.filter((ph) => ph.at < modes[3].at);
    expect(steady.length).toBeGreaterThan(100);
    for (let i = 1; i < steady.length; i++) {
      expect(steady[i].idx).toBe((steady[i - 1].idx + 1) % BBR_PACING_GAIN.length);
      // The min RTT in force during the phase (RTT samples are sub-ms precise, so it moves by fractions of a ms).
      expect(steady[i].at - steady[i - 1].at).toBeGreaterThanOrEqual(steady[i - 1].minRtt);
      expect(steady[i].gain).toBe(BBR_PACING_GAIN[steady[i].idx]);
    }
    // PROBE_RTT: entered once the min RTT estimate is 10 s old, cwnd held at 4 packets for 200 ms and a round.
    const entered = modes[3].at;
    const left = modes[4].at;
    expect(entered - stampBeforeProbe).toBeGreaterThanOrEqual(BBR_MIN_RTT_WIN_MS);
    expect(entered - stampBeforeProbe).toBeLessThan(BBR_MIN_RTT_WIN_MS + 2 * rtt);
    expect(maxCwndInProbeRtt).toBe(BBR_CWND_MIN_TARGET);
    expect(left - entered).toBeGreaterThanOrEqual(BBR_PROBE_RTT_MODE_MS);
    expect(left - entered).toBeLessThan(BBR_PROBE_RTT_MODE_MS + 5 * rtt);
    expect(bbr.cwnd).toBeGreaterThanOrEqual(cwndBeforeProbe); // bbr_check_probe_rtt_done restores prior_cwnd
    expect(bbr.minRttStamp).toBeGreaterThanOrEqual(left - 1);
  });

  it('paces: data leaves spaced by length over the pacing rate, where CUBIC sends bursts', () => {
    const gaps = (cc: string): number[] => {
      const p = bottleneckPath({ cc, rttMs: 10, queueBdp: 1 });
      while (p.step(1500));
      const d = p.departures.filter((x) => x.at >= 1000);
      return d.slice(1).map((x, i) => x.at - d[i].at);
    };
    const bbrGaps = gaps('bbr');
    const sorted = [...bbrGaps].sort((x, y) => x - y);
    const median = sorted[sorted.length >> 1];
    const perPacket = 1500 / (PAYLOAD_RATE * (1500 / 1448)); // one full datagram at the bottleneck rate, ms
    // Pacing gain 1 for six phases of eight, 1 % under the estimate: the median gap is one packet time.
    expect(median).toBeGreaterThan(0.95 * perPacket);
    expect(median).toBeLessThan(1.1 * perPacket);
    // Never faster than the 5/4 phase allows (late wake-ups may earn half a packet of credit).
    expect(sorted[0]).toBeGreaterThan((0.5 * perPacket) / 1.25);
    const cubicGaps = gaps('cubic');
    const bursts = cubicGaps.filter((g) => g === 0).length / cubicGaps.length;
    expect(bursts).toBeGreaterThan(0.3);
  });

  it('is chosen by sysctl net.ipv4.tcp_congestion_control and per socket (TCP_CONGESTION), and shows its model in tcp_info', () => {
    const bySysctl = bottleneckPath({ cc: 'cubic', rttMs: 10, queueBdp: 1, beforeConnect: (s) => expect(s.sysctl.set('net.ipv4.tcp_congestion_control', 'bbr')).toBe(true) });
    while (bySysctl.step(500));
    const info = bySysctl.sender.info();
    expect(info.ccName).toBe('bbr');
    expect(info.bbrBw).toBeGreaterThan(0.95 * PAYLOAD_RATE * 1000);
    expect(info.bbrMinRtt).toBeGreaterThanOrEqual(10_000);
    expect(info.bbrMinRtt).toBeLessThan(11_000);
    expect(info.pacingRate).toBeGreaterThan(0);
    expect([256, 320, 192]).toContain(info.bbrPacingGain);
    expect(info.bbrCwndGain).toBe(512);

    const perSocket = bottleneckPath({ cc: 'cubic', rttMs: 10, queueBdp: 1 });
    while (perSocket.step(100));
    expect(perSocket.sender.info().pacingRate).toBeUndefined(); // CUBIC does not pace
    perSocket.sender.setCongestionControl('bbr');
    while (perSocket.step(600));
    expect(perSocket.sender.info().ccName).toBe('bbr');
    expect(bbrOf(perSocket).btlBw).toBeGreaterThan(0.95 * PAYLOAD_RATE);
    expect(perSocket.sender.info().pacingRate).toBeGreaterThan(0);
  });
});
