/**
 * The names our DNS service answers for: the stack's own hostname and the
 * `--dns-record name=addr` entries, forward (A) and reverse (PTR under
 * in-addr.arpa, RFC 1035 §3.5). Names compare case-insensitively (RFC 4343)
 * and without the trailing root dot. One name may have several addresses
 * (several --dns-record entries), which is how an answer grows past 512 bytes.
 */
import { formatIpv4, parseIpv4 } from '../wire/ip-address.js';

export class Zone {
  private readonly forward = new Map<string, string[]>();
  private readonly reverse = new Map<string, string[]>();

  add(name: string, addr: string): void {
    const key = normalizeName(name);
    const list = this.forward.get(key) ?? [];
    if (!list.includes(addr)) list.push(addr);
    this.forward.set(key, list);
    const rev = reverseName(addr);
    const names = this.reverse.get(rev) ?? [];
    if (!names.includes(key)) names.push(key);
    this.reverse.set(rev, names);
  }

  /** Addresses of `name`, or undefined if the name does not exist (NXDOMAIN). */
  addresses(name: string): string[] | undefined {
    return this.forward.get(normalizeName(name));
  }

  /** Names for an `x.x.x.x.in-addr.arpa` name, or undefined. */
  pointers(name: string): string[] | undefined {
    return this.reverse.get(normalizeName(name));
  }

  /** Every forward entry, for printing. */
  entries(): Array<[string, string[]]> {
    return [...this.forward.entries()];
  }
}

export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** 10.77.0.2 → 2.0.77.10.in-addr.arpa (RFC 1035 §3.5). */
export function reverseName(addr: string): string {
  return addr.split('.').reverse().join('.') + '.in-addr.arpa';
}

/**
 * A host name as RFC 1035 §2.3.1/§2.3.4 allows (labels of letters, digits
 * and hyphens, 1..63 octets, 253 in all; underscores tolerated as many
 * resolvers do), or an error naming the rule.
 */
export function checkHostname(name: string): string | undefined {
  const n = name.replace(/\.$/, '');
  if (n.length === 0 || n.length > 253) return 'must be 1 to 253 characters';
  for (const label of n.split('.')) {
    if (label.length === 0 || label.length > 63) return `label '${label}' must be 1 to 63 characters`;
    if (!/^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?$/.test(label)) return `label '${label}' may hold letters, digits and inner hyphens only`;
  }
  return undefined;
}

/** Parse `name=addr` (a --dns-record value); a string is the error. */
export function parseRecordSpec(spec: string): { name: string; addr: string } | string {
  const eq = spec.indexOf('=');
  if (eq < 0) return `--dns-record '${spec}' must look like name=addr (e.g. web.test=10.77.0.5)`;
  const name = spec.slice(0, eq).trim();
  const addrText = spec.slice(eq + 1).trim();
  const bad = checkHostname(name);
  if (bad) return `--dns-record '${spec}': the name ${bad}`;
  const addr = parseIpv4(addrText);
  if (addr === undefined) return `--dns-record '${spec}': '${addrText}' is not an IPv4 address`;
  return { name, addr: formatIpv4(addr) };
}
