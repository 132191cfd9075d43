/**
 * EthernetLink: an IP-level Link over a frame-level device (a TAP fd, or a
 * memory frame pipe in tests). It adds and strips Ethernet II headers and
 * runs ARP (RFC 826) for next hops; every peer is on-link, so the next hop is
 * the packet's destination.
 *
 * Frames received are delivered as views: the IPv4 packets handed up are
 * subarrays of the device's frames, so the device's buffer-lifetime rule
 * (link.ts) carries through unchanged.
 *
 * Outgoing packets are copied once into a frame with the 14-byte header in
 * front: the IP layer reserves only IPV4_HEADROOM, so there is no room to
 * prepend in place.
 */
import type { Clock } from '../time/clock.js';
import type { Link, ReceiveHandler } from './link.js';
import type { Rng } from '../util/random.js';
import { makeCounters } from '../util/counters.js';
import {
  ETHERNET_HEADER_LEN,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  MAC_BROADCAST,
  emitEthernet,
  isMulticastMac,
  parseEthernet,
  type MacAddress,
} from '../wire/ethernet.js';
import { ARP_LEN, ARP_REPLY, ARP_REQUEST, emitArp, parseArp } from '../wire/arp.js';
import { ArpTable, type ArpOptions, type ArpEntrySnapshot } from './arp.js';

/** A device that moves whole Ethernet frames; `mtu` is the largest payload (IP MTU). */
export interface FrameDevice {
  readonly mtu: number;
  send(frame: Buffer): void;
  onReceive(handler: (frames: Buffer[]) => void): void;
  readonly counterGroups?: Record<string, Record<string, number>>;
  close(): Promise<void>;
}

export interface EthernetLinkOptions {
  device: FrameDevice;
  clock: Clock;
  rng: Rng;
  /** Our IPv4 address (uint32). */
  ipAddr: number;
  /** Our MAC; default: a random locally administered unicast address from `rng`. */
  mac?: MacAddress;
  arp?: ArpOptions;
}

export const ETHERNET_COUNTERS = [
  'rxFrames',
  'rxTruncated',
  'rxNotEthernetII',
  'rxNotForUs',
  'rxUnknownType',
  'rxIpv4',
  'txIpv4',
  'txMalformed',
  'txOversize',
] as const;

/** RFC 7042 §2.1: set the local bit, clear the group bit. */
export function randomLocalMac(rng: Rng): MacAddress {
  const hi = (rng.u32() & 0xfeff) | 0x0200;
  return hi * 0x1_0000_0000 + rng.u32();
}

const IPV4_MIN_HEADER = 20;

export class EthernetLink implements Link {
  readonly mtu: number;
  readonly mac: MacAddress;
  readonly ipAddr: number;
  readonly counters = makeCounters(ETHERNET_COUNTERS);
  readonly arp: ArpTable;
  private handler: ReceiveHandler | undefined;
  private readonly device: FrameDevice;

  constructor(opts: EthernetLinkOptions) {
    this.device = opts.device;
    this.mtu = opts.device.mtu;
    this.mac = opts.mac ?? randomLocalMac(opts.rng);
    this.ipAddr = opts.ipAddr >>> 0;
    this.arp = new ArpTable(
      opts.clock,
      {
        sendRequest: (addr) => this.sendArp(ARP_REQUEST, MAC_BROADCAST, 0, addr),
        sendQueued: (packet, mac) => this.sendFrame(mac, ETHERTYPE_IPV4, packet),
      },
      opts.arp,
    );
    this.device.onReceive((frames) => this.input(frames));
  }

  /** All counter groups, for `formatCounters`: the device's, then Ethernet and ARP. */
  get counterGroups(): Record<string, Record<string, number>> {
    return { ...this.device.counterGroups, Ethernet: this.counters, Arp: this.arp.counters };
  }

  neighbours(): ArpEntrySnapshot[] {
    return this.arp.snapshot();
  }

  send(packet: Buffer): void {
    if (packet.length < IPV4_MIN_HEADER) {
      this.counters.txMalformed++;
      return;
    }
    if (packet.length > this.mtu) {
      this.counters.txOversize++;
      return;
    }
    const dst = packet.readUInt32BE(16);
    const mac = this.staticMac(dst) ?? this.arp.lookup(dst);
    if (mac !== undefined) this.sendFrame(mac, ETHERTYPE_IPV4, packet);
    else this.arp.enqueue(dst, packet);
  }

  /** Destinations that need no ARP: limited broadcast and IPv4 multicast (RFC 1112 §6.4). */
  private staticMac(dst: number): MacAddress | undefined {
    if (dst === 0xffffffff) return MAC_BROADCAST;
    if (dst >>> 28 === 0xe) return 0x01005e000000 + (dst & 0x7fffff);
    return undefined;
  }

  private sendFrame(dstMac: MacAddress, etherType: number, payload: Buffer): void {
    const frame = Buffer.allocUnsafe(ETHERNET_HEADER_LEN + payload.length);
    emitEthernet({ dst: dstMac, src: this.mac, etherType }, frame, 0);
    payload.copy(frame, ETHERNET_HEADER_LEN);
    if (etherType === ETHERTYPE_IPV4) this.counters.txIpv4++;
    this.device.send(frame);
  }

  private sendArp(operation: number, dstMac: MacAddress, targetHw: MacAddress, targetProto: number): void {
    const frame = Buffer.alloc(ETHERNET_HEADER_LEN + ARP_LEN);
    emitEthernet({ dst: dstMac, src: this.mac, etherType: ETHERTYPE_ARP }, frame, 0);
    emitArp(
      { operation, senderHw: this.mac, senderProto: this.ipAddr, targetHw, targetProto },
      frame,
      ETHERNET_HEADER_LEN,
    );
    this.device.send(frame);
  }

  private input(frames: Buffer[]): void {
    const c = this.counters;
    let up: Buffer[] | undefined;
    for (const frame of frames) {
      c.rxFrames++;
      const eth = parseEthernet(frame);
      if (typeof eth === 'string') {
        if (eth === 'truncated') c.rxTruncated++;
        else c.rxNotEthernetII++;
        continue;
      }
      if (eth.dst !== this.mac && !isMulticastMac(eth.dst)) {
        c.rxNotForUs++;
        continue;
      }
      const payload = frame.subarray(ETHERNET_HEADER_LEN);
      if (eth.etherType === ETHERTYPE_IPV4) {
        c.rxIpv4++;
        (up ??= []).push(trimPadding(payload));
      } else if (eth.etherType === ETHERTYPE_ARP) {
        this.arpInput(payload);
      } else {
        c.rxUnknownType++;
      }
    }
    if (up && this.handler) this.handler(up);
  }

  /** RFC 826 "Packet Reception", in its order. */
  private arpInput(payload: Buffer): void {
    const ac = this.arp.counters;
    const arp = parseArp(payload);
    if (typeof arp === 'string') {
      ac.rxMalformed++;
      return;
    }
    if (arp.operation === ARP_REQUEST) ac.rxRequests++;
    else ac.rxReplies++;
    // Never learn a group address or an unset one (RFC 1122 §2.3.2.1 bars
    // broadcast sources; an RFC 5227 probe has sender protocol 0).
    if (isMulticastMac(arp.senderHw) || arp.senderHw === 0 || arp.senderProto === 0) {
      ac.rxBadSender++;
      return;
    }
    if (arp.senderProto === this.ipAddr) {
      // Someone else claims our address (RFC 5227 §2.4): count it, learn nothing.
      if (arp.senderHw !== this.mac) ac.addressConflict++;
      return;
    }
    // Merge_flag: update an existing entry whoever the target is.
    const merged = this.arp.has(arp.senderProto);
    if (merged) this.arp.learn(arp.senderProto, arp.senderHw);
    if (arp.targetProto !== this.ipAddr) {
      ac.rxNotForUs++;
      return;
    }
    if (!merged) this.arp.learn(arp.senderProto, arp.senderHw);
    if (arp.operation === ARP_REQUEST) {
      this.sendArp(ARP_REPLY, arp.senderHw, arp.senderHw, arp.senderProto);
      ac.txReplies++;
    }
  }

  onReceive(handler: ReceiveHandler): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    this.handler = undefined;
    this.arp.clear();
    await this.device.close();
  }
}

/**
 * Frames shorter than 60 bytes are padded (RFC 894); cut the IPv4 packet to
 * its Total Length so the pad never reaches IP. A bogus length is left for
 * IPv4's own checks to refuse.
 */
function trimPadding(p: Buffer): Buffer {
  if (p.length < IPV4_MIN_HEADER || p[0] >> 4 !== 4) return p;
  const total = p.readUInt16BE(2);
  return total >= IPV4_MIN_HEADER && total < p.length ? p.subarray(0, total) : p;
}
