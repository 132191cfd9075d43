/**
 * TapLink: Ethernet + ARP (EthernetLink) over a Linux TAP device opened by
 * the native addon (IFF_TAP | IFF_NO_PI). The kernel side of the TAP is a
 * normal Ethernet interface; we are one host on its segment.
 *
 * Buffer lifetime is the TUN rule (see tun.ts): received frames are views
 * over slabs that are never rewritten, and the IPv4 packets handed up are
 * subarrays of those frames.
 */
import type { Clock } from '../time/clock.js';
import type { Rng } from '../util/random.js';
import type { MacAddress } from '../wire/ethernet.js';
import type { ArpOptions } from './arp.js';
import { EthernetLink } from './ethernet-link.js';
import { NativeLink } from './tun.js';
import type { NativeOpenOptions } from './native.js';

export interface TapLinkOptions extends Omit<NativeOpenOptions, 'mode'> {
  clock: Clock;
  rng: Rng;
  /** Our (stack-side) IPv4 address, uint32. */
  ipAddr: number;
  mac?: MacAddress;
  arp?: ArpOptions;
  /** Keep the Node process alive while the device is open (default true). */
  ref?: boolean;
}

export class TapLink extends EthernetLink {
  private constructor(
    readonly native: NativeLink,
    opts: TapLinkOptions,
  ) {
    super({ device: native, clock: opts.clock, rng: opts.rng, ipAddr: opts.ipAddr, mac: opts.mac, arp: opts.arp });
  }

  /** Interface name as the kernel knows it. */
  get name(): string {
    return this.native.name;
  }

  static open(opts: TapLinkOptions): TapLink {
    const { clock: _c, rng: _r, ipAddr: _i, mac: _m, arp: _a, ...native } = opts;
    const device = NativeLink.open({ ...native, mode: 'tap' });
    return new TapLink(device, opts);
  }
}
