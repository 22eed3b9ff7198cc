/**
 * Progress math, pure: percent, speed over a sliding window of samples, time left. The
 * engine feeds it bytes derived from per-part state, so the figures never drift from what
 * the store has.
 */

export interface ProgressSnapshot {
  /** Bytes the store holds or is receiving now. */
  loaded: number;
  total: number;
  /** Whole percent, rounded down: 100 only once every byte is sent. */
  percent: number;
  /** Smoothed over the last few seconds; null until there is enough to measure. */
  bytesPerSecond: number | null;
  /** Seconds left at that speed; null when unknown. */
  secondsLeft: number | null;
  partsDone: number;
  partCount: number;
}

export function percentOf(loaded: number, total: number): number {
  if (total <= 0) return 0;
  return Math.min(100, Math.max(0, Math.floor((loaded * 100) / total)));
}

export function secondsLeft(remaining: number, bytesPerSecond: number | null): number | null {
  if (remaining <= 0) return 0;
  if (!bytesPerSecond || bytesPerSecond <= 0) return null;
  return Math.ceil(remaining / bytesPerSecond);
}

export function snapshot(
  loaded: number,
  total: number,
  parts: { done: number; count: number },
  bytesPerSecond: number | null,
): ProgressSnapshot {
  return {
    loaded,
    total,
    percent: percentOf(loaded, total),
    bytesPerSecond,
    secondsLeft: secondsLeft(total - loaded, bytesPerSecond),
    partsDone: parts.done,
    partCount: parts.count,
  };
}

/**
 * Speed as bytes gained over the samples of the last `windowMs`: steady enough to read,
 * recent enough to follow a change of link. Gaps (a pause) and drops (a part lost and
 * restarted) restart the measure instead of averaging across them.
 */
export class SpeedMeter {
  #samples: { at: number; loaded: number }[] = [];

  constructor(
    readonly windowMs = 5000,
    /** Below this span of samples the speed is not yet meaningful. */
    readonly minSpanMs = 500,
  ) {}

  add(at: number, loaded: number): void {
    const last = this.#samples.at(-1);
    if (last && loaded < last.loaded) this.#samples = [];
    this.#samples.push({ at, loaded });
    const from = at - this.windowMs;
    const stale = this.#samples.findIndex((sample) => sample.at >= from);
    if (stale > 0) this.#samples.splice(0, stale);
  }

  /** Bytes per second, or null when the samples span less than `minSpanMs`. */
  bytesPerSecond(): number | null {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (!first || !last || last.at - first.at < this.minSpanMs) return null;
    return ((last.loaded - first.loaded) * 1000) / (last.at - first.at);
  }

  reset(): void {
    this.#samples = [];
  }
}
