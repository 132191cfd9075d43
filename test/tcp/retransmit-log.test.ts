/** Retransmissions lost again (RFC 8985 §6.2 over retransmitted segments; Linux tcp_rack_detect_loss). */
import { describe, expect, it } from 'vitest';
import { RetransmitLog } from '../../src/tcp/sack-recovery.js';
import { SackScoreboard } from '../../src/tcp/sack-scoreboard.js';

describe('RetransmitLog.dropLost', () => {
  // Holes 1:4001 resent one by one at t = 24..30 ms under SND.MAX 12001 (upstream prr-ss-30pkt-lost-1_4-11_16).
  function log(): RetransmitLog {
    const l = new RetransmitLog();
    for (let i = 0; i < 4; i++) l.add(1 + i * 1000, 1001 + i * 1000, 12001, 24 + 2 * i);
    return l;
  }

  it('a retransmission sent before one now SACKed is lost, once the SACK came at least min RTT after', () => {
    const sack = new SackScoreboard();
    sack.update([[2001, 12001]], 1001, 16001); // 1001:2001's resend missing, 2001:3001's delivered
    const l = log();
    expect(l.dropLost(1001, 12001, sack, 46, 10)).toBe(1);
    expect(l.coveredEnd(1001)).toBeUndefined(); // deemed lost: NextSeg may resend it
    expect(l.coveredEnd(3001)).toBe(4001);
  });

  it('not when the later one was SACKed sooner than min RTT (the SACK may be for the original)', () => {
    const sack = new SackScoreboard();
    sack.update([[2001, 12001]], 1001, 16001);
    expect(log().dropLost(1001, 12001, sack, 30, 10)).toBe(0);
  });

  it('new data sent after it and SACKed also proves it lost (SND.MAX rule)', () => {
    const sack = new SackScoreboard();
    sack.update([[12001, 13001]], 1, 16001);
    expect(log().dropLost(1, 13001, sack)).toBe(4);
  });
});
