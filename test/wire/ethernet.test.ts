import { describe, expect, it } from 'vitest';
import {
  ETHERNET_HEADER_LEN,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  EthernetFrame,
  MAC_BROADCAST,
  emitEthernet,
  formatMac,
  isLocallyAdministeredMac,
  isMulticastMac,
  parseEthernet,
  parseMac,
} from '../../src/wire/ethernet.js';
import { ETH_ARP_REQUEST_FRAME, ETH_ECHO_FRAME } from './linux-captures.js';

// Captured from Linux 6.18 over a veth pair (see linux-captures.ts for how).
const ECHO_FRAME = ETH_ECHO_FRAME();
const ARP_REQUEST_FRAME = ETH_ARP_REQUEST_FRAME();

describe('Ethernet II header (IEEE 802.3 §3.2, RFC 894)', () => {
  it('deconstructs a captured IPv4 frame', () => {
    const r = parseEthernet(ECHO_FRAME);
    expect(r).toEqual({ dst: 0x02000000000b, src: 0x02000000000a, etherType: ETHERTYPE_IPV4 });
    const v = EthernetFrame.parse(ECHO_FRAME) as EthernetFrame;
    expect(v.payload.length).toBe(84);
    expect(v.payload[0]).toBe(0x45);
    expect(v.payload.buffer).toBe(ECHO_FRAME.buffer); // a view, not a copy
  });

  it('deconstructs a captured broadcast ARP frame', () => {
    const r = parseEthernet(ARP_REQUEST_FRAME);
    expect(r).toEqual({ dst: MAC_BROADCAST, src: 0x02000000000a, etherType: ETHERTYPE_ARP });
  });

  it('constructs the captured header byte for byte', () => {
    const out = Buffer.alloc(ECHO_FRAME.length);
    emitEthernet({ dst: 0x02000000000b, src: 0x02000000000a, etherType: ETHERTYPE_IPV4 }, out);
    ECHO_FRAME.copy(out, ETHERNET_HEADER_LEN, ETHERNET_HEADER_LEN);
    expect(out.equals(ECHO_FRAME)).toBe(true);
  });

  it('refuses every truncation of the header without throwing', () => {
    for (let n = 0; n < ETHERNET_HEADER_LEN; n++) {
      expect(parseEthernet(ECHO_FRAME.subarray(0, n))).toBe('truncated');
    }
    expect(typeof parseEthernet(ECHO_FRAME.subarray(0, ETHERNET_HEADER_LEN))).toBe('object');
  });

  it('refuses 802.3 length-field frames (type < 0x0600) as notEthernetII', () => {
    const f = Buffer.from(ECHO_FRAME);
    f.writeUInt16BE(0x05dc, 12);
    expect(parseEthernet(f)).toBe('notEthernetII');
    f.writeUInt16BE(0x0600, 12);
    expect(typeof parseEthernet(f)).toBe('object');
  });

  it('formats, parses and classifies MAC addresses', () => {
    expect(formatMac(0x02000000000a)).toBe('02:00:00:00:00:0a');
    expect(parseMac('02:00:00:00:00:0A')).toBe(0x02000000000a);
    expect(parseMac('02:00:00:00:00')).toBeUndefined();
    expect(isMulticastMac(MAC_BROADCAST)).toBe(true);
    expect(isMulticastMac(0x01005e000001)).toBe(true);
    expect(isMulticastMac(0x02000000000a)).toBe(false);
    expect(isLocallyAdministeredMac(0x02000000000a)).toBe(true);
    expect(isLocallyAdministeredMac(0x001122334455)).toBe(false);
  });
});
