/**
 * IPv4 options on input (RFC 791 §3.1 "Options", RFC 1122 §3.2.1.8). We never
 * act on options; we only decide whether a datagram carrying them is
 * acceptable, as Linux's ip_options_compile / ip_rcv_options decide:
 *  - a malformed option list (length byte < 2 or past the header, a pointer
 *    outside its option) is dropped as 'badOptions';
 *  - loose or strict source routing (LSRR 131, SSRR 137) is dropped as
 *    'sourceRouted': Linux's accept_source_route defaults to 0 for hosts, and
 *    honouring it would let a sender choose our reply path (RFC 1122
 *    §3.2.1.8 makes reversing the route a MUST only for hosts that accept it);
 *  - everything else (record route, timestamps, router alert, unknown kinds)
 *    is skipped.
 */
export const IPOPT_END = 0;
export const IPOPT_NOOP = 1;
export const IPOPT_RR = 7;
export const IPOPT_TS = 68;
export const IPOPT_LSRR = 131;
export const IPOPT_SSRR = 137;

export type IpOptionsVerdict = 'ok' | 'badOptions' | 'sourceRouted';

/** Check the options area buf[20, headerLen). */
export function checkIpOptions(buf: Buffer, headerLen: number): IpOptionsVerdict {
  let i = 20;
  let verdict: IpOptionsVerdict = 'ok';
  while (i < headerLen) {
    const kind = buf[i];
    if (kind === IPOPT_END) break;
    if (kind === IPOPT_NOOP) {
      i++;
      continue;
    }
    if (i + 1 >= headerLen) return 'badOptions';
    const len = buf[i + 1];
    if (len < 2 || i + len > headerLen) return 'badOptions';
    if (kind === IPOPT_LSRR || kind === IPOPT_SSRR || kind === IPOPT_RR) {
      // Linux ip_options_compile: length ≥ 3 and pointer ≥ 4 (1-based, inside the option).
      if (len < 3 || buf[i + 2] < 4) return 'badOptions';
      if (kind !== IPOPT_RR) verdict = 'sourceRouted';
    } else if (kind === IPOPT_TS) {
      if (len < 4 || buf[i + 2] < 5) return 'badOptions';
    }
    i += len;
  }
  return verdict;
}
