/**
 * EthernetLink + ARP (RFC 826) in virtual time over a memory frame pipe. The
 * test plays the other host on the segment through the far end of the pipe.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng } from '../../src/util/random.js';
import { createMemoryFramePipe } from '../../src/link/memory.js';
import { EthernetLink, randomLocalMac } from '../../src/link/ethernet-link.js';
import type { ArpOptions } from '../../src/link/arp.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, MAC_BROADCAST, emitEthernet, isLocallyAdministeredMac, isMulticastMac, parseEthernet } from '../../src/wire/ethernet.js';
import { ARP_LEN, ARP_REPLY, ARP_REQUEST, emitArp, parseArp, type ArpRepr } from '../../src/wire/arp.js';
import { ipv4 } from '../../src/wire/ip-address.js';

const OUR_IP = ipv4('10.9.0.1');
const OUR_MAC = 0x020000000001;
const PEER_IP = ipv4('10.9.0.2');
const PEER_MAC = 0x020000000002;
const OTHER_IP = ipv4('10.9.0.3');

function setup(arp: ArpOptions = {}, seed = 1) {
  const clock = new VirtualClock();
  const rng = new SeededRng(seed);
  const [near, far] = createMemoryFramePipe({ clock, rng });
  const link = new EthernetLink({ device: near, clock, rng, ipAddr: OUR_IP, mac: OUR_MAC, arp });
  const frames: Buffer[] = [];
  far.onReceive((fs) => frames.push(...fs));
  const up: Buffer[] = [];
  link.onReceive((ps) => up.push(...ps));
  const arps = (): ArpRepr[] =>
    frames.filter((f) => f.readUInt16BE(12) === ETHERTYPE_ARP).map((f) => parseArp(f.subarray(14)) as ArpRepr);
  const ipFrames = (): Buffer[] => frames.filter((f) => f.readUInt16BE(12) === ETHERTYPE_IPV4);
  const peerArp = (repr: ArpRepr, dst = OUR_MAC): void => {
    const f = Buffer.alloc(60); // padded to the Ethernet minimum
    emitEthernet({ dst, src: repr.senderHw, etherType: ETHERTYPE_ARP }, f);
    emitArp(repr, f, 14);
    far.send(f);
  };
  return { clock, link, near, far, frames, up, arps, ipFrames, peerArp };
}

/** A minimal IPv4 header to `dst` with an id in the payload. */
function ipPacket(dst: number, id: number, len = 40): Buffer {
  const p = Buffer.alloc(len);
  p[0] = 0x45;
  p.writeUInt16BE(len, 2);
  p[9] = 17;
  p.writeUInt32BE(OUR_IP, 12);
  p.writeUInt32BE(dst, 16);
  p.writeUInt32BE(id, 20);
  return p;
}

const replyFromPeer: ArpRepr = { operation: ARP_REPLY, senderHw: PEER_MAC, senderProto: PEER_IP, targetHw: OUR_MAC, targetProto: OUR_IP };

describe('EthernetLink ARP resolution (RFC 826, RFC 1122 §2.3.2)', () => {
  it('queues a packet for an unresolved address, broadcasts a request, and sends it on reply', () => {
    const t = setup();
    t.link.send(ipPacket(PEER_IP, 7));
    t.clock.runDue();
    expect(t.ipFrames().length).toBe(0);
    expect(t.frames.length).toBe(1);
    expect(parseEthernet(t.frames[0])).toEqual({ dst: MAC_BROADCAST, src: OUR_MAC, etherType: ETHERTYPE_ARP });
    expect(t.arps()[0]).toEqual({ operation: ARP_REQUEST, senderHw: OUR_MAC, senderProto: OUR_IP, targetHw: 0, targetProto: PEER_IP });

    t.peerArp(replyFromPeer);
    t.clock.runDue();
    const ip = t.ipFrames();
    expect(ip.length).toBe(1);
    expect(parseEthernet(ip[0])).toEqual({ dst: PEER_MAC, src: OUR_MAC, etherType: ETHERTYPE_IPV4 });
    expect(ip[0].subarray(14).equals(ipPacket(PEER_IP, 7))).toBe(true);
    expect(t.link.arp.counters.resolved).toBe(1);

    // Cached now: the next packet goes straight out, no second request.
    t.link.send(ipPacket(PEER_IP, 8));
    t.clock.runDue();
    expect(t.ipFrames().length).toBe(2);
    expect(t.arps().length).toBe(1);
  });

  it('re-resolves after the cache entry expires', () => {
    const t = setup({ reachableMs: 60_000 });
    t.link.send(ipPacket(PEER_IP, 1));
    t.clock.runDue();
    t.peerArp(replyFromPeer);
    t.clock.advance(59_000);
    t.link.send(ipPacket(PEER_IP, 2));
    t.clock.runDue();
    expect(t.arps().length).toBe(1);
    t.clock.advance(1_000); // 60 s after learning
    t.link.send(ipPacket(PEER_IP, 3));
    t.clock.runDue();
    expect(t.arps().length).toBe(2);
    expect(t.link.arp.counters.expired).toBe(1);
    expect(t.ipFrames().length).toBe(2);
  });

  it('bounds the queue per address, dropping the oldest', () => {
    const t = setup({ queueLimit: 3 });
    for (let i = 0; i < 5; i++) t.link.send(ipPacket(PEER_IP, i));
    t.clock.runDue();
    expect(t.arps().length).toBe(1); // one resolution, not one per packet
    t.peerArp(replyFromPeer);
    t.clock.runDue();
    expect(t.ipFrames().map((f) => f.readUInt32BE(14 + 20))).toEqual([2, 3, 4]);
    expect(t.link.arp.counters.queueOverflow).toBe(2);
  });

  it('retries, then gives up, drops the queue and counts it', () => {
    const t = setup({ retryMs: 1000, maxRetries: 2 });
    t.link.send(ipPacket(PEER_IP, 1));
    t.link.send(ipPacket(PEER_IP, 2));
    t.clock.runDue();
    expect(t.arps().length).toBe(1);
    t.clock.advance(1000);
    expect(t.arps().length).toBe(2);
    t.clock.advance(1000);
    expect(t.arps().length).toBe(3);
    t.clock.advance(1000);
    expect(t.link.arp.counters.resolutionFailed).toBe(1);
    expect(t.link.arp.counters.droppedOnFailure).toBe(2);
    t.clock.advance(10_000);
    expect(t.arps().length).toBe(3);
    // A late reply is not for a pending resolution but still targets us: learned, nothing sent.
    t.peerArp(replyFromPeer);
    t.clock.runDue();
    expect(t.ipFrames().length).toBe(0);
    expect(t.link.neighbours()).toEqual([{ addr: PEER_IP, mac: PEER_MAC, state: 'reachable', expiresInMs: 60_000 }]);
  });

  it('answers a request for our address with a unicast reply and learns the asker', () => {
    const t = setup();
    t.peerArp({ operation: ARP_REQUEST, senderHw: PEER_MAC, senderProto: PEER_IP, targetHw: 0, targetProto: OUR_IP }, MAC_BROADCAST);
    t.clock.runDue();
    expect(t.frames.length).toBe(1);
    expect(parseEthernet(t.frames[0])).toEqual({ dst: PEER_MAC, src: OUR_MAC, etherType: ETHERTYPE_ARP });
    expect(t.arps()[0]).toEqual({ operation: ARP_REPLY, senderHw: OUR_MAC, senderProto: OUR_IP, targetHw: PEER_MAC, targetProto: PEER_IP });
    expect(t.link.arp.counters.txReplies).toBe(1);
    t.link.send(ipPacket(PEER_IP, 1));
    t.clock.runDue();
    expect(t.ipFrames().length).toBe(1); // learned from the request: no resolution needed
  });

  it('ignores requests for other addresses and does not learn from them', () => {
    const t = setup();
    t.peerArp({ operation: ARP_REQUEST, senderHw: PEER_MAC, senderProto: PEER_IP, targetHw: 0, targetProto: OTHER_IP }, MAC_BROADCAST);
    t.clock.runDue();
    expect(t.frames.length).toBe(0);
    expect(t.link.arp.counters.rxNotForUs).toBe(1);
    expect(t.link.neighbours()).toEqual([]);
  });

  it('updates an existing entry from any ARP packet (RFC 826 merge flag)', () => {
    const t = setup();
    t.peerArp(replyFromPeer);
    t.clock.runDue();
    const moved = 0x020000000099;
    t.peerArp({ operation: ARP_REQUEST, senderHw: moved, senderProto: PEER_IP, targetHw: 0, targetProto: OTHER_IP }, MAC_BROADCAST);
    t.clock.runDue();
    expect(t.link.arp.lookup(PEER_IP)).toBe(moved);
    expect(t.link.arp.counters.updated).toBe(1);
  });

  it('counts a conflict when someone else claims our address, and learns nothing', () => {
    const t = setup();
    t.peerArp({ operation: ARP_REQUEST, senderHw: PEER_MAC, senderProto: OUR_IP, targetHw: 0, targetProto: OUR_IP }, MAC_BROADCAST);
    t.clock.runDue();
    expect(t.link.arp.counters.addressConflict).toBe(1);
    expect(t.frames.length).toBe(0);
  });

  it('refuses broadcast sender hardware addresses (RFC 1122 §2.3.2.1)', () => {
    const t = setup();
    t.peerArp({ ...replyFromPeer, senderHw: MAC_BROADCAST });
    t.clock.runDue();
    expect(t.link.arp.counters.rxBadSender).toBe(1);
    expect(t.link.neighbours()).toEqual([]);
  });

  it('sends limited broadcast and multicast without ARP (RFC 1112 §6.4)', () => {
    const t = setup();
    t.link.send(ipPacket(0xffffffff, 1));
    t.link.send(ipPacket(ipv4('224.0.0.251'), 2));
    t.clock.runDue();
    expect(t.arps().length).toBe(0);
    expect(t.ipFrames().map((f) => (parseEthernet(f) as { dst: number }).dst)).toEqual([MAC_BROADCAST, 0x01005e0000fb]);
  });
});

describe('EthernetLink receive path', () => {
  it('hands up IPv4 payloads as views with Ethernet padding trimmed, in one batch', () => {
    const t = setup();
    const p1 = ipPacket(OUR_IP, 1, 28); // padded to 46 bytes of payload
    const p2 = ipPacket(OUR_IP, 2, 100);
    const frames = [p1, p2].map((p) => {
      const f = Buffer.alloc(Math.max(60, 14 + p.length));
      emitEthernet({ dst: OUR_MAC, src: PEER_MAC, etherType: ETHERTYPE_IPV4 }, f);
      p.copy(f, 14);
      return f;
    });
    let calls = 0;
    t.link.onReceive((ps) => {
      calls++;
      t.up.push(...ps);
    });
    for (const f of frames) t.far.send(f);
    t.clock.runDue();
    expect(calls).toBe(1);
    expect(t.up.map((p) => p.length)).toEqual([28, 100]);
    expect(t.up[0].equals(p1)).toBe(true);
    expect(t.up[1].buffer).toBe(frames[1].buffer);
  });

  it('drops frames for another unicast MAC, truncated and unknown types, with counters, never throwing', () => {
    const t = setup();
    const f = Buffer.alloc(60);
    emitEthernet({ dst: 0x020000000077, src: PEER_MAC, etherType: ETHERTYPE_IPV4 }, f);
    t.far.send(f);
    t.far.send(Buffer.alloc(10));
    const v6 = Buffer.alloc(60);
    emitEthernet({ dst: OUR_MAC, src: PEER_MAC, etherType: 0x86dd }, v6);
    t.far.send(v6);
    const badArp = Buffer.alloc(14 + ARP_LEN - 1);
    emitEthernet({ dst: OUR_MAC, src: PEER_MAC, etherType: ETHERTYPE_ARP }, badArp);
    t.far.send(badArp);
    const rng = new SeededRng(99);
    console.log('ethernet fuzz seed 99');
    for (let i = 0; i < 500; i++) {
      const junk = Buffer.alloc(rng.u32() % 80);
      for (let j = 0; j < junk.length; j++) junk[j] = rng.u32() & 255;
      if (junk.length >= 14 && i % 2 === 0) junk.writeUIntBE(OUR_MAC, 0, 6);
      t.far.send(junk);
    }
    expect(() => t.clock.runDue()).not.toThrow();
    const c = t.link.counters;
    expect(c.rxNotForUs).toBeGreaterThanOrEqual(1);
    expect(c.rxTruncated).toBeGreaterThanOrEqual(1);
    expect(c.rxUnknownType).toBeGreaterThanOrEqual(1);
    expect(t.link.arp.counters.rxMalformed).toBeGreaterThanOrEqual(1);
  });

  it('draws a random locally administered unicast MAC from the injected rng', () => {
    const a = randomLocalMac(new SeededRng(5));
    expect(randomLocalMac(new SeededRng(5))).toBe(a);
    for (let s = 0; s < 50; s++) {
      const m = randomLocalMac(new SeededRng(s));
      expect(isLocallyAdministeredMac(m)).toBe(true);
      expect(isMulticastMac(m)).toBe(false);
      expect(m).toBeLessThan(2 ** 48);
    }
  });
});
