/**
 * The in-process harness: the stack under test on a capture Link in virtual
 * time. Outbound datagrams are recorded with the virtual time they were sent;
 * inbound script packets are delivered through the receive handler the stack
 * registered on the link, exactly as a TUN batch would be.
 */
import type { Link, ReceiveHandler } from '../link/link.js';
import type { TcpApi } from '../tcp/api.js';
import type { VirtualClock } from '../time/virtual-clock.js';
import type { Rng } from '../util/random.js';
import type { Profile } from './profile.js';
import type { TracePacket } from './trace.js';

export class CaptureLink implements Link {
  readonly sent: TracePacket[] = [];
  private handler: ReceiveHandler | undefined;

  constructor(
    private readonly clock: VirtualClock,
    readonly mtu: number,
  ) {}

  send(packet: Buffer): void {
    this.sent.push({ time: this.clock.now(), bytes: packet });
  }

  onReceive(handler: ReceiveHandler): void {
    this.handler = handler;
  }

  /**
   * Inject inbound datagrams as one receive batch; false if the stack never
   * registered a receiver. The `--mss` pieces of one script line travel
   * together, as Linux's GRO merges them on packetdrill's TUN (one ACK for
   * the line there, one batch-end ACK here).
   */
  inject(...datagrams: Buffer[]): boolean {
    if (!this.handler) return false;
    this.handler(datagrams);
    return true;
  }

  async close(): Promise<void> {
    this.handler = undefined;
  }
}

export interface StackUnderTest {
  tcp: TcpApi;
}

export interface StackEnv {
  link: CaptureLink;
  clock: VirtualClock;
  rng: Rng;
  profile: Profile;
}

/** Builds the stack under test on the capture link (tests may substitute their own). */
export type StackFactory = (env: StackEnv) => StackUnderTest;

/** The real stack (src/stack.ts), loaded lazily so a broken build reports per script instead of crashing the runner. */
export async function loadStackFactory(): Promise<StackFactory> {
  const { Stack } = await import('../stack.js');
  return (env) => new Stack({ link: env.link, addr: env.profile.localAddr, clock: env.clock, rng: env.rng, tcp: env.profile.tcp });
}
