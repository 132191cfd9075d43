/**
 * The TUN write path under EAGAIN, provoked for real (namespace prefix tsnq,
 * created and removed by the test).
 *
 * When can write(2) on a non-blocking TUN fd return EAGAIN? drivers/net/tun.c
 * tun_get_user allocates the skb with sock_alloc_send_pskb, which charges it
 * to the tun socket and fails with EAGAIN once the in-flight charge reaches
 * sk_sndbuf. The default sndbuf is INT_MAX, so by default it never does; with
 * TUNSETSNDBUF (our `sndBuf` option) it can, but only while written skbs are
 * still held: the write itself runs the receive path synchronously
 * (tun_rx_batched -> netif_receive_skb) and ip_rcv_core skb_orphan()s the
 * packet, releasing the charge before write() returns. What holds a packet
 * with its charge is anything before IP: here a tc ingress filter redirects
 * everything written to tsq0 to the egress of a second TUN (tsq1) whose tbf
 * qdisc releases it slowly (act_mirred sends the original skb, not a clone,
 * from ingress). tun_net_xmit orphans it when it leaves the qdisc, the socket
 * becomes writable (tun_sock_write_space -> EPOLLOUT) and the addon's backlog
 * must drain, in order, with nothing lost.
 */
import { describe, expect, it } from 'vitest';
import { linuxReady, withNetns, type Netns } from '../linux/harness.js';
import { TunLink } from '../../src/link/tun.js';

const READY = linuxReady('tc');

const COUNT = 60;
const SIZE = 1000;

/** An IPv4/UDP packet (192.0.2.1 -> 192.0.2.2, TEST-NET-1) whose payload starts with `seq`. */
function numbered(seq: number): Buffer {
  const p = Buffer.alloc(SIZE);
  p[0] = 0x45;
  p.writeUInt16BE(SIZE, 2);
  p[8] = 64;
  p[9] = 17;
  p.writeUInt32BE(0xc0000201, 12);
  p.writeUInt32BE(0xc0000202, 16);
  p.writeUInt16BE(SIZE - 20, 24);
  p.writeUInt32BE(seq, 28);
  return p;
}

function waitFor(cond: () => boolean, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const tick = (): void => {
      if (cond()) return resolve();
      if (Number(process.hrtime.bigint() - start) / 1e6 > ms) return reject(new Error('timed out waiting'));
      setTimeout(tick, 10);
    };
    tick();
  });
}

/**
 * Two TUNs in `ns`: everything written to tsq0 is redirected by tc to the
 * egress of tsq1, whose tbf qdisc holds it (still charged to tsq0's socket)
 * and releases it at `rate`. Returns the writer, the sink and the sequence
 * numbers the sink has read so far.
 */
async function heldPath(ns: Netns, rate: string, opts: { offload: 'on' | 'off'; txQueueMax?: number; txThread?: boolean }) {
  const sink = TunLink.open({ name: 'tsq1', netns: ns.name, up: true, offload: 'off' });
  // Writes on the JS thread unless asked: these tests read the backlog's counters right after flush.
  const link = TunLink.open({
    name: 'tsq0', netns: ns.name, up: true, offload: opts.offload, sndBuf: 8192, txQueueMax: opts.txQueueMax, txThread: opts.txThread ?? false,
  });
  const got: number[] = [];
  sink.onReceive((packets) => {
    for (const p of packets) if (p.length === SIZE && p[9] === 17) got.push(p.readUInt32BE(28));
  });
  const tc = (args: string[]) => ns.exec('tc', args, { check: true });
  await tc(['qdisc', 'add', 'dev', 'tsq1', 'root', 'tbf', 'rate', rate, 'burst', '1600', 'limit', '1000000']);
  await tc(['qdisc', 'add', 'dev', 'tsq0', 'ingress']);
  await tc(['filter', 'add', 'dev', 'tsq0', 'parent', 'ffff:', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', 'tsq1']);
  return { link, sink, got };
}

const inOrder = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe.skipIf(!READY)('TUN write backlog on EAGAIN (linux)', () => {
  for (const offload of ['off', 'on'] as const) {
    it(`offload ${offload}: queues what the kernel refuses with EAGAIN and writes it, in order, once the fd is writable`, () =>
      withNetns('tsnq', async (ns) => {
        // 3 mbit/s: ~2.7 ms per packet, the 60 drain in about 0.2 s.
        const { link, sink, got } = await heldPath(ns, '3mbit', { offload });
        try {
          for (let i = 0; i < COUNT; i++) link.send(numbered(i));
          link.flush();
          const c = link.counters;
          // A few writes fit in the 8 KiB sndbuf; the rest wait in the backlog.
          expect(c.txEagain).toBeGreaterThan(0);
          expect(c.txPackets).toBeGreaterThan(0);
          expect(c.txQueuedOnEagain).toBe(COUNT - c.txPackets);
          expect(c.txBacklogPackets).toBeGreaterThan(0);
          await waitFor(() => got.length >= COUNT, 5000);
          expect(got).toEqual(inOrder(COUNT));
          const after = link.counterGroups.Link;
          expect(after.txPackets).toBe(COUNT);
          expect(after.txBacklogWritten).toBe(after.txQueuedOnEagain);
          expect(after.txBacklogPackets).toBe(0);
          expect(after.txWriteErrors).toBe(0);
          expect(after.txQueueFull).toBe(0);
        } finally {
          await link.close();
          await sink.close();
        }
      }));
  }

  it('bounds the backlog by txQueueMax: tail drop, counted, the rest in order', () =>
    withNetns('tsnq', async (ns) => {
      const { link, sink, got } = await heldPath(ns, '3mbit', { offload: 'off', txQueueMax: 5 * SIZE });
      try {
        for (let i = 0; i < COUNT; i++) link.send(numbered(i));
        link.flush();
        const c = link.counters;
        const direct = c.txPackets;
        expect(c.txQueuedOnEagain).toBe(5);
        expect(c.txQueueFull).toBe(COUNT - direct - 5);
        await waitFor(() => link.counterGroups.Link.txBacklogPackets === 0 && got.length >= direct + 5, 5000);
        // What was accepted arrives in order with no gap; only the tail was dropped.
        expect(got).toEqual(inOrder(direct + 5));
        expect(link.counters.txPackets + link.counters.txQueueFull).toBe(COUNT);
      } finally {
        await link.close();
        await sink.close();
      }
    }));

  // Any other errno is a drop, not a backlog entry: a device that is down
  // refuses writes with EIO. ENOBUFS (skb allocation failure under memory
  // pressure) takes the same branch but cannot be provoked on demand.
  it('drops and counts a write refused with another errno (EIO: device down), queues nothing', () =>
    withNetns('tsnq', async (ns) => {
      const link = TunLink.open({ name: 'tsq0', netns: ns.name, up: false, offload: 'off', txThread: false });
      try {
        link.send(numbered(0));
        link.flush();
        const c = link.counterGroups.Link;
        expect(link.lastWriteErrno).toBe(5); // EIO
        expect(c.txWriteErrors).toBe(1);
        expect(c.txPackets).toBe(0);
        expect(c.txQueuedOnEagain).toBe(0);
        expect(c.txEagain).toBe(0);
      } finally {
        await link.close();
      }
    }));

  it('counts a backlog still waiting at close', () =>
    withNetns('tsnq', async (ns) => {
      // 64 kbit/s: a 1000-byte packet every 125 ms, so the backlog outlives the close.
      const { link, sink } = await heldPath(ns, '64kbit', { offload: 'off' });
      try {
        for (let i = 0; i < COUNT; i++) link.send(numbered(i));
        link.flush();
        const pending = link.counters.txBacklogPackets;
        expect(pending).toBeGreaterThan(0);
        await link.close();
        const c = link.counters;
        expect(c.txBacklogPackets).toBe(0);
        expect(c.txBacklogDiscardedOnClose).toBeGreaterThan(0);
        expect(c.txBacklogDiscardedOnClose).toBeLessThanOrEqual(pending);
        expect(c.txPackets + c.txBacklogDiscardedOnClose).toBe(COUNT);
      } finally {
        await link.close();
        await sink.close();
      }
    }));
});

/**
 * The same held path with the writer thread (txThread, native/tx-writer.h):
 * flush only queues; the thread polls the fd for POLLOUT on EAGAIN and
 * retries the same packet, so everything arrives in order and nothing is
 * lost; the queue is bounded by txQueueMax (tail drop, counted) and what it
 * still holds at close is counted.
 */
describe.skipIf(!READY)('TUN writer thread under EAGAIN (linux)', () => {
  for (const offload of ['off', 'on'] as const) {
    it(`offload ${offload}: waits for room and writes everything, in order`, () =>
      withNetns('tsnq', async (ns) => {
        const { link, sink, got } = await heldPath(ns, '3mbit', { offload, txThread: true });
        try {
          expect(link.txThread).toBe(true);
          for (let i = 0; i < COUNT; i++) link.send(numbered(i));
          link.flush();
          await waitFor(() => got.length >= COUNT, 5000);
          expect(got).toEqual(inOrder(COUNT));
          const c = link.counterGroups.Link;
          expect(c.txPackets).toBe(COUNT);
          expect(c.txEagain).toBeGreaterThan(0);
          expect(c.txQueuedOnEagain).toBe(COUNT); // every packet passes the writer's queue
          expect(c.txBacklogPackets).toBe(0);
          expect(c.txWriteErrors).toBe(0);
          expect(c.txQueueFull).toBe(0);
        } finally {
          await link.close();
          await sink.close();
        }
      }));
  }

  it('bounds the queue by txQueueMax: the writer takes what fits, the rest waits in JS, nothing is dropped', () =>
    withNetns('tsnq', async (ns) => {
      const { link, sink, got } = await heldPath(ns, '3mbit', { offload: 'off', txQueueMax: 5 * SIZE, txThread: true });
      try {
        for (let i = 0; i < COUNT; i++) link.send(numbered(i));
        link.flush();
        // The writer took the first 5 (its bound); 55 wait in the link for room.
        expect(link.counterGroups.Link.txQueuedOnEagain).toBe(5);
        expect(link.counters.txHeldFull).toBe(1);
        await waitFor(() => got.length >= COUNT, 5000);
        expect(got).toEqual(inOrder(COUNT));
        const c = link.counterGroups.Link;
        expect(c.txPackets).toBe(COUNT);
        expect(c.txQueueFull).toBe(0);
        expect(c.txRoomWakeups).toBeGreaterThan(1);
      } finally {
        await link.close();
        await sink.close();
      }
    }));

  it('backpressure: past the high-water mark batches wait in JS (bounded) until the writer has room', () =>
    withNetns('tsnq', async (ns) => {
      // High water is half of txQueueMax (5 packets): 8 queued at once pass it.
      const { link, sink, got } = await heldPath(ns, '3mbit', { offload: 'off', txQueueMax: 10 * SIZE, txThread: true });
      try {
        for (let i = 0; i < 8; i++) link.send(numbered(i));
        link.flush();
        expect(link.counters.txHeldFull).toBe(1);
        // While held, up to txQueueMax bytes wait in the link (10 packets); past that, tail drop, counted.
        for (let i = 8; i < 20; i++) link.send(numbered(i));
        link.flush(); // held: nothing more reaches the writer yet
        expect(link.counterGroups.Link.txQueuedOnEagain).toBe(8);
        expect(link.counters.txQueueFull).toBe(2);
        await waitFor(() => got.length >= 18, 5000);
        expect(got).toEqual(inOrder(18));
        const c = link.counterGroups.Link;
        expect(c.txRoomWakeups).toBeGreaterThanOrEqual(1);
        expect(c.txPackets).toBe(18);
      } finally {
        await link.close();
        await sink.close();
      }
    }));

  it('counts what is still queued at close, and close returns with the thread joined', () =>
    withNetns('tsnq', async (ns) => {
      const { link, sink } = await heldPath(ns, '64kbit', { offload: 'off', txThread: true });
      try {
        for (let i = 0; i < COUNT; i++) link.send(numbered(i));
        link.flush();
        await link.close();
        const c = link.counters;
        expect(c.txBacklogPackets).toBe(0);
        expect(c.txBacklogDiscardedOnClose).toBeGreaterThan(0);
        expect(c.txPackets + c.txBacklogDiscardedOnClose).toBe(COUNT);
      } finally {
        await link.close();
        await sink.close();
      }
    }));
});
