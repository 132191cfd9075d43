import { describe, expect, it } from 'vitest';
import { randBytes, SeededRng } from '../../src/util/random.js';
import { makeListenPair } from './listen-pair.js';

describe('passive open through the Listener and Connection.fromHandshake', () => {
  it('handshake with full option negotiation, request/response, close', () => {
    const p = makeListenPair(1, { delayMs: 5 });
    const { conn, rec } = p.connect(40001);
    p.clock.runUntil(100);
    expect(conn.state).toBe('ESTABLISHED');
    expect(p.accepted.length).toBe(1);
    const srv = p.accepted[0];
    expect(srv.conn.state).toBe('ESTABLISHED');
    const i = srv.conn.info();
    expect([i.timestamps, i.sackOk, i.sndWscale, i.rcvWscale, i.mss]).toEqual([true, true, 3, 3, 1448]);
    conn.send(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
    p.clock.runUntil(200);
    expect(Buffer.concat(srv.rec.received).toString()).toBe('GET / HTTP/1.0\r\n\r\n');
    srv.conn.send(Buffer.from('HTTP/1.0 200 OK\r\n\r\nhi'));
    srv.conn.close();
    p.clock.runUntil(400);
    expect(Buffer.concat(rec.received).toString()).toBe('HTTP/1.0 200 OK\r\n\r\nhi');
    expect(conn.readEnded).toBe(true);
    conn.close();
    p.clock.runUntil(1000);
    expect(srv.conn.state).toBe('TIME_WAIT'); // the server closed first
    expect(conn.state).toBe('CLOSED');
    expect([...rec.errors, ...srv.rec.errors]).toEqual([]);
  });

  it('data sent right after connect (arriving with the third ACK) is not lost before accept', () => {
    const p = makeListenPair(2, { delayMs: 5 });
    const { conn } = p.connect(40002);
    let sent = false;
    conn.handler.onConnect = () => {
      sent = conn.send(Buffer.from('early bird')) > 0;
    };
    p.clock.runUntil(100);
    expect(sent).toBe(true);
    expect(Buffer.concat(p.accepted[0].rec.received).toString()).toBe('early bird');
  });

  for (const seed of [5, 6, 7]) {
    it(`1 MiB client→server and 256 KiB back over a lossy link (seed ${seed})`, () => {
      const p = makeListenPair(seed, { delayMs: 8, loss: 0.05, duplicate: 0.02, reorder: 0.05, reorderMs: 10, corrupt: 0.01 });
      const { conn, rec } = p.connect(40000 + seed);
      const up = randBytes(new SeededRng(seed), 1 << 20);
      let off = 0;
      const write = () => {
        while (off < up.length) {
          const n = conn.send(up.subarray(off, off + 65536));
          if (!n) return;
          off += n;
        }
        conn.shutdownWrite();
      };
      conn.handler.onConnect = write;
      conn.handler.onWritable = write;
      p.clock.runUntil(600_000);
      const srv = p.accepted[0];
      expect(Buffer.concat(srv.rec.received).equals(up), `seed ${seed}`).toBe(true);
      const down = randBytes(new SeededRng(seed + 99), 256 * 1024);
      let off2 = 0;
      const write2 = () => {
        while (off2 < down.length) {
          const n = srv.conn.send(down.subarray(off2, off2 + 65536));
          if (!n) return;
          off2 += n;
        }
        srv.conn.close();
      };
      srv.conn.handler.onWritable = write2;
      write2();
      p.clock.runUntil(1_200_000);
      expect(Buffer.concat(rec.received).equals(down), `seed ${seed}`).toBe(true);
      expect([...rec.errors, ...srv.rec.errors], `seed ${seed}`).toEqual([]);
    });
  }
});
