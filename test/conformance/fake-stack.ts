/**
 * A deliberately tiny, fixed-behaviour stand-in for the stack, so the
 * interpreter's own tests (blocking calls, timing, flow mapping, SKIP/FAIL
 * paths) do not depend on the real TCP being finished or correct. It knows a
 * passive handshake, data in both directions and a delayed reply — nothing else.
 */
import type { ConnectionHandler, TcpApi, TcpConnection, TcpInfo, TcpListener } from '../../src/tcp/api.js';
import type { StackFactory } from '../../src/conformance/harness.js';
import { buildTcpDatagram, decodeDatagram } from '../../src/conformance/packet.js';

const ISN = 1_000_000;

export interface FakeBehaviour {
  /** Delay of the SYN-ACK after the SYN, ms. */
  synAckDelay?: number;
  /** Send this many extra pure ACKs after the SYN-ACK. */
  extraAcks?: number;
}

export function fakeFactory(b: FakeBehaviour = {}): StackFactory {
  return ({ link, clock, profile }) => {
    let onAcceptable: (() => void) | undefined;
    const queue: TcpConnection[] = [];
    let peerPort = 0;
    let rcvNxt = 0;
    let sndNxt = ISN + 1;
    const rx: Buffer[] = [];
    const send = (flags: number, seq: number, payload = Buffer.alloc(0), opts = false): void =>
      link.send(
        buildTcpDatagram({
          src: profile.localAddr, dst: profile.remoteAddr, srcPort: profile.port, dstPort: peerPort,
          seq, ack: rcvNxt, flags, window: 65535, payload,
          options: opts ? [{ kind: 2, data: Buffer.from([0x05, 0xb4]) }] : [],
        }),
      );
    const conn = {
      localAddr: profile.localAddr, localPort: profile.port, remoteAddr: profile.remoteAddr, remotePort: 0,
      state: 'ESTABLISHED', handler: undefined as unknown as ConnectionHandler,
      send(data: Buffer): number {
        send(0x18, sndNxt, data);
        sndNxt += data.length;
        return data.length;
      },
      sendSpace: 1 << 20,
      read: (): Buffer | null => rx.shift() ?? null,
      readEnded: false,
      shutdownWrite(): void {}, close(): void {}, abort(): void {},
      setNoDelay(): void {}, cork(): void {}, uncork(): void {}, setKeepAlive(): void {}, setUserTimeout(): void {},
      info: (): TcpInfo => ({ recvQueue: rx.reduce((n, x) => n + x.length, 0), state: 'ESTABLISHED' }) as TcpInfo,
    } as TcpConnection;
    link.onReceive((pkts) => {
      for (const p of pkts) {
        const d = decodeDatagram(p);
        if (typeof d === 'string' || !d.tcp) continue;
        const t = d.tcp;
        if (t.flags === 0x02) {
          peerPort = t.srcPort;
          (conn as { remotePort: number }).remotePort = t.srcPort;
          rcvNxt = t.seq + 1;
          clock.setTimer(clock.now() + (b.synAckDelay ?? 0), () => {
            send(0x12, ISN, Buffer.alloc(0), true);
            for (let i = 0; i < (b.extraAcks ?? 0); i++) send(0x10, ISN + 1);
          });
        } else if (t.flags & 0x10 && t.payload.length === 0 && queue.length === 0 && !conn.handler) {
          queue.push(conn);
          onAcceptable?.();
        } else if (t.payload.length > 0) {
          rx.push(Buffer.from(t.payload));
          rcvNxt = t.seq + t.payload.length;
          conn.handler?.onReadable();
          send(0x10, sndNxt);
        }
      }
    });
    const tcp: TcpApi = {
      listen(_port: number, _backlog: number, cb: () => void): TcpListener {
        onAcceptable = cb;
        return { localAddr: profile.localAddr, localPort: profile.port, accept: () => queue.shift() ?? null, close() {} };
      },
      connect(): TcpConnection {
        throw Object.assign(new Error('fake: no active open'), { code: 'EADDRNOTAVAIL' });
      },
      connections: () => [],
    };
    return { tcp };
  };
}
