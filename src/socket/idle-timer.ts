/**
 * The idle timeout behind `socket.setTimeout(ms)`, on the injected Clock.
 * Node re-arms its socket timer on every read and write (`_unrefActive`);
 * doing that per packet would churn the timer queue, so activity only records
 * a timestamp and the timer, when it fires early, re-arms itself for the
 * remaining time (gVisor tcp/timer.go does the same for its deadlines).
 * After it fires it stays disarmed until the next activity, as Node's does.
 */
import type { Clock, Timer } from '../time/clock.js';

export class IdleTimer {
  private ms = 0;
  private lastActive = 0;
  private timer: Timer | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly onIdle: () => void,
  ) {}

  get timeout(): number {
    return this.ms;
  }

  /** 0 disables. A new value restarts the idle period from now. */
  set(ms: number): void {
    this.cancel();
    this.ms = ms > 0 ? ms : 0;
    if (this.ms > 0) {
      this.lastActive = this.clock.now();
      this.arm(this.lastActive + this.ms);
    }
  }

  /** Record activity; cheap enough for every read and write. */
  touch(): void {
    if (this.ms === 0) return;
    this.lastActive = this.clock.now();
    if (this.timer === null) this.arm(this.lastActive + this.ms);
  }

  cancel(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  private arm(at: number): void {
    this.timer = this.clock.setTimer(at, () => this.fire());
  }

  private fire(): void {
    this.timer = null;
    if (this.ms === 0) return;
    const due = this.lastActive + this.ms;
    if (this.clock.now() < due) {
      this.arm(due);
      return;
    }
    this.onIdle();
  }
}
