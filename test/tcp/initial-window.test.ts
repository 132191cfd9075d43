/** Linux tcp_select_initial_window as src/tcp/initial-window.ts models it. */
import { describe, expect, it } from 'vitest';
import { initialWindow, TS_ALIGNED } from '../../src/tcp/initial-window.js';

describe('initial (SYN) window', () => {
  it('is 64 KiB rounded down to whole segments: 64240 for a 1460 MSS, 65160 with timestamps', () => {
    expect(initialWindow(6 * 1024 * 1024, 1460)).toBe(64240);
    expect(initialWindow(6 * 1024 * 1024, 1460 - TS_ALIGNED)).toBe(65160);
    expect(initialWindow(65536, 1000)).toBe(65000);
  });
  it('never exceeds 65535 (RFC 7323 §2.2: a SYN window is not scaled)', () => {
    expect(initialWindow(1 << 30, 1)).toBe(65535);
  });
  it('offers a buffer smaller than 64 KiB whole (no rcv_ssthresh to keep it down afterwards)', () => {
    expect(initialWindow(4096, 1448)).toBe(4096);
    expect(initialWindow(65535, 1460)).toBe(65535);
  });
});
