/** No congestion control: an unbounded window (for tests that isolate flow control). */
import type { CongestionControl } from './types.js';

export class NoCongestionControl implements CongestionControl {
  readonly name = 'none';
  readonly window = 0x7fffffff;
  readonly ssthresh = 0x7fffffff;
  onAck(): void {}
  onDupAck(): void {}
  onLoss(): void {}
  onPartialAck(): void {}
  onRecoveryExit(): void {}
  onRto(): void {}
}
