/**
 * `tunstack stat -i` (src/run/stat-format.ts) for a BBR connection: ss -tni
 * prints `bbr:(bw:…,mrtt:…,pacing_gain:…,cwnd_gain:…)` and `pacing_rate`,
 * and so do we, from a live connection in virtual time.
 */
import { describe, expect, it } from 'vitest';
import { connectionStats, formatConnectionInfo } from '../../src/run/stat-format.js';
import { bottleneckPath } from '../tcp/congestion/bottleneck.js';

describe('stat -i shows the controller model', () => {
  it('prints bbr:(bw,mrtt,pacing_gain,cwnd_gain) and pacing_rate for a BBR connection, neither for CUBIC', () => {
    const bbr = bottleneckPath({ cc: 'bbr', rttMs: 10, queueBdp: 1 });
    while (bbr.step(400));
    const [s] = connectionStats([bbr.sender.info()], bbr.clock.now());
    expect(s.bbr?.bwBps).toBeGreaterThan(74e6);
    expect(s.bbr?.minRttMs).toBe(10);
    expect(s.bbr?.cwndGain).toBe(2);
    expect(formatConnectionInfo([s])).toMatch(/ bbr:\(bw:7\d\.\dMbps,mrtt:10,pacing_gain:(1|1\.25|0\.75),cwnd_gain:2\) pacing_rate:\d+\.\dMbps /);

    const cubic = bottleneckPath({ cc: 'cubic', rttMs: 10, queueBdp: 1 });
    while (cubic.step(100));
    const out = formatConnectionInfo(connectionStats([cubic.sender.info()], cubic.clock.now()));
    expect(out).not.toMatch(/bbr:|pacing_rate/);
  });
});
