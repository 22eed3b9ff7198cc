/**
 * The link's rate, measured from what the uploads send and remembered across uploads and
 * pages (`localStorage`, key `airlift:link`), so the next file is planned for the link
 * (`link-plan.ts`) instead of for a slow one. A measure older than `LINK_MEMORY_MS` is
 * forgotten: the laptop has likely moved to another network.
 */
import { SpeedMeter } from './progress.ts';

export const LINK_KEY = 'airlift:link';
/** 36 h: a day's work and the next morning's, on the same desk's network. */
export const LINK_MEMORY_MS = 36 * 3600 * 1000;
/** A measure needs this span of sending before it replaces the remembered one. */
const MIN_SPAN_MS = 2000;
/** The remembered rate is written at most this often. */
const SAVE_EVERY_MS = 2000;

interface Remembered {
  bytesPerSecond: number;
  at: number;
}

export class LinkMeter {
  readonly #meter = new SpeedMeter(8000, MIN_SPAN_MS);
  readonly #storage: Pick<Storage, 'getItem' | 'setItem'> | null;
  readonly #now: () => number;
  #rate: number | null;
  #savedAt = -Infinity;

  /** `storage` is the page's `localStorage`; without one the rate lives as long as the meter. */
  constructor(storage: Pick<Storage, 'getItem' | 'setItem'> | null = null, now: () => number = Date.now) {
    this.#storage = storage;
    this.#now = now;
    this.#rate = this.#recall();
  }

  /** The link's rate in bytes/s: the live measure, else the remembered one, else null. */
  rate(): number | null {
    return this.#rate;
  }

  /** Feeds the bytes sent so far (a count that only grows) at `at` ms (`performance.now()`). */
  add(at: number, sentBytes: number): void {
    this.#meter.add(at, sentBytes);
    const rate = this.#meter.bytesPerSecond();
    if (rate === null || rate <= 0) return;
    this.#rate = rate;
    if (at - this.#savedAt >= SAVE_EVERY_MS) {
      this.#savedAt = at;
      this.#save({ bytesPerSecond: Math.round(rate), at: this.#now() });
    }
  }

  /** Sending stopped (a pause, the queue empty): the next bytes start a new measure. */
  idle(): void {
    this.#meter.reset();
  }

  #recall(): number | null {
    try {
      const saved = JSON.parse(this.#storage?.getItem(LINK_KEY) ?? 'null') as Partial<Remembered> | null;
      if (!saved || typeof saved.bytesPerSecond !== 'number' || typeof saved.at !== 'number' || !(saved.bytesPerSecond > 0)) return null;
      const age = this.#now() - saved.at;
      return age >= 0 && age < LINK_MEMORY_MS ? saved.bytesPerSecond : null;
    } catch {
      return null;
    }
  }

  #save(value: Remembered): void {
    try {
      this.#storage?.setItem(LINK_KEY, JSON.stringify(value));
    } catch {
      // A full or blocked storage only costs the next page a measure.
    }
  }
}
