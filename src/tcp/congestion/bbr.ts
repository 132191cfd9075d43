/**
 * BBR v1 as Linux net/ipv4/tcp_bbr.c runs it (Cardwell et al., "BBR:
 * Congestion-Based Congestion Control", ACM Queue 2016;
 * draft-cardwell-iccrg-bbr-congestion-control-00). A model of the path —
 * the windowed maximum of delivery-rate samples over 10 round trips
 * (BtlBw) and the minimum RTT over 10 s (RTprop) — sets the pacing rate
 * (gain × BtlBw) and cwnd (gain × BDP plus a quantization budget). Four
 * modes: STARTUP (gain 2/ln2 until the bandwidth stops growing by 25 % for
 * three rounds), DRAIN (the inverse gain until in-flight ≤ BDP), PROBE_BW
 * (an eight-phase gain cycle 5/4, 3/4, 1 × 6) and PROBE_RTT (cwnd 4
 * segments for 200 ms and a round trip when the min RTT is 10 s old).
 *
 * Units: bandwidth in bytes/ms, RTT in ms, cwnd in segments, delivered in
 * bytes. Long-term bandwidth sampling for policers is in bbr-lt.ts, the
 * ACK-aggregation cwnd allowance (Linux, 2019) in bbr-ack-aggr.ts.
 */
import type { Rng } from '../../util/random.js';
import { randInt } from '../../util/random.js';
import type { RateSample } from '../delivery-rate.js';
import { AckAggregation } from './bbr-ack-aggr.js';
import { LongTermBw } from './bbr-lt.js';
import { WindowedMax } from './minmax.js';
import { INFINITE_SSTHRESH, type AckEvent, type CongestionController } from './types.js';

export type BbrMode = 'startup' | 'drain' | 'probe_bw' | 'probe_rtt';
type CaState = NonNullable<AckEvent['caState']>;

/** bbr_high_gain: 2/ln2 (Linux BBR_UNIT * 2885 / 1000 + 1), the smallest gain that doubles the rate each round. */
export const BBR_HIGH_GAIN = 2885 / 1000;
/** bbr_drain_gain: the inverse, to empty in one round the queue STARTUP built. */
export const BBR_DRAIN_GAIN = 1000 / 2885;
/** bbr_cwnd_gain in PROBE_BW: two BDPs, room for delayed and aggregated ACKs. */
export const BBR_CWND_GAIN = 2;
/** bbr_pacing_gain: probe up by 25 %, drain the probe's queue, then cruise for six phases. */
export const BBR_PACING_GAIN = [5 / 4, 3 / 4, 1, 1, 1, 1, 1, 1] as const;
const CYCLE_LEN = BBR_PACING_GAIN.length;
/** bbr_cycle_rand: PROBE_BW starts at a random phase other than the 3/4 one. */
const CYCLE_RAND = 7;
/** bbr_bw_rtts: the max filter spans this many round trips. */
export const BBR_BW_RTTS = CYCLE_LEN + 2;
/** bbr_min_rtt_win_sec and bbr_probe_rtt_mode_ms. */
export const BBR_MIN_RTT_WIN_MS = 10_000;
export const BBR_PROBE_RTT_MODE_MS = 200;
/** bbr_cwnd_min_target: the cwnd floor, and PROBE_RTT's cwnd. */
export const BBR_CWND_MIN_TARGET = 4;
/** bbr_full_bw_thresh / bbr_full_bw_cnt: STARTUP ends after 3 rounds without 25 % growth. */
const FULL_BW_THRESH = 5 / 4;
const FULL_BW_CNT = 3;
/** bbr_pacing_margin_percent: pace 1 % under the estimate so queues stay empty. */
const PACING_MARGIN = 0.99;
/** TCP_INIT_CWND, for the BDP before any RTT sample. */
const INIT_CWND = 10;
/** bbr_min_tso_rate (1.2 Mbit/s) in bytes/ms, and Linux's 64 KiB GSO ceiling less MAX_TCP_HEADER. */
const MIN_TSO_RATE = 150;
const GSO_MAX_BYTES = 65536 - 1 - 320;
export class Bbr implements CongestionController {
  readonly name = 'bbr';
  cwnd: number;
  ssthresh = INFINITE_SSTHRESH;
  mode: BbrMode = 'startup';
  pacingGain = BBR_HIGH_GAIN;
  cwndGain = BBR_HIGH_GAIN;
  /** sk_pacing_rate, bytes/ms; undefined until the first ACK gives the MSS. */
  private pacing: number | undefined;
  private mss = 0;
  private readonly bw = new WindowedMax();
  /** Round trips counted by delivery (bbr->rtt_cnt, next_rtt_delivered, round_start). */
  private rttCnt = 0;
  private nextRttDelivered = 0;
  private roundStart = false;
  private packetConservation = false;
  private prevCaState: CaState = 'open';
  private priorCwnd = 0;
  /** RTprop estimate and when it was taken (bbr->min_rtt_us, min_rtt_stamp); -1: not yet. */
  minRtt = Infinity;
  minRttStamp = -1;
  /** End of the PROBE_RTT dwell (-1: not started) and whether a round passed in it. */
  private probeRttDoneAt = -1;
  private probeRttRoundDone = false;
  private idleRestart = false;
  fullBwReached = false;
  private fullBw = 0;
  private fullBwCnt = 0;
  cycleIdx = 0;
  private cycleStamp = 0;
  private hasSeenRtt = false;
  private delivered = 0;
  /** Bytes deemed lost so far (Linux tp->lost), for the policer detector. */
  private lost = 0;
  /** Time of the last ACK seen (Linux delivered_mstamp, for resets outside an ACK). */
  private lastAckAt = 0;
  readonly lt = new LongTermBw();
  readonly aggr = new AckAggregation();

  constructor(
    initialCwnd: number,
    private readonly rng: Rng,
  ) {
    this.cwnd = initialCwnd;
  }

  get pacingRate(): number | undefined {
    return this.pacing;
  }

  get wantsAppLimited(): boolean {
    return this.mode === 'probe_rtt';
  }

  /** The max-filtered bandwidth estimate, bytes/ms (bbr_max_bw). */
  get btlBw(): number {
    return this.bw.value;
  }

  /** The rate the model runs on (bbr_bw): the policed rate while one is detected. */
  get modelBw(): number {
    return this.lt.useBw ? this.lt.bw : this.bw.value;
  }

  /** bbr_main: update the model, then pacing rate and cwnd from it. */
  congControl(e: AckEvent): void {
    const rs = e.rs;
    if (!rs) return;
    this.mss = e.mss;
    this.delivered = e.delivered;
    this.lost += Math.max(0, rs.losses);
    this.lastAckAt = e.now;
    if (this.minRttStamp < 0) this.minRttStamp = e.now;
    if (this.pacing === undefined) this.initPacingRate(e);
    this.updateBw(e, rs);
    if (rs.delivered >= 0 && rs.interval > 0) {
      this.aggr.update({ now: e.now, roundStart: this.roundStart, bw: this.modelBw, ackedSacked: rs.ackedSacked, cwndBytes: this.cwnd * e.mss, mss: e.mss });
    }
    this.updateCyclePhase(e, rs);
    this.checkFullBwReached(rs);
    this.checkDrain(e);
    this.updateMinRtt(e, rs);
    this.updateGains();
    this.setPacingRate(e, this.modelBw, this.pacingGain);
    this.setCwnd(e, rs, this.modelBw, this.cwndGain);
  }

  /** bbr_init_pacing_rate_from_rtt: cwnd over SRTT (or 1 ms) at the high gain. */
  private initPacingRate(e: AckEvent): void {
    let rtt = 1;
    if (e.srtt > 0) {
      rtt = e.srtt;
      this.hasSeenRtt = true;
    }
    this.pacing = ((this.cwnd * e.mss) / rtt) * BBR_HIGH_GAIN * PACING_MARGIN;
  }

  /** bbr_set_pacing_rate: never lower the rate before STARTUP has found the bandwidth. */
  private setPacingRate(e: AckEvent, bw: number, gain: number): void {
    const rate = bw * gain * PACING_MARGIN;
    if (!this.hasSeenRtt && e.srtt > 0) this.initPacingRate(e);
    if (this.fullBwReached || rate > (this.pacing ?? 0)) this.pacing = rate;
  }

  /** bbr_update_bw: a round ends when a packet sent after the last round's end is delivered. */
  private updateBw(e: AckEvent, rs: RateSample): void {
    this.roundStart = false;
    if (rs.delivered < 0 || rs.interval <= 0) return;
    if (rs.priorDelivered >= this.nextRttDelivered) {
      this.nextRttDelivered = this.delivered;
      this.rttCnt++;
      this.roundStart = true;
      this.packetConservation = false;
    }
    this.ltSample(e.now, rs.losses, rs.isAppLimited);
    const bw = rs.delivered / rs.interval;
    // An app-limited sample only counts if it shows more than the estimate (it can only understate).
    if (!rs.isAppLimited || bw >= this.btlBw) this.bw.update(BBR_BW_RTTS, this.rttCnt, bw);
  }

  private ltSample(now: number, losses: number, appLimited: boolean): void {
    const verdict = this.lt.sample({ now, delivered: this.delivered, lost: this.lost, losses, appLimited, roundStart: this.roundStart, probeBw: this.mode === 'probe_bw' });
    if (verdict === 'policed') this.pacingGain = 1; // try to avoid drops
    else if (verdict === 'expired') this.resetProbeBwMode(now); // restart gain cycling
  }

  /** bbr_bdp: gain × bandwidth × min RTT, in whole segments; the initial window before any RTT sample. */
  private bdp(bw: number, gain: number): number {
    if (this.minRtt === Infinity || this.mss <= 0) return INIT_CWND;
    return Math.ceil((bw * this.minRtt * gain) / this.mss);
  }

  /** bbr_tso_segs_goal: segments in about 1 ms at the pacing rate (sk_pacing_rate >> 10), 2..127. */
  private tsoSegsGoal(): number {
    const rate = this.pacing ?? 0;
    const bytes = Math.min((rate * 1000) / 1024, GSO_MAX_BYTES);
    const minSegs = rate < MIN_TSO_RATE ? 1 : 2;
    return Math.min(Math.max(Math.floor(bytes / Math.max(1, this.mss)), minSegs), 127);
  }

  /** bbr_inflight: gain × BDP plus the quantization budget. */
  inflightTarget(bw: number, gain: number): number {
    return this.quantizationBudget(this.bdp(bw, gain));
  }

  /**
   * bbr_set_cwnd's target: gain × BDP plus the ACK-aggregation allowance
   * (bbr_ack_aggregation_cwnd), then the quantization budget.
   */
  cwndTarget(bw: number, gain: number): number {
    return this.quantizationBudget(this.bdp(bw, gain) + this.aggr.cwndSegments(bw, this.mss, this.fullBwReached));
  }

  /** bbr_quantization_budget: room for the send and receive sides' TSO batches. */
  private quantizationBudget(bdp: number): number {
    let cwnd = bdp + 3 * this.tsoSegsGoal();
    cwnd += cwnd % 2; // round up to even: delayed ACKs acknowledge pairs
    if (this.mode === 'probe_bw' && this.cycleIdx === 0) cwnd += 2; // the 5/4 phase must reach its target
    return cwnd;
  }

  /** bbr_is_next_cycle_phase: each phase lasts a min RTT; the probe stays until it filled its target or saw loss. */
  private isNextCyclePhase(e: AckEvent, rs: RateSample): boolean {
    const fullLength = e.now - this.cycleStamp > this.minRtt;
    const gain = this.pacingGain;
    if (gain === 1) return fullLength;
    const inflight = e.priorInFlight;
    if (gain > 1) return fullLength && (rs.losses > 0 || inflight >= this.inflightTarget(this.btlBw, gain));
    return fullLength || inflight <= this.inflightTarget(this.btlBw, 1);
  }

  private updateCyclePhase(e: AckEvent, rs: RateSample): void {
    if (this.mode === 'probe_bw' && this.isNextCyclePhase(e, rs)) this.advanceCyclePhase(e.now);
  }

  private advanceCyclePhase(now: number): void {
    this.cycleIdx = (this.cycleIdx + 1) % CYCLE_LEN;
    this.cycleStamp = now;
  }

  /** bbr_check_full_bw_reached: the pipe is full once three rounds grow the estimate by less than 25 %. */
  private checkFullBwReached(rs: RateSample): void {
    if (this.fullBwReached || !this.roundStart || rs.isAppLimited) return;
    if (this.btlBw >= this.fullBw * FULL_BW_THRESH) {
      this.fullBw = this.btlBw;
      this.fullBwCnt = 0;
      return;
    }
    this.fullBwCnt++;
    this.fullBwReached = this.fullBwCnt >= FULL_BW_CNT;
  }

  /** bbr_check_drain: STARTUP → DRAIN at full bandwidth, DRAIN → PROBE_BW once in-flight fits one BDP. */
  private checkDrain(e: AckEvent): void {
    if (this.mode === 'startup' && this.fullBwReached) {
      this.mode = 'drain';
      this.ssthresh = this.inflightTarget(this.btlBw, 1);
    }
    if (this.mode === 'drain' && (e.inFlight ?? e.priorInFlight) <= this.inflightTarget(this.btlBw, 1)) this.resetProbeBwMode(e.now);
  }

  /** bbr_reset_probe_bw_mode: start the gain cycle at a random phase other than the draining one. */
  private resetProbeBwMode(now: number): void {
    this.mode = 'probe_bw';
    this.cycleIdx = CYCLE_LEN - 1 - randInt(this.rng, CYCLE_RAND);
    this.advanceCyclePhase(now);
  }

  private resetMode(now: number): void {
    if (!this.fullBwReached) this.mode = 'startup';
    else this.resetProbeBwMode(now);
  }

  /**
   * bbr_update_min_rtt: a lower RTT (or any, once the estimate is 10 s old,
   * unless the ACK may have been delayed: a lone runt's delayed ACK carries
   * up to 200 ms of the receiver's timer and would bloat RTprop, Linux
   * "tcp: avoid min RTT bloat by skipping RTT from delayed-ACK in BBR")
   * replaces RTprop; an expired estimate sends the flow to PROBE_RTT, which
   * holds cwnd at 4 segments for 200 ms and a round trip so the queue
   * drains and the path's real RTT shows.
   */
  private updateMinRtt(e: AckEvent, rs: RateSample): void {
    const expired = e.now > this.minRttStamp + BBR_MIN_RTT_WIN_MS;
    const rtt = e.rtt ?? (this.minRtt === Infinity && e.minRtt !== Infinity ? e.minRtt : undefined);
    if (rtt !== undefined && (rtt < this.minRtt || (expired && !rs.isAckDelayed))) {
      this.minRtt = rtt;
      this.minRttStamp = e.now;
    }
    if (expired && !this.idleRestart && this.mode !== 'probe_rtt') {
      this.mode = 'probe_rtt';
      this.saveCwnd();
      this.probeRttDoneAt = -1;
    }
    if (this.mode === 'probe_rtt') {
      const inFlight = e.inFlight ?? e.priorInFlight;
      if (this.probeRttDoneAt < 0 && inFlight <= BBR_CWND_MIN_TARGET) {
        this.probeRttDoneAt = e.now + BBR_PROBE_RTT_MODE_MS;
        this.probeRttRoundDone = false;
        this.nextRttDelivered = this.delivered;
      } else if (this.probeRttDoneAt >= 0) {
        if (this.roundStart) this.probeRttRoundDone = true;
        if (this.probeRttRoundDone) this.checkProbeRttDone(e.now);
      }
    }
    if (rs.delivered > 0) this.idleRestart = false;
  }

  /** bbr_check_probe_rtt_done: restore cwnd and leave PROBE_RTT; the min RTT is fresh for another 10 s. */
  private checkProbeRttDone(now: number): void {
    if (!(this.probeRttDoneAt >= 0 && now > this.probeRttDoneAt)) return;
    this.minRttStamp = now;
    this.cwnd = Math.max(this.cwnd, this.priorCwnd);
    this.resetMode(now);
  }

  /** bbr_update_gains. */
  private updateGains(): void {
    switch (this.mode) {
      case 'startup':
        this.pacingGain = BBR_HIGH_GAIN;
        this.cwndGain = BBR_HIGH_GAIN;
        break;
      case 'drain':
        this.pacingGain = BBR_DRAIN_GAIN;
        this.cwndGain = BBR_HIGH_GAIN;
        break;
      case 'probe_bw':
        this.pacingGain = this.lt.useBw ? 1 : BBR_PACING_GAIN[this.cycleIdx];
        this.cwndGain = BBR_CWND_GAIN;
        break;
      case 'probe_rtt':
        this.pacingGain = 1;
        this.cwndGain = 1;
        break;
    }
  }

  /**
   * bbr_set_cwnd_to_recover_or_restore: packet conservation for the first
   * round of recovery (cwnd = in-flight + newly delivered), the saved cwnd
   * back when recovery or loss ends. Returns the cwnd to start from, and
   * whether conservation decided it.
   */
  private recoverOrRestore(e: AckEvent, rs: RateSample, acked: number): [number, boolean] {
    const prev = this.prevCaState;
    const state = e.caState ?? 'open';
    const inFlight = e.inFlight ?? e.priorInFlight;
    let cwnd = this.cwnd;
    if (rs.losses > 0) cwnd = Math.max(cwnd - rs.losses / this.mss, 1);
    if (state === 'recovery' && prev !== 'recovery') {
      this.packetConservation = true;
      this.nextRttDelivered = this.delivered; // start a round now
      cwnd = inFlight + acked;
    } else if ((prev === 'recovery' || prev === 'loss') && state !== 'recovery' && state !== 'loss') {
      cwnd = Math.max(cwnd, this.priorCwnd);
      this.packetConservation = false;
    }
    this.prevCaState = state;
    if (this.packetConservation) return [Math.max(cwnd, inFlight + acked), true];
    return [cwnd, false];
  }

  /** bbr_set_cwnd: grow toward gain × BDP (+ budget) by what each ACK delivered; never below 4 segments. */
  private setCwnd(e: AckEvent, rs: RateSample, bw: number, gain: number): void {
    const acked = rs.ackedSacked / e.mss;
    if (acked > 0) {
      const [base, decided] = this.recoverOrRestore(e, rs, acked);
      let cwnd = base;
      if (!decided) {
        const target = this.cwndTarget(bw, gain);
        if (this.fullBwReached) cwnd = Math.min(cwnd + acked, target);
        else if (cwnd < target || this.delivered < INIT_CWND * e.mss) cwnd += acked;
        cwnd = Math.max(cwnd, BBR_CWND_MIN_TARGET);
      }
      this.cwnd = Math.floor(cwnd);
    }
    if (this.mode === 'probe_rtt') this.cwnd = Math.min(this.cwnd, BBR_CWND_MIN_TARGET);
  }

  /** bbr_save_cwnd: what to restore after recovery or PROBE_RTT. */
  private saveCwnd(): void {
    if (this.prevCaState !== 'recovery' && this.prevCaState !== 'loss' && this.mode !== 'probe_rtt') this.priorCwnd = this.cwnd;
    else this.priorCwnd = Math.max(this.priorCwnd, this.cwnd);
  }

  /** Cwnd is BBR's own: cong_avoid is never used (Linux BBR has cong_control instead). */
  congAvoid(): void {}

  /** bbr_ssthresh: remember cwnd for the restore; ssthresh is not BBR's signal. */
  onCongestion(): number {
    this.saveCwnd();
    return this.ssthresh;
  }

  /** bbr_set_state(TCP_CA_Loss): a timeout ends the round and restarts the full-pipe check. */
  onRto(now: number): void {
    this.prevCaState = 'loss';
    this.fullBw = 0;
    this.roundStart = true;
    this.ltSample(now, 1, false);
  }

  /** bbr_cwnd_event(CA_EVENT_TX_START): restarting from idle, pace at the estimate, not above it. */
  onIdleRestart(now: number): void {
    this.idleRestart = true;
    this.aggr.restartEpoch(now);
    if (this.mode === 'probe_bw' && this.modelBw > 0) this.pacing = this.modelBw * PACING_MARGIN;
    else if (this.mode === 'probe_rtt') this.checkProbeRttDone(now);
  }

  /** bbr_undo_cwnd: a spurious loss; keep cwnd, but let STARTUP's full-pipe check look again. */
  undoCwnd(): number {
    this.fullBw = 0;
    this.fullBwCnt = 0;
    this.lt.reset({ now: this.lastAckAt, delivered: this.delivered, lost: this.lost });
    return this.cwnd;
  }

  /** Linux tcp_bbr_info (bbr_bw bytes/s, bbr_min_rtt µs, gains × 256) and the pacing rate (bytes/s). */
  info(): Record<string, number> {
    const gain = (g: number): number => Math.round(g * 256);
    return {
      bbrBw: Math.round(this.modelBw * 1000),
      bbrMinRtt: this.minRtt === Infinity ? 0 : Math.round(this.minRtt * 1000),
      bbrPacingGain: gain(this.pacingGain),
      bbrCwndGain: gain(this.cwndGain),
      pacingRate: Math.round((this.pacing ?? 0) * 1000),
    };
  }
}
