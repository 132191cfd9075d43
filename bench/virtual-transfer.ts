/**
 * One bulk transfer between two Stacks in virtual time: `b` listens on port 9
 * and drains, `a` connects and writes `total` bytes as fast as the window
 * lets it. Shared by bench:sweep and bench:spurious.
 */
import type { Stack } from '../src/stack.js';
import type { VirtualClock } from '../src/time/virtual-clock.js';
import type { ConnectionHandler, TcpConnection } from '../src/tcp/api.js';
import { ipv4 } from '../src/wire/ip-address.js';

/** Runs the clock until `b` has received `total` bytes; returns the sender's connection and the virtual seconds it took. */
export function bulkTransfer(clock: VirtualClock, a: Stack, b: Stack, total: number, what: string): { conn: TcpConnection; secs: number } {
  let received = 0;
  const listener = b.tcp.listen(9, 8, () => {
    const c = listener.accept();
    if (!c) return;
    const drain = (): void => {
      for (let d = c.read(); d; d = c.read()) received += d.length;
    };
    c.handler = { onConnect() {}, onReadable: drain, onWritable() {}, onError() {}, onClose() {} };
    drain();
  });
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  // eslint-disable-next-line prefer-const -- the writer closure above the connect() refers to it
  let conn: TcpConnection | undefined;
  const pump = (): void => {
    while (conn && sent < total) {
      const n = conn.send(chunk.subarray(0, Math.min(chunk.length, total - sent)));
      if (n === 0) return;
      sent += n;
    }
  };
  const writer: ConnectionHandler = { onConnect: pump, onReadable() {}, onWritable: pump, onError() {}, onClose() {} };
  conn = a.tcp.connect(ipv4('10.0.0.2'), 9, writer);
  const start = clock.now();
  while (received < total) {
    const next = clock.nextAt();
    if (next === undefined || next - start > 3_600_000) throw new Error(`stalled at ${received} bytes: ${what}`);
    clock.runUntil(next);
  }
  return { conn, secs: (clock.now() - start) / 1000 };
}
