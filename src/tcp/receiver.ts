/**
 * The receiving side of a connection (gVisor tcp/rcv.go) as the application
 * sees it: reading reopens the window and may owe the peer a window update
 * (RFC 9293 §3.8.6.2.2, Linux tcp_cleanup_rbuf); the ACKs held back during a
 * receive batch leave at its end. Segment processing itself is input.ts.
 */
import type { Connection } from './connection.js';
import { rcvWnd, sendAck, transmit, updateRcvWindow } from './output.js';
import { ackAfterRead, setQuickAck as setQuickAckMode } from './ack-policy.js';

/** Take the next chunk of in-order data, announcing the reopened window when it has grown enough. */
export function readData(c: Connection): Buffer | null {
  const b = c.rcv.read();
  if (b === null || c.isClosed) return b;
  const t = c.tcb;
  const before = rcvWnd(c);
  updateRcvWindow(c);
  const after = rcvWnd(c);
  // Window update once the window has at least doubled (Linux tcp_cleanup_rbuf);
  // updateRcvWindow already applied the RFC 9293 §3.8.6.2.2 threshold.
  const windowOpened = after > before && (before === 0 || after >= 2 * before) && !t.finReceived;
  if ((windowOpened || ackAfterRead(c, b.length)) && c.isSynchronized()) {
    // Inside a receive batch the update rides on the batch-end ACK (TcpEnv.deferAck).
    if (!c.ackPending) c.ackDeferrable = true;
    c.ackPending = true;
    if (c.ackDeferrable && (c.ackDeferred || c.env.deferAck?.(c))) {
      c.ackDeferred = true;
      return b;
    }
    sendAck(c);
    c.schedule();
  }
  return b;
}

/** TCP_QUICKACK (Linux tcp(7)): 0 delays ACKs (interactive mode), 1 sends an owed ACK now. */
export function setQuickAck(c: Connection, on: boolean): void {
  if (setQuickAckMode(c, on) && !c.isClosed && c.isSynchronized()) {
    sendAck(c);
    c.schedule();
  }
}

/** Any segment from the peer: it is alive (keepalive restarts, RFC 1122 §4.2.3.6; persist probes reset). */
export function noteReceived(c: Connection): void {
  const now = c.env.clock.now();
  c.lastRecvAt = now;
  c.kaProbes = 0;
  c.probesOut = 0;
  if (c.keepAlive) c.kaAt = now + c.keepAliveIdle;
}

/** Batch end (TcpEnv.deferAck): send the ACK held back during the batch, if still owed. */
export function flushDeferredAck(c: Connection): void {
  const owed = c.outputDeferred || c.ackPending;
  c.outputDeferred = false;
  c.ackDeferred = false;
  c.ackDeferrable = false;
  // The batch end plays Linux's compressed-ACK timer, which sends one of the folded ACKs (tcp_compressed_ack_kick).
  if (c.acks.compressed > 0) c.acks.compressed--;
  if (!c.isClosed && owed) transmit(c);
}
