/**
 * The SYN path reuses one 4-tuple and one SYN-ACK Repr per listener and
 * passes the receive scratch Repr of a bare SYN on without copying it
 * (listener.ts, tcp-layer.ts; issue 12: no allocation per SYN of a flood).
 * Reuse must never leak one SYN's fields or options into another's answer:
 * one batch mixes SYNs with and without options, answered from the SYN
 * queue and with cookies, and every SYN-ACK must match its own SYN
 * (RFC 9293 §3.10.7.2; RFC 7323 §2.2/§3.2 and RFC 2018 §2: only the options
 * the SYN offered; RFC 4987 §3.6: a cookie SYN-ACK keeps wscale and SACK
 * only with timestamps). Each cookie then completes a connection.
 */
import { describe, expect, it } from 'vitest';
import { InjectLink } from '../../src/fuzz/inject-link.js';
import { tcpPacket } from '../../src/fuzz/packets.js';
import { Stack } from '../../src/stack.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng } from '../../src/util/random.js';
import { TCP_ACK, TCP_SYN, parseTcpSegment, type TcpOptionsRepr, type TcpRepr } from '../../src/wire/tcp.js';
import type { TcpConnection } from '../../src/tcp/api.js';

const US = 0x0a4d0002;

interface SentSyn {
  src: number;
  seg: TcpRepr;
}

function optionsFor(i: number, rng: SeededRng): TcpOptionsRepr {
  switch (i % 4) {
    case 0:
      return {}; // hping3
    case 1:
      return { mss: 1460, sackPermitted: true, timestamp: { val: rng.u32(), ecr: 0 }, wscale: 7 }; // Linux
    case 2:
      return { mss: 1300, wscale: 3 }; // wscale without timestamps
    default:
      return { mss: 536, sackPermitted: true }; // SACK without timestamps
  }
}

describe('SYN path scratch reuse', () => {
  it('a batch of mixed SYNs, queued and cookied: each SYN-ACK answers its own SYN with its own options, and each cookie completes (seed 12)', () => {
    const seed = 12;
    console.log(`syn-path-scratch seed=${seed}`);
    const rng = new SeededRng(seed);
    const link = new InjectLink(1500);
    const stack = new Stack({ link, addr: US, clock: new VirtualClock(1000), rng: new SeededRng(seed + 1), tcp: { maxSynBacklog: 8 } });
    const accepted: TcpConnection[] = [];
    const l = stack.tcp.listen(80, 1024, () => {
      for (let c = l.accept(); c; c = l.accept()) accepted.push(c);
    });
    const syns: SentSyn[] = [];
    for (let i = 0; i < 64; i++) {
      const src = (0x0b000000 + rng.u32() % 0xffffff) >>> 0;
      const seg: TcpRepr = { srcPort: 1024 + (rng.u32() % 60000), dstPort: 80, seq: rng.u32(), ack: 0, flags: TCP_SYN, window: 64240, urgent: 0, options: optionsFor(i, rng), payload: Buffer.alloc(0) };
      syns.push({ src, seg });
    }
    link.inject(...syns.map((s) => tcpPacket(s.seg, s.src, US)));
    const answers = link.take();
    expect(answers.length).toBe(syns.length);
    expect(stack.counters().Tcp.SyncookiesSent).toBe(syns.length - 8);

    const acks: Buffer[] = [];
    answers.forEach((p, i) => {
      const { src, seg: syn } = syns[i];
      expect(p.readUInt32BE(16)).toBe(src);
      const sa = parseTcpSegment(p.subarray(20), US, src);
      if (typeof sa === 'string') throw new Error(sa);
      expect(sa.flags).toBe(TCP_SYN | TCP_ACK);
      expect(sa.dstPort).toBe(syn.srcPort);
      expect(sa.srcPort).toBe(80);
      expect(sa.ack).toBe((syn.seq + 1) >>> 0);
      const o = syn.options;
      const cookie = i >= 8;
      expect(sa.options.mss).toBe(1460);
      expect(sa.options.timestamp?.ecr).toBe(o.timestamp?.val);
      // Without timestamps a cookie has nowhere to keep wscale and SACK (Linux cookie_init_timestamp).
      const keepsOthers = !cookie || o.timestamp !== undefined;
      expect(sa.options.wscale !== undefined).toBe(keepsOthers && o.wscale !== undefined);
      expect(sa.options.sackPermitted === true).toBe(keepsOthers && o.sackPermitted === true);
      const ts = o.timestamp && sa.options.timestamp ? { val: o.timestamp.val + 1, ecr: sa.options.timestamp.val } : undefined;
      acks.push(tcpPacket({ srcPort: syn.srcPort, dstPort: 80, seq: (syn.seq + 1) >>> 0, ack: (sa.seq + 1) >>> 0, flags: TCP_ACK, window: 502, urgent: 0, options: ts ? { timestamp: ts } : {}, payload: Buffer.alloc(0) }, src, US));
    });

    link.inject(...acks);
    expect(link.take()).toEqual([]); // no RST: every ACK matched a request or a cookie
    expect(accepted.length).toBe(syns.length);
    expect(stack.counters().Tcp.SyncookiesRecv).toBe(syns.length - 8);
    for (const c of accepted) expect(c.state).toBe('ESTABLISHED');
  });

  it('a SYN-ACK after the listener’s receive buffer changes offers the window scale of the new buffer', () => {
    const link = new InjectLink(1500);
    const stack = new Stack({ link, addr: US, clock: new VirtualClock(1000), rng: new SeededRng(3) });
    const l = stack.tcp.listen(80, 16, () => {}, { rcvBuf: 65535 });
    const syn = (port: number): Buffer =>
      tcpPacket({ srcPort: port, dstPort: 80, seq: 1, ack: 0, flags: TCP_SYN, window: 64240, urgent: 0, options: { mss: 1460, wscale: 7 }, payload: Buffer.alloc(0) }, 0x0b000001, US);
    const wscaleOf = (p: Buffer): number | undefined => (parseTcpSegment(p.subarray(20), US, 0x0b000001) as TcpRepr).options.wscale;
    link.inject(syn(40000));
    expect(wscaleOf(link.take()[0])).toBe(0);
    l.setParams({ rcvBuf: 4 << 20 });
    link.inject(syn(40001));
    expect(wscaleOf(link.take()[0])).toBe(7);
  });
});
