import { describe, expect, it } from 'vitest';
import { Prr } from '../../src/tcp/prr.js';

const MSS = 1000;

/**
 * RFC 6937 §5 (Examples): 20 segments in flight, one lost; every later
 * segment produces a duplicate ACK delivering one segment. With Reno's
 * ssthresh of 10, PRR sends on every other ACK so the flight shrinks
 * evenly to ssthresh; with CUBIC's 14 (β = 0.7) seven of every ten ACKs
 * release a segment.
 */
function example(ssthresh: number): { sent: number[]; pipeAtEnd: number } {
  const prr = new Prr();
  prr.start(20 * MSS);
  let pipe = 19 * MSS; // the lost segment has left the pipe once it is marked lost
  const sent: number[] = [];
  for (let ack = 1; ack <= 19; ack++) {
    pipe -= MSS; // the segment this ACK reports has been delivered
    const sndcnt = prr.onAck(MSS, pipe, ssthresh * MSS, MSS, false);
    if (ack === 1) expect(sndcnt).toBeGreaterThanOrEqual(MSS); // the fast retransmit is always allowed
    const n = Math.floor(sndcnt / MSS);
    prr.out += n * MSS;
    pipe += n * MSS;
    sent.push(n);
  }
  return { sent, pipeAtEnd: pipe };
}

describe('Proportional Rate Reduction (RFC 6937)', () => {
  it('Reno (ssthresh 10 of RecoverFS 20): one segment every other ACK, ending at ssthresh (§5 example)', () => {
    const { sent, pipeAtEnd } = example(10);
    // The proportional part alternates while pipe > ssthresh; PRR-SSRB holds pipe at ssthresh after.
    expect(sent.slice(0, 16)).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
    expect(sent.reduce((a, b) => a + b)).toBe(10); // ssthresh segments over the whole recovery
    expect(Math.max(...sent)).toBe(1); // never a burst
    expect(pipeAtEnd).toBe(10 * MSS);
  });

  it('CUBIC (ssthresh 14): sends in proportion 14/20, pipe ends at ssthresh', () => {
    const { sent, pipeAtEnd } = example(14);
    // After k ACKs, ceil(k·14/20) segments have left (RFC 6937 §3 proportional part).
    let total = 0;
    sent.slice(0, 12).forEach((n, i) => {
      total += n;
      expect(total).toBe(Math.ceil(((i + 1) * 14) / 20));
    });
    expect(sent.reduce((a, b) => a + b)).toBe(14);
    expect(Math.max(...sent)).toBe(1);
    expect(pipeAtEnd).toBe(14 * MSS);
  });

  it('below ssthresh, PRR-SSRB grows the flight by at most one segment more than delivered on a safe ACK (§3)', () => {
    const prr = new Prr();
    prr.start(20 * MSS);
    prr.out = MSS; // the fast retransmit is out
    // Heavy loss: pipe far below ssthresh; a safe ACK (SND.UNA advanced, nothing newly lost) delivering 2 segments allows 3.
    expect(prr.onAck(2 * MSS, 4 * MSS, 10 * MSS, MSS, true)).toBe(3 * MSS);
    // Never more than ssthresh − pipe.
    expect(prr.onAck(5 * MSS, 9 * MSS, 10 * MSS, MSS, true)).toBe(1 * MSS);
  });

  it('below ssthresh on an ACK that is not safe, PRR-CRB sends no more than delivered (rfc6937bis, Linux tcp_cwnd_reduction)', () => {
    const prr = new Prr();
    prr.start(10 * MSS);
    prr.out = 4 * MSS;
    // prr_delivered 3 (this ACK 2) − prr_out 4 < DeliveredData: sndcnt = 2 segments, not 3.
    prr.delivered = MSS;
    expect(prr.onAck(2 * MSS, 0, 7 * MSS, MSS, false)).toBe(2 * MSS);
  });

  it("the episode's first ACK allows the fast retransmit even when it delivered nothing (Linux tcp_cwnd_reduction)", () => {
    const prr = new Prr();
    prr.start(10 * MSS);
    expect(prr.onAck(0, 12 * MSS, 7 * MSS, MSS, false)).toBe(MSS);
    prr.out = MSS;
    expect(prr.onAck(0, 12 * MSS, 7 * MSS, MSS, false)).toBe(0);
  });
});
