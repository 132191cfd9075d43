/**
 * Memory held by all TCP connections of a layer, with Linux's tcp_mem
 * behaviour (net.ipv4.tcp_mem = low pressure high, in 4 KiB pages;
 * tcp_memory_allocated, sk_memory_allocated):
 *
 *  - above `pressure` the layer enters memory pressure (tcp_enter_memory_pressure,
 *    counted as TCPMemoryPressures) and leaves it below `low`;
 *  - under pressure receive windows stop growing past 4 × MSS
 *    (__tcp_select_window clamps rcv_ssthresh), so senders slow down;
 *  - above `high` new receive buffers are refused: a segment that would
 *    queue data is dropped (TCPRcvQDrop in order, TCPOFODrop out of order;
 *    tcp_try_rmem_schedule) unless the receive queue is empty — so an
 *    application that reads always makes progress (Linux sk_forced_mem_schedule) —
 *    and the peer retransmits it, nothing is lost; with less than a page left
 *    writes get room only up to a 4 KiB floor per connection (tcp_wmem[0],
 *    sk_wmem_schedule), so they wait for ACKs to free some.
 *
 * What is charged: payload bytes in receive queues (in order and out of
 * order) and send buffers — the buffers themselves, not Linux's truesize.
 * Send and receive buffers charge it as they grow and shrink
 * (send-buffer.ts, reassembly/receive-buffer.ts).
 */
export const TCP_MEM_PAGE = 4096;

/** Linux tcp_wmem[0]: a connection may always queue this much to send. */
export const SND_BUF_FLOOR = 4096;

/** Something buffers charge when they grow (+) and shrink (-). */
export interface MemoryAccount {
  charge(bytes: number): void;
}

export class TcpMemory implements MemoryAccount {
  /** Bytes held now (tcp_memory_allocated, in bytes). */
  allocated = 0;
  /** Largest `allocated` seen. */
  peak = 0;
  private pressure = false;

  constructor(
    /** [low, pressure, high] in 4 KiB pages. */
    private readonly pages: () => readonly [number, number, number],
    private readonly stats: Record<string, number>,
  ) {}

  charge(bytes: number): void {
    this.allocated += bytes;
    if (this.allocated > this.peak) this.peak = this.allocated;
    const [low, pressure] = this.pages();
    if (!this.pressure && this.allocated > pressure * TCP_MEM_PAGE) {
      this.pressure = true;
      this.stats.TCPMemoryPressures = (this.stats.TCPMemoryPressures ?? 0) + 1;
    } else if (this.pressure && this.allocated < low * TCP_MEM_PAGE) {
      this.pressure = false;
    }
  }

  /** tcp_under_memory_pressure. */
  get underPressure(): boolean {
    return this.pressure;
  }

  /** Would `bytes` more go over the hard limit (tcp_mem[2])? */
  overHigh(bytes: number): boolean {
    return this.allocated + bytes > this.pages()[2] * TCP_MEM_PAGE;
  }

  /** Pages in use, as /proc/net/sockstat's "TCP: ... mem N". */
  get pagesUsed(): number {
    return Math.ceil(this.allocated / TCP_MEM_PAGE);
  }
}
