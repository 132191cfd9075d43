/**
 * Profiles: stack defaults under which scripts written against one real stack
 * pass unmodified. `linux` mirrors a Linux 6.x host with packetdrill's
 * defaults.sh: Linux's option layout on SYN/SYN-ACK (the TCP layer emits it),
 * initial window 10 (RFC 6928), RTO min 200 ms and initial RTO 1 s (Linux's
 * choice over RFC 6298 §2.4's 1 s minimum), 40 ms delayed ACK, a 6 MiB-class
 * receive buffer so the window scale comes out 7, MSS 1460 at MTU 1500, and
 * packetdrill's default addresses.
 */
import { DEFAULT_TCP_OPTIONS, type TcpOptions } from '../tcp/api.js';
import { ipv4 } from '../wire/ip-address.js';

export interface Profile {
  name: string;
  tcp: TcpOptions;
  mtu: number;
  /** packetdrill --local_ip / --remote_ip / the port bind() and connect() use when the script writes `...`. */
  localAddr: number;
  remoteAddr: number;
  port: number;
}

const LINUX: Profile = {
  name: 'linux',
  tcp: {
    ...DEFAULT_TCP_OPTIONS,
    initialCwndSegments: 10,
    rtoMin: 200,
    rtoInitial: 1_000,
    delayedAckMs: 40,
    // tcp_rmem[2] = 6 MiB: 65535 << 7 is the smallest scaled window covering it (RFC 7323 §2.3).
    rcvBuf: 6 * 1024 * 1024,
    sndBuf: 4 * 1024 * 1024,
  },
  mtu: 1500,
  localAddr: ipv4('192.168.0.1'),
  remoteAddr: ipv4('192.0.2.1'),
  port: 8080,
};

const PROFILES: Record<string, Profile> = { linux: LINUX };

export function profileNames(): string[] {
  return Object.keys(PROFILES);
}

/** A fresh copy of a named profile (scripts' sysctl lines and options modify the copy). */
export function getProfile(name: string): Profile | undefined {
  const p = PROFILES[name];
  return p && { ...p, tcp: { ...p.tcp } };
}
