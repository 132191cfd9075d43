/**
 * Regression: an ACK that both advances SND.UNA and shrinks the window. The
 * send window must be updated before anything can transmit (RFC 9293
 * §3.10.7.4, ACK step: SND.UNA and SND.WND are updated together), because
 * advancing SND.UNA frees send buffer and calls the application's
 * onWritable, whose send() transmits at once. Found by
 * test/sim/stress-buffers.test.ts (4 KiB receive buffer, "seed 21"): the
 * sender overran the peer's window by up to two segments, which the peer
 * dropped, and the sender fell into RTO backoff with no loss on the link.
 */
import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/tcp/connection.js';
import { TCP_ACK, TCP_SYN } from '../../src/wire/tcp.js';
import { FakeEnv, LOCAL_ISS, PLAIN, REMOTE_ISS, RecordingHandler, TUPLE, bytes, expectNothing, expectSent, peer } from './helpers.js';

const L = LOCAL_ISS + 1;
const R = REMOTE_ISS + 1;

class RefillingHandler extends RecordingHandler {
  conn?: Connection;
  refill = 0;
  onWritable(): void {
    super.onWritable();
    if (this.conn && this.refill > 0) this.refill -= this.conn.send(bytes(this.refill));
  }
}

describe('ACK step ordering (RFC 9293 §3.10.7.4)', () => {
  it('an application send() from onWritable respects the window carried by the same ACK', () => {
    const env = new FakeEnv({ ...PLAIN, sndBuf: 4380 });
    const h = new RefillingHandler();
    const c = Connection.connect(env, TUPLE, LOCAL_ISS, h);
    h.conn = c;
    c.input(peer({ flags: TCP_SYN | TCP_ACK, seq: REMOTE_ISS, ack: L, window: 4380, options: { mss: 1460 } }));
    env.sent.length = 0;
    expect(c.send(bytes(8760))).toBe(4380);
    expectSent(env, { seq: L, payloadLen: 1460 });
    expectSent(env, { seq: L + 1460, payloadLen: 1460 });
    expectSent(env, { seq: L + 2920, payloadLen: 1460 });
    h.refill = 2920;
    // The peer ACKs two segments but its application has not read them: the
    // window is now 1460, so the right edge stays at L + 4380.
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 2920, window: 1460 }));
    expect(h.events).toContain('writable');
    expect(h.refill).toBe(0); // the application did queue more
    expectNothing(env); // and none of it went beyond the right edge
    expect(c.info().sndWnd).toBe(1460);
    // When the window opens, the queued data follows.
    c.input(peer({ flags: TCP_ACK, seq: R, ack: L + 4380, window: 4380 }));
    expectSent(env, { seq: L + 4380, payloadLen: 1460 });
    expectSent(env, { seq: L + 5840, payloadLen: 1460 });
  });
});
