/**
 * Regression: a RST processed by TCP, then a write() in the same turn,
 * before the socket's deferred error event has run. Linux reports the
 * pending socket error first (tcp_sendmsg returns sk_err, ECONNRESET after a
 * RST in ESTABLISHED; RFC 9293 §3.10.7.4 second step), and net.Socket emits
 * it: the write must fail with ECONNRESET, not EPIPE ("write after FIN").
 * Found by test/sim/stress-socket.test.ts (client destroy() mid-download
 * under loss, "seed 7": the server's 'drain' handler wrote as the RST came in).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { ipv4 } from '../../src/wire/ip-address.js';
import { connect, createServer } from '../../src/socket/connect.js';
import type { TcpSocket } from '../../src/socket/socket.js';
import { FakeNet, settleUntil } from './fake-tcp.js';

describe('write racing a received RST', () => {
  it('fails with ECONNRESET (the pending error), not EPIPE', async () => {
    const clock = new VirtualClock();
    const net = new FakeNet(clock);
    const srv = createServer(net.host(ipv4('10.77.0.1')), clock);
    let s: TcpSocket | undefined;
    srv.on('connection', (x: TcpSocket) => (s = x));
    srv.listen(80);
    const c = connect(net.host(ipv4('10.77.0.2')), clock, { host: '10.77.0.1', port: 80 });
    c.pause();
    c.on('error', () => {});
    await settleUntil(clock, () => s !== undefined && !c.connecting);
    const sock = s as TcpSocket;
    const errors: string[] = [];
    sock.on('error', (e: NodeJS.ErrnoException) => errors.push(`${e.syscall} ${e.code}`));
    const conn = net.conns.find((x) => x.localPort === 80);
    if (!conn) throw new Error('no server connection');
    // Fill the send buffer (the client does not read) so a write waits for space.
    while (sock.write(Buffer.alloc(65536))) {
      /* until backpressure */
    }
    await settleUntil(clock, () => conn.sendSpace === 0);
    // One received batch: an ACK frees space (onWritable), then the peer's RST.
    conn.handler.onWritable();
    conn.reset();
    await settleUntil(clock, () => sock.destroyed && errors.length > 0);
    expect(errors).toEqual(['write ECONNRESET']);
  });
});
