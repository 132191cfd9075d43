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

  // Send sequence space (RFC 9293 §3.3.1): iss, sndUna, sndNxt, sndMax,
  // sndWl1, sndWl2 (accessors below). sndMax is the highest sequence number
  // ever sent: after an RTO sndNxt goes back to sndUna (go-back-N) and ACKs
  // up to sndMax remain acceptable.
  /** Peer's window in bytes (already scaled). */
  sndWnd = 0;
  /** Largest window the peer ever offered (RFC 5961 §5.2 MAX.SND.WND). */
  maxSndWnd = 0;

  // Receive sequence space: irs, rcvNxt, rcvAdv (accessors below). rcvAdv is
  // the right edge we have advertised (RCV.NXT + RCV.WND at the time); it
  // never moves left (RFC 9293 §3.8.6.2.2).

  // Negotiated options (RFC 7323, RFC 2018, RFC 9293 §3.7.1).
  sndWscale = 0;
  rcvWscale = 0;
  sackOk = false;
  tsOk = false;
  tsRecentAt = 0;
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

  // Sequence numbers and timestamps: uint32 to every reader, stored as int32.
  // A field that ever holds a number above 2^31 - 1 (half of all sequence
  // numbers) is a double field to V8, boxed in its own 16-byte heap number
  // in every connection; int32 stays an immediate (bench/scale.ts: 160 B per
  // idle connection).
  private _iss = 0;
  get iss(): number {
    return this._iss >>> 0;
  }
  set iss(v: number) {
    this._iss = v | 0;
  }
  private _sndUna = 0;
  get sndUna(): number {
    return this._sndUna >>> 0;
  }
  set sndUna(v: number) {
    this._sndUna = v | 0;
  }
  private _sndNxt = 0;
  get sndNxt(): number {
    return this._sndNxt >>> 0;
  }
  set sndNxt(v: number) {
    this._sndNxt = v | 0;
  }
  private _sndMax = 0;
  get sndMax(): number {
    return this._sndMax >>> 0;
  }
  set sndMax(v: number) {
    this._sndMax = v | 0;
  }
  private _sndWl1 = 0;
  get sndWl1(): number {
    return this._sndWl1 >>> 0;
  }
  set sndWl1(v: number) {
    this._sndWl1 = v | 0;
  }
  private _sndWl2 = 0;
  get sndWl2(): number {
    return this._sndWl2 >>> 0;
  }
  set sndWl2(v: number) {
    this._sndWl2 = v | 0;
  }
  private _irs = 0;
  get irs(): number {
    return this._irs >>> 0;
  }
  set irs(v: number) {
    this._irs = v | 0;
  }
  private _rcvNxt = 0;
  get rcvNxt(): number {
    return this._rcvNxt >>> 0;
  }
  set rcvNxt(v: number) {
    this._rcvNxt = v | 0;
  }
  private _rcvAdv = 0;
  get rcvAdv(): number {
    return this._rcvAdv >>> 0;
  }
  set rcvAdv(v: number) {
    this._rcvAdv = v | 0;
  }
  private _tsRecent = 0;
  get tsRecent(): number {
    return this._tsRecent >>> 0;
  }
  set tsRecent(v: number) {
    this._tsRecent = v | 0;
  }
  private _tsOffset = 0;
  get tsOffset(): number {
    return this._tsOffset >>> 0;
  }
  set tsOffset(v: number) {
    this._tsOffset = v | 0;
  }
  private _lastAckSent = 0;
  get lastAckSent(): number {
    return this._lastAckSent >>> 0;
  }
  set lastAckSent(v: number) {
    this._lastAckSent = v | 0;
  }
}
