/**
 * Recovery retransmissions under BBR leave at the pacing rate like new
 * data (src/tcp/sack-recovery.ts sendLostRetransmits; Linux
 * tcp_xmit_retransmit_queue runs tcp_pacing_check per skb, and
 * tcp_update_skb_after_send moves tcp_wstamp_ns on for each one). A burst of
 * 30 consecutive segments is lost on an 80 Mbit/s, 20 ms path in PROBE_BW;
 * SACK recovery resends all 30, none of them back to back.
 */
import { describe, expect, it } from 'vitest';
import { Bbr, BBR_PACING_GAIN } from '../../../src/tcp/congestion/bbr.js';
import { bottleneckPath } from './bottleneck.js';

describe('BBR paces recovery retransmissions (virtual time)', () => {
  it('spaces each retransmission by at least half its length over the highest pacing rate', () => {
    const p = bottleneckPath({ cc: 'bbr', rttMs: 20, queueBdp: 2, dropBurst: { at: 1000, count: 30 } });
    while (p.step(1300));
    const bbr = p.sender.cc;
    if (!(bbr instanceof Bbr)) throw new Error(`sender runs ${bbr.name}, not bbr`);
    expect(bbr.mode).toBe('probe_bw');
    const lost = new Set(p.departures.filter((d) => d.dropped).map((d) => d.seq));
    expect(lost.size).toBe(30);
    const rtx = p.departures.filter((d) => !d.dropped && lost.has(d.seq) && d.at >= 1000);
    expect(rtx.length).toBe(30);
    const gaps = rtx.slice(1).map((d, i) => d.at - rtx[i].at);
    // pacing.ts: a segment's slot is payload / rate; a late wake-up earns at most half a slot of credit.
    const payload = p.sender.tcb.mss;
    const fastest = bbr.btlBw * Math.max(...BBR_PACING_GAIN);
    const minGap = (0.5 * payload) / fastest;
    console.log(`30 retransmissions over ${(rtx[29].at - rtx[0].at).toFixed(3)} ms, gaps ${Math.min(...gaps).toFixed(3)}–${Math.max(...gaps).toFixed(3)} ms (floor ${minGap.toFixed(3)} ms)`);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(minGap);
  }, 60_000);
});
