import { describe, expect, it } from 'vitest';
import { randBytes, SeededRng } from '../../src/util/random.js';
import { ADDR_B, layerAvailable, makeTcpPair } from './tcp-pair.js';
import type { FaultOptions } from './fault-pipe.js';
import { Sink } from './wire-tap.js';

async function transfer(seed: number, faults: FaultOptions, size: number) {
  const p = await makeTcpPair(seed, { faults });
  const server = new Sink();
  const listener = p.b.listen(80, 16, () => {
    const c = listener.accept();
    if (!c) return;
    server.conn = c;
    c.handler = server;
    server.onReadable(); // data may have arrived with the handshake
  });
  const client = new Sink();
  const conn = p.a.connect(ADDR_B, 80, client);
  client.conn = conn;
  const data = randBytes(new SeededRng(seed), size);
  let off = 0;
  const write = () => {
    while (off < data.length) {
      const n = conn.send(data.subarray(off, Math.min(off + 65536, data.length)));
      if (n === 0) return;
      off += n;
    }
    conn.close();
  };
  client.writable = write;
  write();
  p.clock.runUntil(600_000);
  return { p, data, server, client, conn };
}

describe.skipIf(!layerAvailable())('two TcpLayers over a seeded fault pipe (virtual time)', () => {
  it('connects, moves 1 MiB byte-exact over a clean link, and closes', async () => {
    const seed = 7;
    const { data, server, client } = await transfer(seed, { delayMs: 2 }, 1 << 20);
    expect(client.events[0], `seed ${seed}`).toBe('connect');
    expect(Buffer.concat(server.chunks).equals(data), `seed ${seed}`).toBe(true);
    expect(server.conn?.readEnded, `seed ${seed}`).toBe(true);
  });

  for (const seed of [101, 202, 303]) {
    it(`moves 1 MiB byte-exact over a lossy/duplicating/reordering link (seed ${seed})`, async () => {
      const faults = { delayMs: 10, loss: 0.02, duplicate: 0.02, reorder: 0.05, reorderMs: 20, corrupt: 0.005 };
      const { data, server, p } = await transfer(seed, faults, 1 << 20);
      const got = Buffer.concat(server.chunks);
      expect(got.length, `seed ${seed}: ${JSON.stringify(p.ab.counts)}`).toBe(data.length);
      expect(got.equals(data), `seed ${seed}`).toBe(true);
      expect(server.conn?.readEnded, `seed ${seed}`).toBe(true);
    });
  }

  it('connect to a port with no listener → ECONNREFUSED (RST, RFC 9293 §3.10.7.1)', async () => {
    const p = await makeTcpPair(5);
    const h = new Sink();
    p.a.connect(ADDR_B, 9, h);
    p.clock.runUntil(1000);
    expect(h.events).toEqual(['error:ECONNREFUSED', 'close']);
  });
});
