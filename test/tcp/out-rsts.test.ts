/**
 * OutRsts counts each RST once: it used to be bumped both by output.ts
 * sendRst and by the layer's sendSegment, so every RST from a connection
 * counted twice.
 */
import { describe, expect, it } from 'vitest';
import { makeTcpPair, ADDR_B } from '../sim/tcp-pair.js';
import type { ConnectionHandler } from '../../src/tcp/api.js';

const quiet: ConnectionHandler = { onConnect() {}, onReadable() {}, onWritable() {}, onError() {}, onClose() {} };

describe('OutRsts', () => {
  it('an abort() from ESTABLISHED sends one RST and counts one', async () => {
    const p = await makeTcpPair(1);
    let rstsOnWire = 0;
    const l = p.b.listen(80, 4, () => void l.accept());
    const c = p.a.connect(ADDR_B, 80, quiet);
    p.clock.advance(50);
    expect(c.state).toBe('ESTABLISHED');
    const carry = p.ab.carry.bind(p.ab);
    p.ab.carry = (packet, deliver) => {
      if (packet[20 + 13] & 0x04) rstsOnWire++;
      carry(packet, deliver);
    };
    c.abort();
    p.clock.advance(50);
    expect(rstsOnWire).toBe(1);
    expect(p.a.stats.OutRsts).toBe(1);
  });
});
