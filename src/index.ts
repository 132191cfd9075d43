/** tunstack's public API. */
export { Stack, type StackOptions } from './stack.js';
export type { Link, ReceiveHandler } from './link/link.js';
export { TunLink } from './link/tun.js';
export { TapLink } from './link/tap.js';
export { createMemoryLinkPair, MemoryLink, type LinkFaults } from './link/memory.js';
export { PcapWriter, withPcap } from './link/pcap.js';
export type { Clock, Timer } from './time/clock.js';
export { RealClock } from './time/real-clock.js';
export { VirtualClock } from './time/virtual-clock.js';
export { SeededRng, CryptoRng, type Rng } from './util/random.js';
export type { TcpOptions, TcpInfo, TcpState } from './tcp/api.js';
export { DEFAULT_TCP_OPTIONS } from './tcp/api.js';
export { Sysctl, SYSCTLS, setSysctl, getSysctl } from './tcp/sysctl.js';
export { TcpSocket, TcpServer } from './socket/index.js';
export { UdpSocket } from './udp/index.js';
export { formatIpv4, parseIpv4 } from './wire/ip-address.js';
export { startServices, SERVICE_NAMES } from './apps/services.js';
