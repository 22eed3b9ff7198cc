/**
 * Presigned part URLs, asked for on demand and in batches: the part about to be sent and
 * the next few that will need one share one round trip. A URL is reused only while it has
 * time left for the part to get there, and dropped when the store refuses it, so a slow link
 * sends to an expired URL neither once nor twice, whatever the URLs' lifetime.
 */
import type { SignedPart } from '../shared/api.ts';

export interface PartSignerOptions {
  /** Signs the given part numbers (one API call). */
  sign(partNumbers: number[], signal: AbortSignal): Promise<SignedPart[]>;
  /** The part numbers still to send, in sending order: the batch is filled from them. */
  upcoming(): Iterable<number>;
  batchSize: number;
  /**
   * A URL with less time left than this is signed again rather than used: 30 s by default,
   * plus the time the part should take to send (what `sendTimeMs` says), so a part on a slow
   * link never reaches the store on a URL that expired on the way.
   */
  marginMs?: number;
  sendTimeMs?: (partNumber: number) => number;
  now?: () => number;
}

export class PartSigner {
  readonly #urls = new Map<number, SignedPart>();
  readonly #pending = new Map<number, Promise<SignedPart[]>>();
  readonly #options: PartSignerOptions;

  constructor(options: PartSignerOptions) {
    this.#options = options;
  }

  /** Seeds a URL the server handed out already (the single PUT of a new upload). */
  remember(part: SignedPart): void {
    this.#urls.set(part.part_number, part);
  }

  /** Drops a part's URL: it was used up, or the store refused it. */
  forget(partNumber: number): void {
    this.#urls.delete(partNumber);
  }

  async urlFor(partNumber: number, signal: AbortSignal): Promise<SignedPart> {
    const cached = this.#urls.get(partNumber);
    if (cached && this.#usable(cached)) return cached;
    const batch = await (this.#pending.get(partNumber) ?? this.#request(partNumber, signal));
    const signed = batch.find((part) => part.part_number === partNumber);
    if (!signed) throw new Error(`The server did not sign part ${partNumber}.`);
    return signed;
  }

  #usable(part: SignedPart): boolean {
    const { marginMs = 30_000, sendTimeMs, now = Date.now } = this.#options;
    return Date.parse(part.expires_at) - now() > marginMs + (sendTimeMs?.(part.part_number) ?? 0);
  }

  #request(partNumber: number, signal: AbortSignal): Promise<SignedPart[]> {
    const numbers = [partNumber];
    for (const next of this.#options.upcoming()) {
      if (numbers.length >= this.#options.batchSize) break;
      const cached = this.#urls.get(next);
      if (next !== partNumber && !this.#pending.has(next) && !(cached && this.#usable(cached))) numbers.push(next);
    }
    const batch = this.#options.sign(numbers, signal).then((parts) => {
      for (const part of parts) this.#urls.set(part.part_number, part);
      return parts;
    });
    for (const number of numbers) this.#pending.set(number, batch);
    const release = () => {
      for (const number of numbers) if (this.#pending.get(number) === batch) this.#pending.delete(number);
    };
    batch.then(release, release);
    return batch;
  }
}
