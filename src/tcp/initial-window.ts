/**
 * The window our SYN or SYN-ACK offers (RFC 7323 §2.2: never scaled, so at
 * most 65535), as Linux tcp_select_initial_window picks it: the receive space
 * rounded down to a whole number of segments ("quantize space offering to a
 * multiple of mss"), where the segment is the MSS we advertise less the
 * timestamp option when both sides use it (tcp_openreq_init_rwin; a SYN
 * counts the full MSS, tcp_connect_init). Linux's space is its initial
 * receive buffer's share for data, 64 KiB with the default tcp_rmem
 * (131072 / 2). So a SYN says 64240 and a SYN-ACK with timestamps 65160, as
 * every Linux peer does.
 */
const LINUX_INITIAL_SPACE = 65536;

export function initialWindow(rcvBuf: number, segment: number): number {
  // A buffer smaller than that is offered whole: without Linux's rcv_ssthresh
  // (not modelled) the next window would grow back to the free buffer anyway,
  // and a rounded-down SYN window would only shrink the first flight.
  if (rcvBuf < LINUX_INITIAL_SPACE) return Math.min(rcvBuf, 65535);
  let space = LINUX_INITIAL_SPACE;
  if (segment > 0) space -= space % segment;
  return Math.min(space, 65535);
}

/** TCPOLEN_TSTAMP_ALIGNED: the timestamp option with its two NOPs. */
export const TS_ALIGNED = 12;
