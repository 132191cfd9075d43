/**
 * The rules of path MTU discovery (RFC 1191 for IPv4; RFC 8201 restates
 * them for IPv6; RFC 9293 §3.7.2 asks TCP to use it): a router that cannot
 * forward a DF datagram answers "fragmentation needed" with its next-hop
 * MTU, the sender lowers its path MTU estimate for that destination, and
 * TCP cuts its segment size and resends what was in flight. Like rules.ts,
 * these read only the trace: packets, counters and connection snapshots.
 */
import type { RuleHit } from './rules.js';
import type { StepFacts } from './facts.js';
import type { Side, TraceSegment } from './trace-format.js';

const isFragNeeded = (s: TraceSegment): boolean => s.icmp?.mtu !== undefined;

/** The router's answer: a DF datagram too big for its next hop, dropped, and the ICMP that says so. */
const routerAnswer = (f: StepFacts): RuleHit[] => {
  const tooBig = f.step.segments.find((s) => s.dropped === 'too-big');
  const icmp = f.step.segments.find((s) => isFragNeeded(s) && !f.arrivedPackets.includes(s));
  if (!tooBig || !icmp) return [];
  return [
    {
      cite: 'pmtu-router',
      also: ['linux-ip-forward'],
      text:
        `router ${icmp.icmp!.src}: a ${tooBig.ip.len}-byte datagram with DF set does not fit its ${icmp.icmp!.mtu}-byte next hop and may not be fragmented → ` +
        'drop it, answer the sender with ICMP destination unreachable, fragmentation needed (type 3, code 4), the next-hop MTU in the header and the datagram\'s IP header and first 8 bytes quoted',
    },
  ];
};

/** The sender's side: the ICMP arrives, the path MTU goes down, TCP cuts its MSS and resends. */
const senderReaction = (f: StepFacts): RuleHit[] => {
  const side = f.receiver;
  if (!side) return [];
  const icmp = f.arrivedPackets.find(isFragNeeded);
  if (!icmp) return [];
  const c = f.counters[side];
  const mtu = icmp.icmp!.mtu!;
  if ((c['Tcp.OutOfWindowIcmps'] ?? 0) > 0) {
    return [{ side, cite: 'pmtu-host', also: ['linux-tcp-v4-err'], text: 'the quoted sequence number is not between SND.UNA and SND.NXT: not about data we have in flight (perhaps forged) → ignore it' }];
  }
  if ((c['Icmp.pmtuLearnt'] ?? 0) === 0) {
    return [{ side, cite: 'pmtu-host', text: `fragmentation needed, next-hop MTU ${mtu}: the path MTU estimate is already no larger → nothing changes` }];
  }
  const hits: RuleHit[] = [
    {
      side,
      cite: 'pmtu-host',
      also: ['linux-tcp-v4-err'],
      text: `fragmentation needed for a segment still in flight: lower the path MTU to ${peerOf(f, side)} from the link's to ${mtu} (by default never below 552, route.min_pmtu, and forgotten after 10 minutes, route.mtu_expires, when the larger size is tried again)`,
    },
  ];
  const mss = mssChange(f, side);
  if ((c['Tcp.TCPPMTUShrunk'] ?? 0) > 0 && mss) {
    const rtx = f.sent.filter((s) => s.seg.from === side && s.retransmit && (s.seg.tcp?.len ?? 0) > 0);
    hits.push({
      side,
      cite: 'pmtu-tcp',
      also: ['pmtu-tcp-v6', 'linux-mtu-reduced'],
      text:
        `MSS ${mss.before} → ${mss.after} (path MTU − 40 bytes of headers${mss.after < mtu - 40 ? ' − 12 of timestamps' : ''})` +
        (rtx.length > 0 ? `; what was in flight is resent at once in ${rtx.length} segment(s) of the new size — a retransmission, but no congestion signal: cwnd and ssthresh keep their segment counts` : ''),
    });
  }
  hits.push({
    side,
    cite: 'tcp-pmtud',
    also: ['plpmtud'],
    text: 'this works only while routers\' ICMP gets through; where it is filtered (a "black hole") only packetization-layer PMTUD — probing with TCP\'s own segments — finds the size, off here as in Linux (tcp_mtu_probing = 0)',
  });
  return hits;
};

function peerOf(f: StepFacts, side: Side): string {
  const conn = f.step.before[side]?.find((c) => c.state !== 'LISTEN');
  return conn ? conn.key.split('>')[1].split(':')[0] : 'the destination';
}

function mssChange(f: StepFacts, side: Side): { before: number; after: number } | undefined {
  for (const b of f.step.before[side] ?? []) {
    const a = f.step.after[side]?.find((x) => x.key === b.key);
    if (a && a.mss < b.mss) return { before: b.mss, after: a.mss };
  }
  return undefined;
}

export const PMTU_RULES = [routerAnswer, senderReaction];
