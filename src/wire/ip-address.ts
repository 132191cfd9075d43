/**
 * IPv4 addresses are carried as unsigned 32-bit numbers (host order of the
 * value, i.e. 10.0.0.1 === 0x0a000001) everywhere in the stack: comparing and
 * hashing numbers allocates nothing, and views read them with one readUInt32BE.
 */

export type Ipv4Address = number;

/** Parse dotted-quad text; returns undefined for anything else. */
export function parseIpv4(text: string): Ipv4Address | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return v >>> 0;
}

/** Parse or throw a TypeError naming the bad text (API misuse, not packet input). */
export function ipv4(text: string): Ipv4Address {
  const v = parseIpv4(text);
  if (v === undefined) throw new TypeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  return v;
}

export function formatIpv4(a: Ipv4Address): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Parse "a.b.c.d/len" into address and prefix length. */
export function parseCidr(text: string): { addr: Ipv4Address; prefixLen: number } | undefined {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const addr = parseIpv4(m[1]);
  const prefixLen = Number(m[2]);
  if (addr === undefined || prefixLen > 32) return undefined;
  return { addr, prefixLen };
}

export function prefixMask(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}
