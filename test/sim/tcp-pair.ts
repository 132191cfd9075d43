/**
 * Two TcpLayers (src/tcp/tcp-layer.ts) wired through seeded FaultPipes on one
 * VirtualClock: the reusable two-stack harness for TCP and socket tests.
 * IPv4 is stubbed by a tiny IpSender that hands the transport bytes across
 * (the datagram passed to `input` carries a zeroed 20-byte IP header).
 *
 * The factory is async because it loads the layer lazily, so suites can skip
 * cleanly while tcp-layer.ts does not exist yet (see layerAvailable()).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TcpApi, TcpOptions } from '../../src/tcp/api.js';
import type { IpSender, TransportInput } from '../../src/ip/types.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { SeededRng } from '../../src/util/random.js';
import { FaultPipe, type FaultOptions } from './fault-pipe.js';

export const ADDR_A = 0x0a000001; // 10.0.0.1
export const ADDR_B = 0x0a000002; // 10.0.0.2

/** What the harness needs from TcpLayer (its own type lives in tcp-layer.ts). */
export interface SimTcpLayer extends TcpApi {
  readonly input: TransportInput;
  readonly stats: Record<string, number>;
}

export interface TcpPair {
  seed: number;
  clock: VirtualClock;
  a: SimTcpLayer;
  b: SimTcpLayer;
  /** a → b and b → a pipes (faults, counters, `up` to cut the link). */
  ab: FaultPipe;
  ba: FaultPipe;
}

export function layerAvailable(): boolean {
  return existsSync(fileURLToPath(new URL('../../src/tcp/tcp-layer.ts', import.meta.url)));
}

class PipeIp implements IpSender {
  peer?: SimTcpLayer;
  constructor(
    readonly localAddr: number,
    readonly mtu: number,
    private readonly pipe: FaultPipe,
  ) {}
  output(packet: Buffer, dst: number, protocol: number): void {
    if (protocol !== 6) return;
    const src = this.localAddr;
    this.pipe.carry(packet, (p) => {
      // A zeroed IPv4 header is enough: TCP only reads the transport bytes.
      this.peer?.input(src, dst, p.subarray(20), p);
    });
  }
}

export interface PairOptions {
  faults?: FaultOptions;
  /** Separate faults for b → a (defaults to `faults`). */
  faultsBack?: FaultOptions;
  options?: Partial<TcpOptions>;
  optionsB?: Partial<TcpOptions>;
  mtu?: number;
}

export async function makeTcpPair(seed: number, o: PairOptions = {}): Promise<TcpPair> {
  const mod = (await import('../../src/tcp/tcp-layer.js')) as unknown as {
    TcpLayer: new (cfg: {
      ip: IpSender;
      clock: VirtualClock;
      rng: SeededRng;
      options?: Partial<TcpOptions>;
    }) => SimTcpLayer;
  };
  const clock = new VirtualClock(0);
  const faults = o.faults ?? { delayMs: 1 };
  const ab = new FaultPipe(clock, new SeededRng(seed * 2 + 1), faults);
  const ba = new FaultPipe(clock, new SeededRng(seed * 2 + 2), o.faultsBack ?? faults);
  const mtu = o.mtu ?? 1500;
  const ipA = new PipeIp(ADDR_A, mtu, ab);
  const ipB = new PipeIp(ADDR_B, mtu, ba);
  const a = new mod.TcpLayer({ ip: ipA, clock, rng: new SeededRng(seed * 3 + 1), options: o.options });
  const b = new mod.TcpLayer({ ip: ipB, clock, rng: new SeededRng(seed * 3 + 2), options: o.optionsB ?? o.options });
  ipA.peer = b;
  ipB.peer = a;
  return { seed, clock, a, b, ab, ba };
}
