/**
 * Model-based testing of one TCP connection (fast-check commands): our stack
 * holds a passively opened connection; the fuzzer plays the peer with raw
 * segments and the application with reads, writes and shutdowns. A reference
 * model of RFC 9293's state diagram (§3.3.2) and of both sequence spaces
 * predicts, after every command, the state, RCV.NXT and SND.UNA; the real
 * connection must agree, keep SND.UNA ≤ SND.NXT, send only bytes the
 * application wrote at the sequence numbers they were written at, stay inside
 * the peer's window, and deliver the peer's bytes exactly. Blind attacks
 * (RFC 5961: RST and SYN in the window but not exact, data with an ACK of
 * unsent data, segments outside the window) must change nothing.
 */
import fc from 'fast-check';
import type { TcpConnection, TcpInfo, TcpState } from '../tcp/api.js';
import { seqLe, seqSub } from '../tcp/seq.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, parseTcpSegment, type TcpRepr } from '../wire/tcp.js';
import { loadHexCorpus } from './corpus.js';
import { check, type FuzzTarget } from './harness.js';
import { checkSent } from './invariants.js';
import { readdress, tcpPacket } from './packets.js';
import { PEER, US, buildFuzzStack, type FuzzStack } from './stack-target.js';

/** What the model knows: the RFC state and both sequence spaces. */
interface Model {
  state: TcpState | 'CLOSED';
  /** Next byte we expect from the peer (our RCV.NXT). */
  rcvNxt: number;
  /** Our SND.UNA as the peer has acknowledged it. */
  sndUna: number;
  /** Bytes the application wrote (the send stream from ISS+1). */
  written: number;
  /** Bytes the peer sent that the application has not read. */
  unread: number;
  peerFinSent: boolean;
  appShutdown: boolean;
}

interface Real {
  f: FuzzStack;
  conn: TcpConnection;
  iss: number;
  irs: number;
  /** Highest sequence end we have seen our stack send (data + FIN). */
  sentMax: number;
  finSeq: number;
  /** Peer's stream so far (for byte-exact reads), and what was read. */
  peerStream: Buffer[];
  readBytes: Buffer[];
  closedByRst: boolean;
  peerWindow: number;
}

function liveInfo(r: Real): TcpInfo | undefined {
  return r.f.stack.connections().find((c) => c.remotePort === r.f.peerPort && c.localPort === 80 && c.state !== 'LISTEN');
}

/** Read what our stack sent: every data byte must be the application's byte at that offset, within the peer's window. */
function absorbSent(m: Model, r: Real): void {
  const sent = r.f.link.take();
  checkSent(sent, r.f.link.mtu);
  for (const p of sent) {
    const seg = parseTcpSegment(p.subarray(20), US, PEER);
    if (typeof seg === 'string' || seg.dstPort !== r.f.peerPort) continue;
    if (seg.flags & TCP_RST) continue;
    const off = seqSub(seg.seq, r.iss + 1);
    if (seg.payload.length) {
      check(off >= 0 && off + seg.payload.length <= m.written, 'sent bytes the application never wrote', { off, len: seg.payload.length, written: m.written });
      for (let i = 0; i < seg.payload.length; i++) check(seg.payload[i] === streamByte(off + i), 'sent a byte that differs from what was written', off + i);
      check(seqLe(seg.seq + seg.payload.length, m.sndUna + r.peerWindow), 'sent beyond the peer window');
    }
    let end = seg.seq + seg.payload.length;
    if (seg.flags & TCP_FIN) {
      check(m.appShutdown, 'sent FIN before the application shut down');
      r.finSeq = end >>> 0;
      end += 1;
    }
    if (seqSub(end >>> 0, r.sentMax) > 0) r.sentMax = end >>> 0;
  }
}

/** The application's byte at stream offset i (a pattern, so no copy is kept). */
function streamByte(i: number): number {
  return (i * 31 + 7) & 255;
}

function peerSegment(r: Real, m: Model, flags: number, seq: number, ack: number, payload = Buffer.alloc(0)): void {
  const seg: TcpRepr = { srcPort: r.f.peerPort, dstPort: 80, seq: seq >>> 0, ack: ack >>> 0, flags, window: r.peerWindow >>> 10, urgent: 0, options: {}, payload };
  r.f.link.inject(tcpPacket(seg, PEER, US));
  absorbSent(m, r);
}

function finAcked(r: Real, ack: number): boolean {
  return r.finSeq >= 0 && seqLe(r.finSeq + 1, ack);
}

/** RFC 9293 §3.10.7.4 fifth check: what an acceptable ACK of everything sent does to the state. */
function modelAckAll(m: Model, r: Real, ack: number): void {
  m.sndUna = ack;
  if (!finAcked(r, ack)) return;
  if (m.state === 'FIN_WAIT_1') m.state = 'FIN_WAIT_2';
  else if (m.state === 'CLOSING') m.state = 'TIME_WAIT';
  else if (m.state === 'LAST_ACK') m.state = 'CLOSED';
}

function compare(m: Model, r: Real): void {
  const info = liveInfo(r);
  const state = info?.state ?? 'CLOSED';
  check(state === m.state, 'state differs from the RFC 9293 model', { model: m.state, real: state });
  if (!info || state === 'CLOSED') return;
  check(info.rcvNxt === m.rcvNxt >>> 0, 'RCV.NXT differs from the model', { model: m.rcvNxt >>> 0, real: info.rcvNxt });
  if (state !== 'TIME_WAIT') {
    check(info.sndUna === m.sndUna >>> 0, 'SND.UNA differs from the model', { model: m.sndUna >>> 0, real: info.sndUna });
    check(seqLe(info.sndUna, info.sndNxt), 'SND.UNA > SND.NXT', info);
    check(info.recvQueue === m.unread, 'receive queue differs from unread peer bytes', { model: m.unread, real: info.recvQueue });
  }
  check(Buffer.concat(r.readBytes).equals(Buffer.concat(r.peerStream).subarray(0, Buffer.concat(r.readBytes).length)), 'read bytes differ from what the peer sent');
}

type Cmd = fc.Command<Model, Real>;
const synced = (m: Model): boolean => m.state !== 'CLOSED' && m.state !== 'TIME_WAIT';

class PeerData implements Cmd {
  constructor(readonly len: number) {}
  check(m: Model): boolean {
    return synced(m) && !m.peerFinSent;
  }
  run(m: Model, r: Real): void {
    const room = liveInfo(r)?.rcvWnd ?? 0;
    const n = Math.min(this.len, room);
    const data = Buffer.alloc(n);
    for (let i = 0; i < n; i++) data[i] = (seqSub(m.rcvNxt, r.irs + 1) + i) & 255;
    const ack = r.sentMax;
    peerSegment(r, m, TCP_ACK | TCP_PSH, m.rcvNxt, ack, data);
    modelAckAll(m, r, ack);
    if (n > 0 && m.state !== 'CLOSED') {
      r.peerStream.push(data);
      m.rcvNxt = (m.rcvNxt + n) >>> 0;
      m.unread += n;
    }
    compare(m, r);
  }
  toString(): string {
    return `PeerData(${this.len})`;
  }
}

class PeerAck implements Cmd {
  check = synced;
  run(m: Model, r: Real): void {
    const ack = r.sentMax;
    peerSegment(r, m, TCP_ACK, m.rcvNxt, ack);
    modelAckAll(m, r, ack);
    compare(m, r);
  }
  toString(): string {
    return 'PeerAck';
  }
}

class PeerFin implements Cmd {
  check(m: Model): boolean {
    return synced(m) && !m.peerFinSent;
  }
  run(m: Model, r: Real): void {
    const ack = r.sentMax;
    peerSegment(r, m, TCP_ACK | TCP_FIN, m.rcvNxt, ack);
    modelAckAll(m, r, ack);
    if (m.state !== 'CLOSED') {
      m.peerFinSent = true;
      m.rcvNxt = (m.rcvNxt + 1) >>> 0;
      if (m.state === 'ESTABLISHED') m.state = 'CLOSE_WAIT';
      else if (m.state === 'FIN_WAIT_1') m.state = 'CLOSING';
      else if (m.state === 'FIN_WAIT_2') m.state = 'TIME_WAIT';
    }
    compare(m, r);
  }
  toString(): string {
    return 'PeerFin';
  }
}

class PeerRstExact implements Cmd {
  check = synced;
  run(m: Model, r: Real): void {
    peerSegment(r, m, TCP_RST, m.rcvNxt, 0);
    m.state = 'CLOSED';
    compare(m, r);
  }
  toString(): string {
    return 'PeerRstExact';
  }
}

/** RFC 5961 §3: RST, SYN or data a blind attacker could send; the model predicts no change at all. */
class BlindAttack implements Cmd {
  constructor(readonly kind: 'rstInWindow' | 'syn' | 'oldData' | 'futureAck' | 'farData', readonly delta: number) {}
  check = synced;
  run(m: Model, r: Real): void {
    const d = Buffer.from('spoofed!');
    switch (this.kind) {
      case 'rstInWindow':
        peerSegment(r, m, TCP_RST, m.rcvNxt + 1 + (this.delta % 60000), 0);
        break;
      case 'syn':
        peerSegment(r, m, TCP_SYN, m.rcvNxt + this.delta, 0);
        break;
      case 'oldData':
        peerSegment(r, m, TCP_ACK, m.rcvNxt - 100_000 - (this.delta % 1_000_000), r.sentMax, d);
        break;
      case 'futureAck':
        peerSegment(r, m, TCP_ACK, m.rcvNxt, r.sentMax + 1 + (this.delta % 100_000), d);
        break;
      case 'farData':
        peerSegment(r, m, TCP_ACK, m.rcvNxt + 0x40000000 + this.delta, r.sentMax, d);
        break;
    }
    compare(m, r);
  }
  toString(): string {
    return `BlindAttack(${this.kind}, ${this.delta})`;
  }
}

class AppWrite implements Cmd {
  constructor(readonly len: number) {}
  check(m: Model): boolean {
    return !m.appShutdown && (m.state === 'ESTABLISHED' || m.state === 'CLOSE_WAIT');
  }
  run(m: Model, r: Real): void {
    const n = Math.min(this.len, r.conn.sendSpace);
    const data = Buffer.alloc(n);
    for (let i = 0; i < n; i++) data[i] = streamByte(m.written + i);
    check(r.conn.send(data) === n, 'send accepted less than sendSpace');
    m.written += n;
    absorbSent(m, r);
    compare(m, r);
  }
  toString(): string {
    return `AppWrite(${this.len})`;
  }
}

class AppRead implements Cmd {
  check = (m: Model): boolean => m.state !== 'CLOSED';
  run(m: Model, r: Real): void {
    for (let d = r.conn.read(); d; d = r.conn.read()) r.readBytes.push(Buffer.from(d));
    m.unread = 0;
    absorbSent(m, r);
    compare(m, r);
  }
  toString(): string {
    return 'AppRead';
  }
}

class AppShutdown implements Cmd {
  check(m: Model): boolean {
    return !m.appShutdown && (m.state === 'ESTABLISHED' || m.state === 'CLOSE_WAIT');
  }
  run(m: Model, r: Real): void {
    r.conn.shutdownWrite();
    m.appShutdown = true;
    m.state = m.state === 'ESTABLISHED' ? 'FIN_WAIT_1' : 'LAST_ACK';
    absorbSent(m, r);
    compare(m, r);
  }
  toString(): string {
    return 'AppShutdown';
  }
}

class Wait implements Cmd {
  constructor(readonly ms: number) {}
  check = (m: Model): boolean => m.state !== 'CLOSED';
  run(m: Model, r: Real): void {
    r.f.clock.advance(this.ms);
    absorbSent(m, r);
    compare(m, r);
  }
  toString(): string {
    return `Wait(${this.ms})`;
  }
}

const commands = [
  fc.integer({ min: 1, max: 3000 }).map((n) => new PeerData(n)),
  fc.constant(new PeerAck()),
  fc.constant(new PeerFin()),
  fc.constant(new PeerRstExact()),
  fc.tuple(fc.constantFrom('rstInWindow' as const, 'syn' as const, 'oldData' as const, 'futureAck' as const, 'farData' as const), fc.nat()).map(([k, d]) => new BlindAttack(k, d)),
  fc.integer({ min: 1, max: 20_000 }).map((n) => new AppWrite(n)),
  fc.constant(new AppRead()),
  fc.constant(new AppShutdown()),
  fc.integer({ min: 1, max: 150 }).map((n) => new Wait(n)),
];

export const tcpModelTarget: FuzzTarget = {
  name: 'tcp-model',
  about: 'TCP state machine vs an RFC 9293 reference model: state, RCV.NXT, SND.UNA, byte-exact streams after every command; blind RFC 5961 attacks change nothing',
  property: () => {
    const corpus = loadHexCorpus('stack').map((p) => (p.readUInt32BE(16) === US ? p : readdress(p, PEER, US)));
    return fc.property(fc.commands(commands, { maxCommands: 40 }), (cmds) => {
      const f = buildFuzzStack(corpus, () => {});
      const conn = f.accepted[0];
      const info = conn.info();
      const real: Real = { f, conn, iss: info.sndNxt - 1, irs: info.rcvNxt - 1, sentMax: info.sndNxt, finSeq: -1, peerStream: [], readBytes: [], closedByRst: false, peerWindow: 502 << 10 };
      const model: Model = { state: 'ESTABLISHED', rcvNxt: info.rcvNxt, sndUna: info.sndUna, written: 0, unread: 0, peerFinSent: false, appShutdown: false };
      fc.modelRun(() => ({ model, real }), cmds);
    });
  },
};
