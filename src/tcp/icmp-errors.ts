/**
 * ICMP errors about segments we sent (RFC 1122 §4.2.3.9, RFC 5927, RFC 1191),
 * as Linux's tcp_v4_err handles them:
 *  - the quoted segment must name a connection and carry a sequence number
 *    between SND.UNA and SND.NXT (RFC 5927 §4.1), so a blind attacker
 *    cannot shrink or abort a connection (Linux OutOfWindowIcmps);
 *  - "fragmentation needed" (type 3 code 4) lowers the path MTU of the
 *    destination (src/ip/pmtu.ts) and the connection resends what is in
 *    flight in smaller segments (tcp_v4_mtu_reduced, tcp_simple_retransmit);
 *    ignored with ip_no_pmtu_disc;
 *  - any other destination unreachable aborts a connection still in
 *    SYN_SENT/SYN_RECEIVED (Linux tcp_done; port or protocol unreachable
 *    means ECONNREFUSED) and is only remembered as a soft error on a
 *    synchronized one: reported if the connection later times out
 *    (RFC 1122 §4.2.3.9: "SHOULD NOT abort"; Linux sk_err_soft);
 *  - time exceeded and source quench change nothing (RFC 6633 for the latter).
 */
import { ICMP_DEST_UNREACHABLE, ICMP_UNREACH_FRAG_NEEDED, ICMP_UNREACH_HOST, ICMP_UNREACH_NET } from '../wire/icmpv4.js';
import type { TcpErrorCode, TcpOptions } from './api.js';
import type { Connection } from './connection.js';
import { seqGe, seqLe } from './seq.js';
import { bump } from './stats.js';

export interface IcmpErrorHost {
  readonly options: TcpOptions;
  readonly stats: Record<string, number>;
  findConnection(localAddr: number, localPort: number, remoteAddr: number, remotePort: number): Connection | undefined;
  learnPathMtu?(dst: number, mtu: number, minPmtu: number, expiresMs: number): number | undefined;
}

const IPPROTO_TCP = 6;

/** Linux icmp_err_convert for the codes TCP distinguishes. */
function unreachableError(code: number): TcpErrorCode {
  if (code === ICMP_UNREACH_NET) return 'ENETUNREACH';
  if (code === ICMP_UNREACH_HOST) return 'EHOSTUNREACH';
  return code === 2 || code === 3 ? 'ECONNREFUSED' : 'EHOSTUNREACH';
}

export function tcpIcmpError(host: IcmpErrorHost, type: number, code: number, quoted: Buffer, nextHopMtu: number): void {
  // RFC 792: the quote holds the IP header and at least 8 bytes of ours (ports and sequence number).
  if (quoted.length < 20 || quoted[0] >>> 4 !== 4 || quoted[9] !== IPPROTO_TCP) return;
  const hl = (quoted[0] & 0x0f) * 4;
  if (hl < 20 || quoted.length < hl + 8) {
    bump(host.stats, 'dropIcmpTruncated');
    return;
  }
  const c = host.findConnection(quoted.readUInt32BE(12), quoted.readUInt16BE(hl), quoted.readUInt32BE(16), quoted.readUInt16BE(hl + 2));
  if (!c) {
    bump(host.stats, 'dropIcmpNoConnection');
    return;
  }
  const seq = quoted.readUInt32BE(hl + 4);
  const t = c.tcb;
  if (!(seqGe(seq, t.sndUna) && seqLe(seq, t.sndMax))) {
    bump(host.stats, 'OutOfWindowIcmps');
    return;
  }
  if (type !== ICMP_DEST_UNREACHABLE) return;
  if (code === ICMP_UNREACH_FRAG_NEEDED) {
    if (!host.options.pmtuDisc) return;
    const o = host.options;
    host.learnPathMtu?.(t.remoteAddr, nextHopMtu, o.minPmtu, o.pmtuExpiresMs);
    c.pathMtuChanged();
    return;
  }
  const err = unreachableError(code);
  if (t.state === 'SYN_SENT' || t.state === 'SYN_RECEIVED') {
    bump(host.stats, 'TCPAbortOnIcmp');
    c.fail(err);
    return;
  }
  c.softError = err;
}
