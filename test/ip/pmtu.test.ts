import { describe, expect, it } from 'vitest';
import { PmtuCache } from '../../src/ip/pmtu.js';

const D = 0x0a000002;
const MIN = 552;
const EXPIRES = 600_000;

describe('path MTU cache (RFC 1191 §3, §6.3; Linux __ip_rt_update_pmtu, mtu_expires)', () => {
  it('lowers, never raises, and clamps to min_pmtu', () => {
    const p = new PmtuCache();
    expect(p.learn(D, 1280, 1500, 0, MIN, EXPIRES)).toBe(1280);
    expect(p.get(D, 1)).toBe(1280);
    expect(p.learn(D, 1400, 1500, 2, MIN, EXPIRES)).toBeUndefined(); // higher: ignored
    expect(p.learn(D, 1600, 1500, 2, MIN, EXPIRES)).toBeUndefined(); // above the link: ignored
    expect(p.learn(D, 100, 1500, 3, MIN, EXPIRES)).toBe(552); // forged tiny MTU: clamped
    expect(p.learn(D, 0, 1500, 4, MIN, EXPIRES)).toBeUndefined(); // pre-RFC 1191 router: already at the floor
    expect(p.get(0x0a000003, 4)).toBeUndefined();
  });

  it('forgets an estimate after mtu_expires, so the link MTU is tried again', () => {
    const p = new PmtuCache();
    p.learn(D, 1280, 1500, 1000, MIN, EXPIRES);
    expect(p.get(D, 1000 + EXPIRES - 1)).toBe(1280);
    expect(p.get(D, 1000 + EXPIRES)).toBeUndefined();
    expect(p.size).toBe(0);
  });
});
