/** A Link the fuzzers drive by hand: inject received batches, take what was sent. */
import type { Link, ReceiveHandler } from '../link/link.js';

export class InjectLink implements Link {
  private sent: Buffer[] = [];
  private handler: ReceiveHandler | undefined;

  constructor(readonly mtu = 1500) {}

  send(packet: Buffer): void {
    this.sent.push(packet);
  }

  onReceive(handler: ReceiveHandler): void {
    this.handler = handler;
  }

  inject(...packets: Buffer[]): void {
    this.handler?.(packets);
  }

  /** Everything sent since the last take(). */
  take(): Buffer[] {
    const s = this.sent;
    this.sent = [];
    return s;
  }

  async close(): Promise<void> {}
}
