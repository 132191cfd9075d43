/**
 * The delayed-ACK exception end to end (src/tcp/cong-control.ts
 * ackMaybeDelayed → rs.isAckDelayed → bbr.ts updateMinRtt; Linux
 * tcp_clean_rtx_queue FLAG_ACK_MAYBE_DELAYED and bbr_update_min_rtt): a BBR
 * sender on a 10 ms path writes one 100-byte message every 100 ms (gaps under the
 * receiver's RTO, so it does not return to quick ACKs) and the peer
 * neither answers nor reads, so after its quick-ACK start every ACK is a delayed one
 * (~40 ms of receiver timer). Once the 10 s min-RTT window expires those
 * samples must not become RTprop.
 */
import { describe, expect, it } from 'vitest';
import { Stack } from '../../../src/stack.js';
import { createMemoryLinkPair } from '../../../src/link/memory.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { SeededRng } from '../../../src/util/random.js';
import type { TcpConnection } from '../../../src/tcp/api.js';
import type { Connection } from '../../../src/tcp/connection.js';
import { Bbr } from '../../../src/tcp/congestion/bbr.js';
import { ipv4 } from '../../../src/wire/ip-address.js';

describe('BBR min RTT with a delayed-ACK peer (virtual time)', () => {
  it('keeps the path RTT, not the delayed ACKs, as RTprop after the window expires', () => {
    const clock = new VirtualClock(0);
    const [la, lb] = createMemoryLinkPair({ clock, rng: new SeededRng(3), faults: { delayMs: 5 } });
    const tcp = { congestionControl: 'bbr' };
    const a = new Stack({ link: la, addr: '10.0.0.1', clock, rng: new SeededRng(1), tcp });
    const b = new Stack({ link: lb, addr: '10.0.0.2', clock, rng: new SeededRng(2), tcp });
    const noop = { onConnect() {}, onReadable() {}, onWritable() {}, onError() {}, onClose() {} };
    const listener = b.tcp.listen(9, 8, () => {
      const c = listener.accept();
      if (!c) return;
      c.handler = noop; // never reads: nothing prompts an early ACK (Linux tcp_cleanup_rbuf), only the delayed-ACK timer
    });
    const conn: TcpConnection = a.tcp.connect(ipv4('10.0.0.2'), 9, noop);
    const sender = conn as Connection;
    let maxSrtt = 0;
    for (let t = 100; t <= 12_000; t += 100) {
      clock.runUntil(t);
      conn.send(Buffer.alloc(100, 0x62));
      clock.runUntil(t + 90);
      maxSrtt = Math.max(maxSrtt, sender.info().srtt);
    }
    const bbr = sender.cc;
    if (!(bbr instanceof Bbr)) throw new Error(`sender runs ${bbr.name}, not bbr`);
    console.log(`one 100-byte write every 100 ms for 12 s: srtt up to ${maxSrtt.toFixed(1)} ms, BBR min RTT ${bbr.minRtt} ms`);
    expect(maxSrtt).toBeGreaterThan(25); // the peer did delay its ACKs
    expect(bbr.minRtt).toBeLessThan(12);
  }, 60_000);
});
