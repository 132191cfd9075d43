/**
 * The connection table as `ss -tan` prints it: state, queues, local and peer
 * address:port.
 */
import type { TcpInfo } from './api.js';
import { formatIpv4 } from '../wire/ip-address.js';

const STATE_NAMES: Record<string, string> = {
  CLOSED: 'CLOSED',
  LISTEN: 'LISTEN',
  SYN_SENT: 'SYN-SENT',
  SYN_RECEIVED: 'SYN-RECV',
  ESTABLISHED: 'ESTAB',
  FIN_WAIT_1: 'FIN-WAIT-1',
  FIN_WAIT_2: 'FIN-WAIT-2',
  CLOSE_WAIT: 'CLOSE-WAIT',
  CLOSING: 'CLOSING',
  LAST_ACK: 'LAST-ACK',
  TIME_WAIT: 'TIME-WAIT',
};

export function formatConnectionTable(conns: readonly TcpInfo[]): string {
  const rows = [['State', 'Recv-Q', 'Send-Q', 'Local Address:Port', 'Peer Address:Port']];
  for (const c of conns) {
    rows.push([
      STATE_NAMES[c.state] ?? c.state,
      String(c.recvQueue),
      String(c.sendQueue),
      `${formatIpv4(c.localAddr)}:${c.localPort}`,
      c.state === 'LISTEN' ? '0.0.0.0:*' : `${formatIpv4(c.remoteAddr)}:${c.remotePort}`,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n';
}
