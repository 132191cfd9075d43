/**
 * The transmission control block: the RFC 9293 §3.3.1 state variables as
 * plain data, named as the RFC names them. The same fields feed info() (the
 * `ss -tni` view). Logic lives in input.ts / output.ts / connection.ts and
 * its role files (lifecycle.ts, sender.ts, receiver.ts, timer-slots.ts).
 */
import type { TcpState } from './api.js';
import type { FourTuple } from './env.js';

export class Tcb implements FourTuple {
  state: TcpState = 'CLOSED';
  /** Created by a listener (passive open) rather than connect(). */
  passive = false;

  localAddr = 0;
  localPort = 0;
  remoteAddr = 0;
  remotePort = 0;

  // Send sequence space (RFC 9293 §3.3.1). sndMax is the highest sequence
  // number ever sent: after an RTO sndNxt goes back to sndUna (go-back-N) and
  // ACKs up to sndMax remain acceptable.
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  sndMax = 0;
  /** Peer's window in bytes (already scaled). */
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  /** Largest window the peer ever offered (RFC 5961 §5.2 MAX.SND.WND). */
  maxSndWnd = 0;

  // Receive sequence space. rcvAdv is the right edge we have advertised
  // (RCV.NXT + RCV.WND at the time); it never moves left (RFC 9293 §3.8.6.2.2).
  irs = 0;
  rcvNxt = 0;
  rcvAdv = 0;

  // Negotiated options (RFC 7323, RFC 2018, RFC 9293 §3.7.1).
  sndWscale = 0;
  rcvWscale = 0;
  sackOk = false;
  tsOk = false;
  tsRecent = 0;
  tsRecentAt = 0;
  tsOffset = 0;
  lastAckSent = 0;
  peerMss = 536;
  /** Payload bytes per full segment: min(peer MSS, our MSS) minus the TS option. */
  mss = 536;

  /** The application asked for FIN (shutdownWrite/close); finSeq is set once it is placed in sequence space. */
  finQueued = false;
  finSeq = -1;
  /** close() (not just shutdownWrite): later data gets RST and FIN_WAIT_2 times out (Linux). */
  fullyClosed = false;
  /** Peer's FIN has been consumed (RCV.NXT moved past it). */
  finReceived = false;

  /** Consecutive retransmissions of the same data (backoff count), and the total (tcpi_total_retrans). */
  retransmits = 0;
  totalRetrans = 0;

  /** Bytes acknowledged by the peer / received in order (tcpi_bytes_acked, tcpi_bytes_received). */
  bytesAcked = 0;
  bytesReceived = 0;
  /** Delivery-rate sample (bytes/s over the last completed round trip) and the current round's start. */
  deliveryRate = 0;
  rateRoundAt = -1;
  rateRoundBytes = 0;
}
