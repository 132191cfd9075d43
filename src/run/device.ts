/**
 * Open the device `tunstack up` runs on — TUN (IP packets) or TAP (Ethernet
 * frames, with ARP in src/link) — optionally wrapped in a pcap writer.
 * The pcap sees what the stack sees: raw IPv4 packets (LINKTYPE_RAW).
 */
import type { Link } from '../link/link.js';
import type { Clock } from '../time/clock.js';
import type { Rng } from '../util/random.js';
import { TunLink } from '../link/tun.js';
import { TapLink } from '../link/tap.js';
import { PcapWriter, withPcap } from '../link/pcap.js';
import { formatIpv4 } from '../wire/ip-address.js';

export interface DeviceOptions {
  mode: 'tun' | 'tap';
  name: string;
  netns?: string;
  mtu: number;
  hostAddr: number;
  prefixLen: number;
  stackAddr: number;
  pcap?: string;
  clock: Clock;
  rng: Rng;
}

export async function openDeviceLink(o: DeviceOptions): Promise<Link> {
  const common = { name: o.name, netns: o.netns, mtu: o.mtu, addr: formatIpv4(o.hostAddr), prefixLen: o.prefixLen, up: true };
  const link: Link =
    o.mode === 'tun'
      ? TunLink.open(common)
      : TapLink.open({ ...common, ipAddr: o.stackAddr, clock: o.clock, rng: o.rng });
  if (!o.pcap) return link;
  return withPcap(link, PcapWriter.toFile(o.pcap, { clock: o.clock }));
}
