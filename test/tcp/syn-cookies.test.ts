import { describe, expect, it } from 'vitest';
import {
  COOKIE_PERIOD_MS,
  MSS_TABLE,
  SynCookies,
  decodeCookieTs,
  encodeCookieTs,
  mssIndex,
} from '../../src/tcp/syn-cookies.js';
import { SeededRng } from '../../src/util/random.js';
import type { FourTuple } from '../../src/tcp/env.js';

const T: FourTuple = { localAddr: 0x0a000001, localPort: 80, remoteAddr: 0x0a000002, remotePort: 40000 };
const IRS = 0x12345678;
const SEED = 4987;

describe('SYN cookies (RFC 4987 §3.6, Linux syncookies.c layout)', () => {
  console.log(`syn-cookies seed ${SEED}`);

  it('round-trips: a cookie made now validates and yields the MSS table entry', () => {
    const c = new SynCookies(new SeededRng(SEED));
    const now = 10 * COOKIE_PERIOD_MS + 5;
    const cookie = c.make(T, IRS, 1460, now);
    expect(c.check(T, IRS, cookie, now)).toBe(1460);
  });

  it('rounds the peer MSS down to Linux msstab (536, 1300, 1440, 1460)', () => {
    expect(MSS_TABLE).toEqual([536, 1300, 1440, 1460]);
    expect(mssIndex(100)).toBe(0);
    expect(mssIndex(1299)).toBe(0);
    expect(mssIndex(1300)).toBe(1);
    expect(mssIndex(1459)).toBe(2);
    expect(mssIndex(9000)).toBe(3);
    const c = new SynCookies(new SeededRng(SEED));
    for (const [mss, want] of [[1400, 1300], [536, 536], [1440, 1440], [65535, 1460]]) {
      const cookie = c.make(T, IRS, mss, 0);
      expect(c.check(T, IRS, cookie, 0)).toBe(want);
    }
  });

  it('top 5 bits carry the counter t mod 32, next 3 the MSS index', () => {
    const c = new SynCookies(new SeededRng(SEED));
    const now = 37 * COOKIE_PERIOD_MS;
    const cookie = c.make(T, IRS, 1440, now);
    expect(cookie >>> 27).toBe(37 % 32);
    expect((cookie >>> 24) & 7).toBe(2);
  });

  it('accepts the previous counter value, rejects older ones', () => {
    const c = new SynCookies(new SeededRng(SEED));
    const t0 = 100 * COOKIE_PERIOD_MS + 63_999;
    const cookie = c.make(T, IRS, 1460, t0);
    expect(c.check(T, IRS, cookie, t0 + 1)).toBe(1460); // next period
    expect(c.check(T, IRS, cookie, t0 + 1 + COOKIE_PERIOD_MS - 1)).toBe(1460);
    expect(c.check(T, IRS, cookie, t0 + 1 + COOKIE_PERIOD_MS)).toBeUndefined(); // two periods on
    expect(c.check(T, IRS, cookie, t0 + 32 * COOKIE_PERIOD_MS)).toBeUndefined(); // wrapped counter
  });

  it('rejects another secret, another tuple, another peer ISN, a tampered MSS index', () => {
    const c = new SynCookies(new SeededRng(SEED));
    const other = new SynCookies(new SeededRng(SEED + 1));
    const cookie = c.make(T, IRS, 1460, 0);
    expect(other.check(T, IRS, cookie, 0)).toBeUndefined();
    expect(c.check({ ...T, remotePort: 40001 }, IRS, cookie, 0)).toBeUndefined();
    expect(c.check({ ...T, remoteAddr: 0x0a000003 }, IRS, cookie, 0)).toBeUndefined();
    expect(c.check(T, IRS + 1, cookie, 0)).toBeUndefined();
    const tampered = (cookie & ~(7 << 24)) | (0 << 24);
    expect(c.check(T, IRS, tampered >>> 0, 0)).toBeUndefined();
    expect(c.check(T, IRS, (cookie | (7 << 24)) >>> 0, 0)).toBeUndefined(); // index out of table
  });

  it('forged cookies are rejected (about 2^-24 chance each)', () => {
    const c = new SynCookies(new SeededRng(SEED));
    const rng = new SeededRng(SEED + 2);
    let accepted = 0;
    for (let i = 0; i < 5000; i++) if (c.check(T, IRS, rng.u32(), 0) !== undefined) accepted++;
    expect(accepted).toBe(0);
  });

  it('carries wscale and SACK-permitted in the low TSval bits (Linux cookie_init_timestamp)', () => {
    const ts = encodeCookieTs(0xabcdef12, { wscale: 7, sackOk: true });
    expect(ts & ~0x3f).toBe(0xabcdef12 & ~0x3f);
    expect(decodeCookieTs(ts)).toEqual({ wscale: 7, sackOk: true, ecnOk: false });
    expect(decodeCookieTs(encodeCookieTs(0xabcdef12, { wscale: 7, sackOk: true, ecnOk: true })).ecnOk).toBe(true);
    expect(decodeCookieTs(encodeCookieTs(5000, { wscale: undefined, sackOk: false }))).toEqual({
      wscale: undefined,
      sackOk: false,
      ecnOk: false,
    });
    expect(decodeCookieTs(encodeCookieTs(5000, { wscale: 0, sackOk: false })).wscale).toBe(0);
  });
});
