/** The `ss -tni` view of a connection: TcpInfo filled from the TCB and its helpers. */
import type { TcpInfo, TimerDeadlines } from './api.js';
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
    cwnd: c.cwndBytes,
    ssthresh: Math.min(0x7fffffff, c.cc.ssthresh * t.mss),
    congestionControl: c.cc.name,
    srtt: c.rtt.srtt,
    rttvar: c.rtt.rttvar,
    rto: c.rtt.rto,
    mss: t.mss,
    sndWscale: t.sndWscale,
    rcvWscale: t.rcvWscale,
    unacked: Math.ceil(seqSub(t.sndNxt, t.sndUna) / Math.max(1, t.mss)),
    retransmits: t.retransmits,
    totalRetrans: t.totalRetrans,
    caState: c.rtxKind === 'rtx' && t.retransmits > 0 ? 'loss' : c.recovery.caState,
    sacked: Math.ceil(c.sack.sackedBytes / Math.max(1, t.mss)),
    lost: 0,
    reordering: 3,
    timestamps: t.tsOk,
    sackOk: t.sackOk,
    ecn: c.ecn.ok,
    ecnCeReceived: c.ecn.ceReceived,
    ecnReductions: c.ecn.reductions,
    advmss: c.advMss,
    rcvMss: c.rcvMss,
    rcvSsthresh: Number.isFinite(c.rwin.ssthresh) ? c.rwin.ssthresh : 0,
    rcvSpace: c.rwin.space,
    iss: t.iss,
    irs: t.irs,
    bytesAcked: t.bytesAcked,
    bytesReceived: t.bytesReceived,
    deliveryRate: t.deliveryRate,
    ccName: c.cc.name,
    ...controllerInfo(c),
    timers: connectionTimers(c),
  };
}

/** The controller's own tcp_info fields (Linux tcp_get_info → ca_ops->get_info: BBR's model, the pacing rate). */
function controllerInfo(c: Connection): Partial<TcpInfo> {
  const i = c.cc.info?.();
  if (!i) return {};
  const out: Partial<TcpInfo> = {};
  for (const k of ['pacingRate', 'bbrBw', 'bbrMinRtt', 'bbrPacingGain', 'bbrCwndGain'] as const) if (i[k] !== undefined) out[k] = i[k];
  return out;
}

/** The connection's armed deadlines, by what they are for (the 'rtx' slot is shared, connection.ts). */
export function connectionTimers(c: Connection): TimerDeadlines {
  const out: TimerDeadlines = {};
  if (c.rtxAt !== Infinity) {
    if (c.rtxKind === 'rtx') {
      if (c.probeArmed) out.lossProbe = c.rtxAt;
      // A probe due at the RTO's own time replaces it (Linux tcp_schedule_loss_probe): the probe re-arms the RTO.
      if (!c.probeArmed || c.rtoAt > c.rtxAt) out.retransmit = c.probeArmed ? c.rtoAt : c.rtxAt;
    } else if (c.rtxKind === 'persist') out.persist = c.rtxAt;
    else if (c.rtxKind === 'finwait2') out.finWait2 = c.rtxAt;
  }
  if (c.delackAt !== Infinity) out.delayedAck = c.delackAt;
  if (c.kaAt !== Infinity) out.keepalive = c.kaAt;
  return out;
}
