/**
 * Every rule `tunstack explain` cites: an RFC section (with the section's
 * own title, as the RFC prints it) or a Linux function (with the file that
 * defines it), where the stack follows Linux. The annotations refer to these
 * by id; test/explain/citations.test.ts checks that every cited id is here
 * and that every entry is a section the RFC has or a function Linux has.
 */

export interface RfcCitation {
  rfc: number;
  section: string;
  title: string;
}

export interface LinuxCitation {
  linux: string;
  file: string;
}

export type Citation = RfcCitation | LinuxCitation;

export const CITATIONS = {
  'open-active': { rfc: 9293, section: '3.10.1', title: 'OPEN Call' },
  'close-call': { rfc: 9293, section: '3.10.4', title: 'CLOSE Call' },
  'abort-call': { rfc: 9293, section: '3.10.5', title: 'ABORT Call' },
  'send-call': { rfc: 9293, section: '3.10.2', title: 'SEND Call' },
  closed: { rfc: 9293, section: '3.10.7.1', title: 'CLOSED STATE' },
  listen: { rfc: 9293, section: '3.10.7.2', title: 'LISTEN STATE' },
  'syn-sent': { rfc: 9293, section: '3.10.7.3', title: 'SYN-SENT STATE' },
  other: { rfc: 9293, section: '3.10.7.4', title: 'Other States' },
  timeouts: { rfc: 9293, section: '3.10.8', title: 'Timeouts' },
  'quiet-time': { rfc: 9293, section: '3.4.2', title: 'Knowing When to Keep Quiet' },
  'half-closed': { rfc: 9293, section: '3.6.1', title: 'Half-Closed Connections' },
  mss: { rfc: 9293, section: '3.7.1', title: 'Maximum Segment Size Option' },
  nagle: { rfc: 9293, section: '3.7.4', title: 'Nagle Algorithm' },
  'conn-failures': { rfc: 9293, section: '3.8.3', title: 'TCP Connection Failures' },
  'zero-window-probe': { rfc: 9293, section: '3.8.6.1', title: 'Zero-Window Probing' },
  'sws-receiver': { rfc: 9293, section: '3.8.6.2.2', title: "Receiver's Algorithm -- When to Send a Window Update" },
  'delayed-ack': { rfc: 9293, section: '3.8.6.3', title: 'Delayed Acknowledgments -- When to Send an ACK Segment' },
  isn: { rfc: 6528, section: '3', title: 'Proposed Initial Sequence Number (ISN) Generation Algorithm' },
  'rto-basic': { rfc: 6298, section: '2', title: 'The Basic Algorithm' },
  'rto-manage': { rfc: 6298, section: '5', title: 'Managing the RTO Timer' },
  'ss-ca': { rfc: 5681, section: '3.1', title: 'Slow Start and Congestion Avoidance' },
  'fast-rtx': { rfc: 5681, section: '3.2', title: 'Fast Retransmit/Fast Recovery' },
  'gen-acks': { rfc: 5681, section: '4.2', title: 'Generating Acknowledgments' },
  'sack-recovery': { rfc: 6675, section: '5', title: 'Algorithm Details' },
  'sack-permitted': { rfc: 2018, section: '2', title: 'Sack-Permitted Option' },
  'sack-receiver': { rfc: 2018, section: '4', title: 'Generating Sack Options: Data Receiver Behavior' },
  wscale: { rfc: 7323, section: '2.2', title: 'Window Scale Option' },
  timestamps: { rfc: 7323, section: '3.2', title: 'TCP Timestamps Option' },
  iw: { rfc: 6928, section: '2', title: 'TCP Modification' },
  newreno: { rfc: 6582, section: '3.2', title: 'Specification' },
  'cubic-increase': { rfc: 9438, section: '4.2', title: 'Window Increase Function' },
  'cubic-decrease': { rfc: 9438, section: '4.6', title: 'Multiplicative Decrease' },
  'cubic-timeout': { rfc: 9438, section: '4.8', title: 'Timeout' },
  tlp: { rfc: 8985, section: '7.3', title: 'Sending a Loss Probe upon PTO Expiration' },
  'syn-rst-attack': { rfc: 5961, section: '4.2', title: 'Mitigation' },
  'syn-cookies': { rfc: 4987, section: '3.6', title: 'SYN Cookies' },
  'ack-delay-1122': { rfc: 1122, section: '4.2.3.2', title: 'When to Send an ACK Segment' },
  'ip-fragment': { rfc: 791, section: '2.3', title: 'Function Description' },
  'ip-reassembly': { rfc: 815, section: '3', title: 'Fragment Processing Algorithm' },
  'tcp-pmtud': { rfc: 9293, section: '3.7.2', title: 'Path MTU Discovery' },
  'pmtu-host': { rfc: 1191, section: '3', title: 'Host specification' },
  'pmtu-router': { rfc: 1191, section: '4', title: 'Router specification' },
  'pmtu-tcp': { rfc: 1191, section: '6.4', title: 'TCP layer actions' },
  'pmtu-tcp-v6': { rfc: 8201, section: '5.4', title: 'TCP Layer Actions' },
  plpmtud: { rfc: 4821, section: '1', title: 'Introduction' },
  'linux-cookie-init': { linux: 'cookie_v4_init_sequence', file: 'net/ipv4/syncookies.c' },
  'linux-cookie-check': { linux: 'cookie_v4_check', file: 'net/ipv4/syncookies.c' },
  'linux-nagle': { linux: 'tcp_nagle_check', file: 'net/ipv4/tcp_output.c' },
  'linux-delack': { linux: 'tcp_send_delayed_ack', file: 'net/ipv4/tcp_output.c' },
  'linux-probe0': { linux: 'tcp_send_probe0', file: 'net/ipv4/tcp_output.c' },
  'linux-rtx-timer': { linux: 'tcp_retransmit_timer', file: 'net/ipv4/tcp_timer.c' },
  'linux-write-timeout': { linux: 'tcp_write_timeout', file: 'net/ipv4/tcp_timer.c' },
  'linux-tw': { linux: 'tcp_timewait_state_process', file: 'net/ipv4/tcp_minisocks.c' },
  'linux-quickack': { linux: '__tcp_ack_snd_check', file: 'net/ipv4/tcp_input.c' },
  'linux-ip-forward': { linux: 'ip_forward', file: 'net/ipv4/ip_forward.c' },
  'linux-tcp-v4-err': { linux: 'tcp_v4_err', file: 'net/ipv4/tcp_ipv4.c' },
  'linux-mtu-reduced': { linux: 'tcp_v4_mtu_reduced', file: 'net/ipv4/tcp_ipv4.c' },
} as const satisfies Record<string, Citation>;

export type CitationId = keyof typeof CITATIONS;

/** "RFC 9293 §3.10.7.4" or "Linux tcp_nagle_check()". */
export function citeLabel(id: CitationId): string {
  const c: Citation = CITATIONS[id];
  if ('rfc' in c) return c.section === 'Format' ? `RFC ${c.rfc}` : `RFC ${c.rfc} §${c.section}`;
  return `Linux ${c.linux}()`;
}
