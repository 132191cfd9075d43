/**
 * The Connection against real Linux TCP, without the layer: a TUN device in a
 * namespace this test creates (prefix tscn, always removed), the IPv4 layer,
 * and a minimal env that demultiplexes one four-tuple. Kernel peers are socat
 * and python3 processes in the namespace. Checks that our wire format, option layout,
 * checksums and state machine interoperate with Linux's.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withNetns, linuxReady } from '../linux/harness.js';
import { TunLink } from '../../src/link/tun.js';
import { Ipv4Layer } from '../../src/ip/ipv4.js';
import { IPV4_HEADROOM } from '../../src/ip/types.js';
import { RealClock } from '../../src/time/real-clock.js';
import { CryptoRng } from '../../src/util/random.js';
import { ipv4 } from '../../src/wire/ip-address.js';
import { emitTcpSegment, parseTcpSegment, tcpHeaderLen, type TcpRepr } from '../../src/wire/tcp.js';
import { DEFAULT_TCP_OPTIONS } from '../../src/tcp/api.js';
import { Connection } from '../../src/tcp/connection.js';
import type { FourTuple, TcpEnv, TimeWaitRecord } from '../../src/tcp/env.js';
import { Sink } from '../sim/wire-tap.js';

const READY = linuxReady('socat', 'python3');
const KERNEL = '10.203.0.1';
const ECHO_SERVER = `
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 7007))
s.listen(1)
c, _ = s.accept()
while True:
    b = c.recv(65536)
    if not b:
        break
    c.sendall(b)
c.shutdown(socket.SHUT_WR)
c.recv(1)
`;
const OURS = '10.203.0.2';

class OneConnEnv implements TcpEnv {
  readonly clock = new RealClock();
  readonly rng = new CryptoRng();
  readonly options = { ...DEFAULT_TCP_OPTIONS };
  readonly stats: Record<string, number> = {};
  readonly localMss: number;
  conn?: Connection;
  gone = false;
  rsts: TcpRepr[] = [];
  constructor(readonly ip: Ipv4Layer) {
    this.localMss = ip.mtu - 40;
    ip.register(6, (src, dst, payload, _datagram, checksumVerified) => {
      const seg = parseTcpSegment(payload, src, dst, checksumVerified);
      if (typeof seg === 'string') {
        this.stats[seg] = (this.stats[seg] ?? 0) + 1;
        return;
      }
      if (this.conn && !this.conn.isClosed && seg.dstPort === this.conn.localPort) this.conn.input(seg);
    });
  }
  sendSegment(seg: TcpRepr, localAddr: number, remoteAddr: number): void {
    const hl = tcpHeaderLen(seg);
    const pkt = Buffer.allocUnsafe(IPV4_HEADROOM + hl + seg.payload.length);
    emitTcpSegment(seg, pkt, IPV4_HEADROOM, localAddr, remoteAddr);
    this.ip.output(pkt, remoteAddr, 6, 64, true);
  }
  unregister(): void {
    this.gone = true;
  }
  enterTimeWait(_tw: TimeWaitRecord): void {
    this.gone = true;
  }
  challengeAckAllowed(): boolean {
    return true;
  }
  allocateIss(_t: FourTuple): number {
    return this.rng.u32();
  }
}


function until(cond: () => boolean, ms: number): Promise<void> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) return resolve();
      if (performance.now() - start > ms) return reject(new Error('timed out'));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describe.skipIf(!READY)('Connection against Linux TCP over a TUN (linux)', () => {
  it('active open to a kernel echo server, 300 kB echoed byte-exact, then a clean close both ways', () =>
    withNetns('tscn', async (ns) => {
      const link = TunLink.open({ name: 'tscn0', netns: ns.name, mtu: 1500, addr: KERNEL, prefixLen: 24, up: true });
      const ip = new Ipv4Layer({ link, addr: ipv4(OURS), clock: new RealClock() });
      const env = new OneConnEnv(ip);
      try {
        // A kernel echo server that reads and writes the one socket in turn. socat's PIPE
        // echo can deadlock: it blocks writing into its own full pipe, its only reader.
        const server = ns.spawn('python3', ['-c', ECHO_SERVER]);
        void server;
        for (let t = 0; t < 100; t++) {
          const l = await ns.exec('ss', ['-ltnH', 'sport = :7007']);
          if (l.stdout.trim() !== '') break;
          await new Promise((r) => setTimeout(r, 50));
        }
        const h = new Sink();
        const tuple = { localAddr: ipv4(OURS), localPort: 45000, remoteAddr: ipv4(KERNEL), remotePort: 7007 };
        const c = Connection.connect(env, tuple, env.allocateIss(tuple), h);
        env.conn = c;
        h.conn = c;
        await until(() => c.state === 'ESTABLISHED', 5000);
        const info = c.info();
        expect(info.timestamps && info.sackOk).toBe(true);
        expect(info.sndWscale).toBeGreaterThan(0);
        expect(info.mss).toBe(1460 - 12);
        const data = Buffer.alloc(300_000);
        for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
        let off = 0;
        const write = (): void => {
          while (off < data.length) {
            const n = c.send(data.subarray(off, off + 32768));
            if (n === 0) return;
            off += n;
          }
          c.shutdownWrite();
        };
        h.writable = write;
        write();
        await until(() => c.readEnded, 20_000).catch((e: unknown) => {
          // A stall is a TCP bug: leave enough behind to find it.
          console.error('stalled', { written: off, echoed: Buffer.concat(h.chunks).length, info: c.info(), stats: env.stats });
          throw e;
        });
        expect(Buffer.concat(h.chunks).equals(data)).toBe(true);
        await until(() => env.gone, 5000);
        expect(c.state).toBe('TIME_WAIT'); // we closed first
        expect(h.events).toEqual(['connect', 'close']);
        expect(env.stats.badChecksum ?? 0).toBe(0);
      } finally {
        await link.close();
        ip.close();
        env.clock.stop();
      }
    }));

  it('receives 2 MB from a kernel sender, through a zero window while the reader pauses, byte-exact', () =>
    withNetns('tscn', async (ns) => {
      const link = TunLink.open({ name: 'tscn0', netns: ns.name, mtu: 1500, addr: KERNEL, prefixLen: 24, up: true });
      const ip = new Ipv4Layer({ link, addr: ipv4(OURS), clock: new RealClock() });
      const env = new OneConnEnv(ip);
      // A whole number of 1448-byte segments, so Linux can fill the window exactly to zero.
      (env.options as { rcvBuf: number }).rcvBuf = 40 * 1448;
      const dir = mkdtempSync(join(tmpdir(), 'tscn-'));
      try {
        const data = Buffer.alloc(2_000_000);
        for (let i = 0; i < data.length; i++) data[i] = (i * 13 + (i >> 10)) & 0xff;
        const file = join(dir, 'data.bin');
        writeFileSync(file, data);
        ns.spawn('socat', ['-u', `FILE:${file}`, 'TCP-LISTEN:7008,reuseaddr']);
        await new Promise((r) => setTimeout(r, 300));
        const h = new Sink();
        let paused = true;
        const tuple = { localAddr: ipv4(OURS), localPort: 45002, remoteAddr: ipv4(KERNEL), remotePort: 7008 };
        const c = Connection.connect(env, tuple, env.allocateIss(tuple), h);
        env.conn = c;
        h.conn = c;
        const drain = h.onReadable.bind(h);
        h.onReadable = () => {
          if (!paused) drain();
        };
        await until(() => c.state === 'ESTABLISHED', 5000);
        await until(() => c.info().rcvWnd === 0, 5000); // nobody reads: the window closes
        await new Promise((r) => setTimeout(r, 500)); // Linux probes the zero window meanwhile
        paused = false;
        drain();
        await until(() => c.readEnded, 20_000);
        expect(Buffer.concat(h.chunks).equals(data)).toBe(true);
        c.close();
        await until(() => env.gone, 5000);
        expect(h.events).toEqual(['connect', 'close']);
      } finally {
        await link.close();
        ip.close();
        env.clock.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }));

  it('connect to a closed kernel port → ECONNREFUSED from the kernel RST', () =>
    withNetns('tscn', async (ns) => {
      const link = TunLink.open({ name: 'tscn0', netns: ns.name, mtu: 1500, addr: KERNEL, prefixLen: 24, up: true });
      const ip = new Ipv4Layer({ link, addr: ipv4(OURS), clock: new RealClock() });
      const env = new OneConnEnv(ip);
      try {
        void ns;
        const h = new Sink();
        const tuple = { localAddr: ipv4(OURS), localPort: 45001, remoteAddr: ipv4(KERNEL), remotePort: 9 };
        const c = Connection.connect(env, tuple, env.allocateIss(tuple), h);
        env.conn = c;
        await until(() => env.gone, 5000);
        expect(h.events).toEqual(['error:ECONNREFUSED', 'close']);
      } finally {
        await link.close();
        ip.close();
        env.clock.stop();
      }
    }));
});
