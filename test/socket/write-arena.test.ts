/**
 * WriteArena block reuse (write-arena.ts): once the stream is acknowledged
 * past a full 1 MiB block, the block is reused for later writes. A block
 * reused too early would overwrite bytes TCP has yet to send or retransmit,
 * so the transfer below runs under loss (retransmissions read the send
 * buffer late), writes each MiB from one source Buffer the test overwrites
 * after every write callback, and checks the bytes received and that blocks
 * were in fact reused.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TcpSocket } from '../../src/socket/socket.js';
import { WriteArena } from '../../src/socket/write-arena.js';
import { SeededRng, randBytes } from '../../src/util/random.js';
import { makePair } from '../sim/stress-harness.js';

const MIB = 1 << 20;

describe('WriteArena', () => {
  it('reuses a full block only once the stream is acknowledged past its last byte', () => {
    const a = new WriteArena();
    const first = a.copy(Buffer.alloc(MIB, 1)); // fills block 1: stream bytes [0, MIB)
    const second = a.copy(Buffer.alloc(10, 2)); // block 2, adjacent writes pack into it
    const third = a.copy(Buffer.alloc(10, 3));
    expect(third.buffer).toBe(second.buffer);
    expect(third.byteOffset).toBe(second.byteOffset + 10);
    a.release(MIB - 1); // one byte of block 1 still unacknowledged
    const fourth = a.copy(Buffer.alloc(MIB, 4)); // needs a new block: not block 1
    expect(fourth.buffer).not.toBe(first.buffer);
    expect(first.every((b) => b === 1)).toBe(true);
    a.release(MIB); // block 1 is acknowledged; block 2 (up to MIB + 20) is not
    const before = a.reused;
    const fifth = a.copy(Buffer.alloc(MIB, 5));
    expect(fifth.buffer).toBe(first.buffer);
    expect(a.reused).toBe(before + 1);
    expect(second.every((b) => b === 2)).toBe(true);
  });

  const seed = 7;
  it(`12 MiB in 384 KiB writes through a socket under 2% loss arrive intact while blocks are reused (seed ${seed})`, async () => {
    console.log(`write-arena seed=${seed}`);
    const p = makePair({ seed, faults: { delayMs: 2, loss: 0.02 }, tcpA: { sndBuf: 3 * MIB } });
    const rng = new SeededRng(seed + 10);
    const sentHash = createHash('sha256');
    const gotHash = createHash('sha256');
    let got = 0;
    let ended = false;
    const server = p.b.createServer((s) => {
      s.on('data', (d: Buffer) => {
        gotHash.update(d);
        got += d.length;
      });
      s.on('end', () => {
        ended = true;
        s.end();
      });
    });
    server.listen(9);
    const client: TcpSocket = p.a.connect({ port: 9, host: '10.0.0.2' });
    // Writes smaller than a block and a send buffer of several blocks: a retired
    // block still holds unacknowledged bytes for a while.
    const WRITE = 384 * 1024;
    const WRITES = 32;
    const src = Buffer.alloc(WRITE);
    let written = 0;
    const writeNext = (): void => {
      if (written === WRITES) {
        client.end();
        return;
      }
      // New content in the same source Buffer each time: the arena's copy must not alias it.
      src.set(randBytes(rng, WRITE));
      sentHash.update(src);
      written++;
      client.write(src, () => writeNext());
    };
    client.on('connect', writeNext);
    for (let i = 0; i < 20_000 && !ended; i++) {
      p.clock.advance(1);
      await new Promise<void>((r) => setImmediate(r));
    }
    expect(got).toBe(WRITES * WRITE);
    expect(gotHash.digest('hex')).toBe(sentHash.digest('hex'));
    const arena = (client as unknown as { arena: WriteArena }).arena;
    expect(arena.reused).toBeGreaterThan(0);
  });
});
