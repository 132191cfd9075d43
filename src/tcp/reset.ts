/**
 * Resets for segments that belong to no connection (RFC 9293 §3.10.7.1,
 * "If the state is CLOSED"), also used by LISTEN for a stray ACK
 * (§3.10.7.2) and by SYN-RECEIVED for an unacceptable ACK (§3.10.7.4).
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpRepr } from '../wire/tcp.js';

const EMPTY = Buffer.alloc(0);

/** SEG.LEN: data plus one for each of SYN and FIN (RFC 9293 §3.4). */
export function segLen(seg: TcpRepr): number {
  return seg.payload.length + (seg.flags & TCP_SYN ? 1 : 0) + (seg.flags & TCP_FIN ? 1 : 0);
}

/**
 * The RST answering `seg`, or undefined when `seg` is itself a RST (an
 * incoming RST is discarded, never answered — RFC 9293 §3.10.7.1):
 *  - ACK set:   <SEQ=SEG.ACK><CTL=RST>
 *  - ACK clear: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
 * Ports are swapped; no options (Linux sends none on a reset without a socket).
 */
export function resetFor(seg: TcpRepr): TcpRepr | undefined {
  if (seg.flags & TCP_RST) return undefined;
  const ackSet = (seg.flags & TCP_ACK) !== 0;
  return {
    srcPort: seg.dstPort,
    dstPort: seg.srcPort,
    seq: ackSet ? seg.ack >>> 0 : 0,
    ack: ackSet ? 0 : (seg.seq + segLen(seg)) >>> 0,
    flags: ackSet ? TCP_RST : TCP_RST | TCP_ACK,
    window: 0,
    urgent: 0,
    options: {},
    payload: EMPTY,
  };
}
