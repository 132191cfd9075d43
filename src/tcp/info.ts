/** The `ss -tni` view of a connection: TcpInfo filled from the TCB and its helpers. */
import type { TcpInfo } from './api.js';
import type { Connection } from './connection.js';
import { rcvWnd } from './output.js';
import { seqSub } from './seq.js';

export function connectionInfo(c: Connection): TcpInfo {
  const t = c.tcb;
  return {
    state: t.state,
    localAddr: t.localAddr,
    localPort: t.localPort,
    remoteAddr: t.remoteAddr,
    remotePort: t.remotePort,
    sndUna: t.sndUna,
    sndNxt: t.sndNxt,
    sndWnd: t.sndWnd,
    rcvNxt: t.rcvNxt,
    rcvWnd: rcvWnd(c),
    sendQueue: c.snd.length,
    recvQueue: c.rcv.queued,
    cwnd: c.cc.window,
    ssthresh: c.cc.ssthresh,
    srtt: c.rtt.srtt,
    rttvar: c.rtt.rttvar,
    rto: c.rtt.rto,
    mss: t.mss,
    sndWscale: t.sndWscale,
    rcvWscale: t.rcvWscale,
    unacked: Math.ceil(seqSub(t.sndNxt, t.sndUna) / Math.max(1, t.mss)),
    retransmits: t.retransmits,
    totalRetrans: t.totalRetrans,
    caState: c.rtxKind === 'rtx' && t.retransmits > 0 ? 'loss' : c.recovery.inRecovery ? 'recovery' : c.recovery.dupAcks > 0 ? 'disorder' : 'open',
    sacked: Math.ceil(c.sack.sackedBytes / Math.max(1, t.mss)),
    lost: 0,
    reordering: 3,
    timestamps: t.tsOk,
    sackOk: t.sackOk,
    advmss: c.advMss,
    rcvMss: c.rcvMss,
  };
}
