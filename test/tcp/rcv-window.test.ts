/**
 * Receive-window growth (src/tcp/rcv-window.ts): rcv_ssthresh (Linux
 * tcp_grow_window), the autotuned buffer (Linux tcp_rcv_space_adjust) and the
 * clamps (rcvBuf, SO_RCVBUF lock, the link's receive queue).
 */
import { describe, expect, it } from 'vitest';
import { TCP_ACK } from '../../src/wire/tcp.js';
import { FakeEnv, LOCAL_ISS, REMOTE_ISS, bytes, established, peer } from './helpers.js';
import { RCV_BUF_INITIAL, offerableWindow, windowClamp } from '../../src/tcp/rcv-window.js';
import { rcvWnd } from '../../src/tcp/output.js';

const MIB = 1024 * 1024;
const SEG = 1460;
const R = REMOTE_ISS + 1;
const L = LOCAL_ISS + 1;

/** An active open with window scaling (our SYN offered 64240), then `n` full segments in order, read as they come. */
function receive(env: FakeEnv, n: number, c = established(env, 65535, { mss: SEG, wscale: 7 }).c, start = 0, everyMs = 0): ReturnType<typeof established>['c'] {
  for (let i = 0; i < n; i++) {
    c.input(peer({ flags: TCP_ACK, seq: R + (start + i) * SEG, ack: L, payload: bytes(SEG), window: 1024 }));
    while (c.read() !== null);
    if (everyMs) env.clock.advance(everyMs);
  }
  return c;
}

describe('receive window growth (Linux tcp_grow_window, tcp_rcv_space_adjust)', () => {
  it('starts at what the SYN offered and opens by 2 × advmss per in-order segment, up to the initial buffer', () => {
    const env = new FakeEnv({ rcvBuf: 6 * MIB, timestamps: false });
    const { c } = established(env, 65535, { mss: SEG, wscale: 7 });
    expect(c.rwin.ssthresh).toBe(64240);
    expect(c.rwin.buf).toBe(RCV_BUF_INITIAL);
    expect(c.rwin.space).toBe(10 * SEG); // tcp_init_buffer_space: TCP_INIT_CWND × advmss
    receive(env, 10, c);
    expect(c.rwin.ssthresh).toBe(64240 + 10 * 2 * SEG);
    receive(env, 40, c, 10);
    // Without DRS (no receiver RTT yet) the window stops at the initial buffer
    // less the segment queued when it grew (Linux tcp_space counts it).
    expect(c.rwin.ssthresh).toBe(RCV_BUF_INITIAL - SEG);
    expect(offerableWindow(c)).toBe(RCV_BUF_INITIAL - SEG);
  });

  it('an application reading fast grows the buffer once per receiver RTT, up to rcvBuf', () => {
    const env = new FakeEnv({ rcvBuf: 6 * MIB, timestamps: false });
    const c = receive(env, 2000, undefined, 0, 0.05); // 2000 × 1460 B, one every 50 µs
    expect(c.rwin.rtt).toBeGreaterThan(0);
    expect(c.rwin.buf).toBeGreaterThan(RCV_BUF_INITIAL);
    expect(c.rwin.ssthresh).toBeGreaterThan(RCV_BUF_INITIAL);
    expect(c.rwin.buf).toBeLessThanOrEqual(6 * MIB);
    expect(rcvWnd(c)).toBeGreaterThan(RCV_BUF_INITIAL);
  });

  it('an application that does not read keeps the initial buffer and the window closes as it fills', () => {
    const env = new FakeEnv({ rcvBuf: 6 * MIB, timestamps: false });
    const { c } = established(env, 65535, { mss: SEG, wscale: 7 });
    for (let i = 0; i < 40; i++) {
      c.input(peer({ flags: TCP_ACK, seq: R + i * SEG, ack: L, payload: bytes(SEG), window: 1024 }));
      env.clock.advance(1);
    }
    expect(c.rwin.buf).toBe(RCV_BUF_INITIAL);
    expect(offerableWindow(c)).toBe(RCV_BUF_INITIAL - 40 * SEG);
  });

  it('SO_RCVBUF locks the buffer: used whole at once, never autotuned (Linux SOCK_RCVBUF_LOCK)', () => {
    const env = new FakeEnv({ timestamps: false });
    const { c } = established(env, 65535, { mss: SEG, wscale: 7 });
    c.setBuffers({ rcvBuf: MIB });
    receive(env, 100, c);
    expect(c.rwin.locked).toBe(true);
    // Past the initial 128 KiB buffer at once; rcv_ssthresh still paces the opening.
    expect(c.rwin.ssthresh).toBe(64240 + 100 * 2 * SEG);
    expect(offerableWindow(c)).toBe(64240 + 100 * 2 * SEG);
  });

  it("never offers more than half the link's receive queue (a TUN device drops beyond tx_queue_len)", () => {
    const env = new FakeEnv({ rcvBuf: 6 * MIB, timestamps: false });
    Object.defineProperty(env, 'rxQueueBytes', { value: 500 * 1500 });
    const c = receive(env, 2000, undefined, 0, 0.05);
    expect(windowClamp(c)).toBe(250 * 1500);
    expect(offerableWindow(c)).toBeLessThanOrEqual(250 * 1500);
    expect(rcvWnd(c)).toBeLessThanOrEqual(250 * 1500);
  });

  it('without window scaling the window stays within 65535 while the buffer still starts at tcp_rmem[1]', () => {
    const env = new FakeEnv({ windowScaling: false, timestamps: false });
    const c = receive(env, 100, established(env, 65535, { mss: SEG }).c);
    expect(windowClamp(c)).toBe(65535);
    expect(c.rwin.buf).toBe(RCV_BUF_INITIAL);
    expect(rcvWnd(c)).toBeLessThanOrEqual(65535);
  });
});
