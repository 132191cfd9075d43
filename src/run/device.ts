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
import { CliError } from './errors.js';

export interface DeviceOptions {
  mode: 'tun' | 'tap';
  name: string;
  netns?: string;
  mtu: number;
  hostAddr: number;
  prefixLen: number;
  stackAddr: number;
  pcap?: string;
  /** TUN offloads (TunLinkOptions.offload); TAP has none. */
  offload?: 'on' | 'off';
  /** Where the offload outcome (on, or the kernel refused and we fell back) is reported. */
  log?: (msg: string) => void;
  clock: Clock;
  rng: Rng;
}

export async function openDeviceLink(o: DeviceOptions): Promise<Link> {
  // The capture file is opened before the device: a bad --pcap path must fail
  // before an open TUN fd (which keeps the event loop alive) has no owner to close it.
  const pcap = o.pcap !== undefined ? openPcap(o.pcap, o.clock) : undefined;
  const common = { name: o.name, netns: o.netns, mtu: o.mtu, addr: formatIpv4(o.hostAddr), prefixLen: o.prefixLen, up: true };
  let link: Link;
  try {
    if (o.mode === 'tun') {
      const tun = TunLink.open({ ...common, offload: o.offload ?? 'on' });
      o.log?.(tun.offloadNote || 'offload off (--offload off)');
      link = tun;
    } else {
      link = TapLink.open({ ...common, ipAddr: o.stackAddr, clock: o.clock, rng: o.rng });
    }
  } catch (err) {
    pcap?.close();
    throw err;
  }
  return pcap ? withPcap(link, pcap) : link;
}

function openPcap(path: string, clock: Clock): PcapWriter {
  try {
    return PcapWriter.toFile(path, { clock });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CliError(`--pcap ${path}: cannot open for writing (${e.code ?? e.message}): give a path in an existing, writable directory`);
  }
}
