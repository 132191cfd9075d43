/**
 * Golden packets captured from real Linux traffic, shared by the wire tests
 * and the layer drop tests (test/ip/golden-drops.test.ts). IPv4/ICMP/UDP
 * captures over a TUN live in test/ip/helpers.ts.
 */

export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

// ---- Ethernet + ARP --------------------------------------------------------
// ICMP echo request 10.210.0.1 -> 10.210.0.2 over a veth pair between two
// namespaces, captured with `tcpdump -xx -e` on Linux 6.18 (MACs set to
// 02:00:00:00:00:0a / :0b with `ip link set address`).
export const ETH_ECHO_FRAME = (): Buffer =>
  hex(`
  0200 0000 000b 0200 0000 000a 0800 4500
  0054 864c 4000 4001 9eb6 0ad2 0001 0ad2
  0002 0800 b5d9 1c80 0001 1435 046b 0000
  0000 4232 0c00 0000 0000 1011 1213 1415
  1617 1819 1a1b 1c1d 1e1f 2021 2223 2425
  2627 2829 2a2b 2c2d 2e2f 3031 3233 3435
  3637`);

// ARP request "who-has 10.210.0.2 tell 10.210.0.1", same capture.
export const ETH_ARP_REQUEST_FRAME = (): Buffer =>
  hex(`
  ffff ffff ffff 0200 0000 000a 0806 0001
  0800 0604 0001 0200 0000 000a 0ad2 0001
  0000 0000 0000 0ad2 0002`);

export const ETH_KERNEL_MAC = 0x02000000000a;
export const ETH_PEER_MAC = 0x02000000000b;
export const ETH_KERNEL_IP = 0x0ad20001;
export const ETH_PEER_IP = 0x0ad20002;

// ---- TCP with options, over a TUN (full checksums) --------------------------
/*
 * Linux 6.18.44 (uname -r 6.18.44-fc-v657), captured with
 * `tcpdump -i tun0 -n -U -w sack.pcap tcp` then printed with `tcpdump -r -v -xx`,
 * on a TUN device in a scratch netns (10.77.33.1 = kernel, socat
 * TCP4-LISTEN:5555; 10.77.33.2 = a script writing raw segments into the TUN).
 * The script sent a SYN, the ACK, then 100-byte segments at relative seq 101
 * and 301 before seq 1, so the kernel answered with SACK blocks (RFC 2018 §4).
 * TUN has no checksum offload: tcpdump -v reported every checksum "correct".
 * IPv4 header (20 bytes) included.
 */
export const TUN_KERNEL = 0x0a4d2101;
export const TUN_SCRIPT = 0x0a4d2102;
// Kernel SYN-ACK: options [mss 1460,sackOK,TS val 1726175773 ecr 100,nop,wscale 10].
export const LINUX_SYN_ACK = (): Buffer =>
  hex(`4500 003c 0000 4000 4006 e41f 0a4d 2101
  0a4d 2102 15b3 9c40 3e20 35a0 0000 03e9
  a012 fe88 07c6 0000 0204 05b4 0402 080a
  66e3 5a1d 0000 0064 0103 030a`);
// Kernel dup ACK: options [nop,nop,TS val 1726175875 ecr 101,nop,nop,sack 2 {301:401}{101:201}].
export const LINUX_ACK_SACK2 = (): Buffer =>
  hex(`4500 0048 0433 4000 4006 dfe0 0a4d 2101
  0a4d 2102 15b3 9c40 3e20 35a1 0000 03e9
  d010 0040 cac3 0000 0101 080a 66e3 5a83
  0000 0065 0101 0512 0000 0515 0000 0579
  0000 044d 0000 04b1`);
// Kernel ACK after the hole at seq 1 was filled: [nop,nop,TS val 1726175925 ecr 104,nop,nop,sack 1 {301:401}].
export const LINUX_ACK_SACK1 = (): Buffer =>
  hex(`4500 0040 0434 4000 4006 dfe7 0a4d 2101
  0a4d 2102 15b3 9c40 3e20 35a1 0000 04b1
  b010 0040 f2d4 0000 0101 080a 66e3 5ab5
  0000 0068 0101 050a 0000 0515 0000 0579`);
