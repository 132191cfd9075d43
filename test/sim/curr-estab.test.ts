/**
 * The CurrEstab gauge (RFC 1213 tcpCurrEstab, kept as Linux's tcp_set_state
 * does: connections in ESTABLISHED or CLOSE_WAIT) goes up with each
 * connection and back to 0 when both sides have closed — whichever side
 * closes first. `tunstack stat` prints it, so a leak shows there.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectionHandler, TcpConnection } from '../../src/tcp/api.js';
import { ADDR_B, makeTcpPair } from './tcp-pair.js';

class Quiet implements ConnectionHandler {
  conn?: TcpConnection;
  onConnect(): void {}
  onReadable(): void {
    while (this.conn?.read());
  }
  onWritable(): void {}
  onError(): void {}
  onClose(): void {}
}

describe('CurrEstab gauge (RFC 1213, Linux tcp_set_state)', () => {
  for (const closer of ['client', 'server'] as const) {
    it(`counts 1 per side while open and returns to 0 after a ${closer}-first close`, async () => {
      const p = await makeTcpPair(7);
      const accepted: TcpConnection[] = [];
      const listener = p.b.listen(80, 8, () => {
        for (let c = listener.accept(); c; c = listener.accept()) {
          const h = new Quiet();
          h.conn = c;
          c.handler = h;
          accepted.push(c);
        }
      });
      const h = new Quiet();
      const conn = p.a.connect(ADDR_B, 80, h);
      h.conn = conn;
      p.clock.runUntil(p.clock.now() + 1000);
      expect(accepted).toHaveLength(1);
      expect(p.a.stats.CurrEstab).toBe(1);
      expect(p.b.stats.CurrEstab).toBe(1);
      const [first, second] = closer === 'client' ? [conn, accepted[0]!] : [accepted[0]!, conn];
      first.close();
      p.clock.runUntil(p.clock.now() + 1000);
      // The second side is in CLOSE_WAIT: still counted; the first in FIN_WAIT_2: not.
      expect(p.a.stats.CurrEstab + p.b.stats.CurrEstab).toBe(1);
      second.close();
      p.clock.runUntil(p.clock.now() + 1000);
      expect(p.a.stats.CurrEstab).toBe(0);
      expect(p.b.stats.CurrEstab).toBe(0);
    });
  }
});
