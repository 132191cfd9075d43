/**
 * The remote peer's end of the wire: a packet socket on the kernel side of
 * the tunstack process's TUN (native/packet.cc). `send` makes the kernel
 * transmit an IPv4 datagram out of the TUN, so tunstack reads it; every
 * datagram tunstack writes into the TUN is delivered to `onPackets`. The
 * kernel's own TCP never sees these packets as its own: 192.0.2.1 is not a
 * local address in the namespace and forwarding is off, so the kernel drops
 * what tunstack sends there without answering (checked by the wire tests).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface NativePacketSocket {
  start(onPackets: (packets: Buffer[], outgoing: Uint8Array) => void): void;
  /** 0 or the errno of sendto(). */
  send(datagram: Buffer): number;
  close(): void;
}

interface PacketAddon {
  PacketSocket: new (opts: { ifname: string; netns?: string }) => NativePacketSocket;
}

const ADDON_REL = 'build/Release/tunstack_packet.node';

function loadPacketAddon(): PacketAddon {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, ADDON_REL);
    if (existsSync(p)) return createRequire(import.meta.url)(p) as PacketAddon;
    dir = dirname(dir);
  }
  throw new Error(`${ADDON_REL} not found: build the native addons with 'npx node-gyp rebuild'`);
}

export class PacketSocket {
  private readonly sock: NativePacketSocket;
  private closed = false;

  private constructor(sock: NativePacketSocket) {
    this.sock = sock;
  }

  /** Bind to `ifname` inside namespace `netns` (a name under /var/run/netns or a path). */
  static open(ifname: string, netns?: string): PacketSocket {
    const addon = loadPacketAddon();
    return new PacketSocket(new addon.PacketSocket({ ifname, netns }));
  }

  /**
   * `fromStack`: datagrams tunstack wrote into the TUN (fresh Buffers the
   * caller may keep). `fromKernel`: datagrams the namespace's kernel itself
   * transmitted towards tunstack, e.g. a RST or ICMP error answering a packet
   * of tunstack's; wire mode treats any as a broken test setup.
   */
  onPackets(fromStack: (packets: Buffer[]) => void, fromKernel: (packets: Buffer[]) => void): void {
    this.sock.start((packets, outgoing) => {
      const stack = packets.filter((_, i) => outgoing[i] === 0);
      const kernel = packets.filter((_, i) => outgoing[i] !== 0);
      if (stack.length) fromStack(stack);
      if (kernel.length) fromKernel(kernel);
    });
  }

  /** Inject one IPv4 datagram towards tunstack; throws with the errno if the kernel refuses it. */
  send(datagram: Buffer): void {
    const e = this.sock.send(datagram);
    if (e !== 0) throw new Error(`packet socket sendto failed: errno ${e}`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
  }
}
