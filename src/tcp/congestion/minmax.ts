/**
 * Kathleen Nichols' windowed min/max filter as Linux lib/win_minmax.c keeps
 * it: the best, second-best and third-best samples over a sliding window,
 * each from a later sub-window, so the maximum over the last `win` units is
 * known in O(1) memory. BBR's bandwidth filter runs it over round trips.
 */
interface Sample {
  t: number;
  v: number;
}

export class WindowedMax {
  private readonly s: [Sample, Sample, Sample] = [
    { t: 0, v: 0 },
    { t: 0, v: 0 },
    { t: 0, v: 0 },
  ];

  get value(): number {
    return this.s[0].v;
  }

  reset(t: number, v: number): number {
    for (const x of this.s) {
      x.t = t;
      x.v = v;
    }
    return v;
  }

  /** Linux minmax_running_max: add sample `v` at time `t` (same unit as `win`); returns the windowed max. */
  update(win: number, t: number, v: number): number {
    const s = this.s;
    if (v >= s[0].v || t - s[2].t > win) return this.reset(t, v);
    if (v >= s[1].v) s[2] = s[1] = { t, v };
    else if (v >= s[2].v) s[2] = { t, v };
    return this.subwinUpdate(win, { t, v });
  }

  /** Linux minmax_subwin_update: age the best samples out as the window slides past them. */
  private subwinUpdate(win: number, val: Sample): number {
    const s = this.s;
    const dt = val.t - s[0].t;
    if (dt > win) {
      s[0] = s[1];
      s[1] = s[2];
      s[2] = val;
      if (val.t - s[0].t > win) {
        s[0] = s[1];
        s[1] = s[2];
        s[2] = val;
      }
    } else if (s[1].t === s[0].t && dt > win / 4) {
      s[2] = s[1] = val;
    } else if (s[2].t === s[1].t && dt > win / 2) {
      s[2] = val;
    }
    return s[0].v;
  }
}
