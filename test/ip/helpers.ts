/**
 * Test helpers for the IP/ICMP/UDP tests: a fake Link that records what is
 * sent and lets a test inject received batches, literal-hex parsing, and
 * golden packets captured from Linux.
 */
import type { Link, ReceiveHandler } from '../../src/link/link.js';

export class FakeLink implements Link {
  sent: Buffer[] = [];
  private handler: ReceiveHandler | undefined;

  constructor(public mtu = 1500) {}

  send(packet: Buffer): void {
    this.sent.push(packet);
  }

  onReceive(handler: ReceiveHandler): void {
    this.handler = handler;
  }

  inject(...packets: Buffer[]): void {
    if (!this.handler) throw new Error('no receiver');
    this.handler(packets);
  }

  /** Return and forget everything sent so far. */
  take(): Buffer[] {
    const s = this.sent;
    this.sent = [];
    return s;
  }

  async close(): Promise<void> {}
}

/** Literal hex with any whitespace. */
export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

export const A_10_9_0_1 = 0x0a090001;
export const A_10_9_0_2 = 0x0a090002;

/*
 * Captured with `tcpdump -i tsipt0 -xx` (link type RAW) on a TUN device in a
 * private netns, Linux 6.x, while running, from 10.9.0.1 towards 10.9.0.2:
 *   ping -c 1 -p 61626364 -s 16 10.9.0.2
 *   echo -n hello  | socat -u - UDP-SENDTO:10.9.0.2:7,sourceport=40000
 *   echo -n nobody | socat -u - UDP-SENDTO:10.9.0.2:9,sourceport=40001
 * The TUN device has no checksum offload, so UDP checksums are complete.
 */
export const LINUX_ECHO_REQUEST = (): Buffer =>
  hex(`4500 002c 8fdf 4000 4001 96dd 0a09 0001
       0a09 0002 0800 0353 1504 0001 3d34 046b
       0000 0000 9d08 0100 0000 0000`);

export const LINUX_UDP_HELLO = (): Buffer =>
  hex(`4500 0021 3942 4000 4011 ed75 0a09 0001
       0a09 0002 9c40 0007 000d 0ba6 6865 6c6c
       6f`);

export const LINUX_UDP_NOBODY = (): Buffer =>
  hex(`4500 0022 3979 4000 4011 ed3d 0a09 0001
       0a09 0002 9c41 0009 000e 1a1b 6e6f 626f
       6479`);

/*
 * Captured with `tcpdump -i lo -xx` in a private netns (Linux 6.x), Ethernet
 * header (14 zero bytes + 0800) removed:
 *   ping -c 1 -p 61626364 -s 16 127.0.0.1   -> request and the kernel's reply
 *   socat to closed UDP port 9998           -> the kernel's port unreachable
 * (loopback leaves the UDP checksum partial, hence fe21; ICMP checksums are full.)
 */
export const LINUX_LO_ECHO_REQUEST = (): Buffer =>
  hex(`4500 002c aff1 4000 4001 8cdd 7f00 0001
       7f00 0001 0800 5486 1412 0001 2234 046b
       0000 0000 67c7 0100 0000 0000`);
export const LINUX_LO_ECHO_REPLY = (): Buffer =>
  hex(`4500 002c aff2 0000 4001 ccdc 7f00 0001
       7f00 0001 0000 5c86 1412 0001 2234 046b
       0000 0000 67c7 0100 0000 0000`);
export const LINUX_LO_PORT_UNREACH = (): Buffer =>
  hex(`45c0 003e b067 0000 4001 cb95 7f00 0001
       7f00 0001 0303 0625 0000 0000 4500 0022
       9880 4000 4011 a448 7f00 0001 7f00 0001
       9c41 270e 000e fe21 6e6f 626f 6479`);

/*
 * `ping -c 1 -s 3000 10.9.0.2` over the same TUN (MTU 1500): the kernel sent
 * three fragments. Their 20-byte headers are literal below; the 3008-byte ICMP
 * message is rebuilt from ping's documented fill (8-byte ICMP header, 16-byte
 * timeval, then byte i of the data = i & 0xff), which the captured dump shows
 * (fragment 2 starts c0c1..., fragment 3 starts 8889...). Its checksum (7256)
 * only verifies if the rebuild is exact.
 */
export const LINUX_FRAG_HEADERS = [
  '4500 05dc 9026 2000 4001 b0e6 0a09 0001 0a09 0002',
  '4500 05dc 9026 20b9 4001 b02d 0a09 0001 0a09 0002',
  '4500 0044 9026 0172 4001 d50c 0a09 0001 0a09 0002',
].map(hex);

export function linuxBigEchoMessage(): Buffer {
  const msg = Buffer.alloc(3008);
  hex('0800 7256 153d 0001 3e34 046b 0000 0000 4d1e 0100 0000 0000').copy(msg, 0);
  for (let i = 16; i < 3000; i++) msg[8 + i] = i & 0xff;
  return msg;
}

export function linuxBigEchoFragments(): Buffer[] {
  const msg = linuxBigEchoMessage();
  const cuts = [
    [0, 1480],
    [1480, 2960],
    [2960, 3008],
  ];
  return LINUX_FRAG_HEADERS.map((h, i) => Buffer.concat([h, msg.subarray(cuts[i][0], cuts[i][1])]));
}
