/**
 * Per-destination path MTU learnt from ICMP "fragmentation needed" (RFC 1191
 * §3, §6.3), as Linux keeps it in a route exception (__ip_rt_update_pmtu):
 * an estimate only ever lowers the MTU, is clamped from below to min_pmtu
 * (552; a lower value is taken as 552, so a forged ICMP cannot make us send
 * tiny segments, RFC 5927 §7.2), and expires after mtu_expires (600 s), after
 * which the link MTU is tried again (RFC 1191 §6.3: "periodically increase").
 * Time comes from the caller (no clock here); nothing is kept per packet.
 */
interface Entry {
  mtu: number;
  expiresAt: number;
}

/** Bound on remembered destinations; the oldest entry goes first (Linux bounds its exception table too). */
const MAX_ENTRIES = 4096;

export class PmtuCache {
  private readonly entries = new Map<number, Entry>();

  /** The learnt path MTU to `dst`, or undefined (no estimate, or it expired). */
  get(dst: number, now: number): number | undefined {
    const e = this.entries.get(dst);
    if (!e) return undefined;
    if (now >= e.expiresAt) {
      this.entries.delete(dst);
      return undefined;
    }
    return e.mtu;
  }

  /**
   * A frag-needed for `dst` reported `mtu` (0 from pre-RFC 1191 routers).
   * Returns the path MTU now in force if it went down, else undefined.
   */
  learn(dst: number, mtu: number, linkMtu: number, now: number, minPmtu: number, expiresMs: number): number | undefined {
    const cur = this.get(dst, now) ?? linkMtu;
    const next = Math.min(cur, Math.max(mtu, minPmtu));
    if (next >= cur) return undefined;
    this.entries.delete(dst);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as number);
    this.entries.set(dst, { mtu: next, expiresAt: now + expiresMs });
    return next;
  }

  get size(): number {
    return this.entries.size;
  }
}
