/**
 * UDP echo service (RFC 862): every datagram received on `port` is sent back
 * to its sender unchanged.
 */
import type { UdpLayer } from '../udp/udp.js';
import type { UdpSocket } from '../udp/socket.js';

export interface UdpEcho {
  readonly socket: UdpSocket;
  close(): void;
}

export function startUdpEcho(udp: UdpLayer, port = 7): UdpEcho {
  const socket = udp.createSocket();
  socket.on('message', (msg: Buffer, rinfo: { address: string; port: number }) => {
    socket.send(msg, rinfo.port, rinfo.address);
  });
  // Keep serving: a send error (e.g. EMSGSIZE) must not crash the process.
  socket.on('error', () => {});
  socket.bind(port);
  let closed = false;
  return {
    socket,
    close() {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}
