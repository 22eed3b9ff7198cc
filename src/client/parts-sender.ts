/**
 * Sends the parts of the plan the store lacks through the shared queue, each on its own
 * signed URL with its own retries; a plain single PUT is a plan of one part. The bytes of a
 * failed attempt are lost: the part goes again from its first byte, and a whole-file PUT
 * that failed, or goes slower than planned, gives way to parts (`SplitIntoParts`).
 */
import type { SignedPart, UploadState } from '../shared/api.ts';
import type { PartRange } from '../shared/plan.ts';
import { SplitIntoParts, UploadFailed } from './errors.ts';
import { childController } from './abort.ts';
import { outpacedPut } from './link-plan.ts';
import { partStored, PutPace, putPart, signerFor, splitsIntoParts, storedBefore } from './part-put.ts';
import { storedEtags } from './part-plan.ts';
import { allOrNothing, type Place } from './part-queue.ts';
import type { PartSigner } from './part-signer.ts';
import type { CompletedPart, SendContext, Sender, SentPart } from './sender.ts';

const MISSING_ETAG =
  "The storage did not expose the uploaded part's ETag header: the bucket's CORS rules must list ETag in ExposeHeaders (`airlift storage cors` sets them).";

interface Part extends SentPart {
  etag: string | null;
}

export interface PartsPlan {
  /** A multipart upload, completed with every part's ETag; otherwise one PUT of the whole file. */
  multipart: boolean;
  ranges: PartRange[];
  /** The parts the store holds already, or `all` when the upload is complete. */
  stored: UploadState['parts'] | 'all';
  /** The URL the server handed out with a new upload (its single PUT). */
  signed?: SignedPart;
}

export class PartsSender implements Sender {
  readonly parts: readonly Part[];
  readonly #ctx: SendContext;
  readonly #multipart: boolean;
  readonly #signer: PartSigner;

  constructor(ctx: SendContext, { multipart, ranges, stored, signed }: PartsPlan) {
    this.#ctx = ctx;
    this.#multipart = multipart;
    const etags = stored === 'all' ? null : storedEtags(ranges, stored);
    this.parts = ranges.map((range) => {
      // A completed upload's parts need no ETag: completing it again sends none.
      const etag = etags ? (etags.get(range.number) ?? null) : '';
      return { ...range, etag, done: etag !== null, sent: etag === null ? 0 : range.end - range.start };
    });
    this.#signer = signerFor(ctx, this.parts, signed);
  }

  async send(signal: AbortSignal): Promise<CompletedPart[]> {
    const { queue, priority } = this.#ctx;
    const missing = this.parts.filter((part) => !part.done);
    await allOrNothing(
      missing.map((part) => (group) => queue.run(priority, group, (place) => this.#sendPart(part, place, group), part.end - part.start)),
      signal,
    );
    return this.#multipart ? this.parts.map((part) => ({ part_number: part.number, etag: part.etag! })) : [];
  }

  /** Sends `part`, handing its `place` to the next part while the store's answer is awaited, and taking one again before it goes anew. */
  async #sendPart(part: Part, place: Place, signal: AbortSignal): Promise<void> {
    const ctx = this.#ctx;
    const signer = this.#signer;
    ctx.onSending();
    let lastUrl: string | undefined;
    const { transport } = ctx;
    part.etag = await ctx.request(
      async () => {
        await place.retake(signal);
        const { url, headers } = await signer.urlFor(part.number, signal);
        lastUrl = url;
        const { controller: attempt, dispose } = childController(signal);
        try {
          const progressed = this.#multipart ? undefined : this.#paceWatch(part, attempt);
          const result = await putPart(ctx, part, url, headers, 0, attempt.signal, { progressed, allSent: place.handOver });
          if (!result.etag && this.#multipart) throw new UploadFailed(MISSING_ETAG, false);
          return result.etag;
        } catch (error) {
          if (!this.#multipart && storedBefore(error)) return '';
          part.sent = 0;
          ctx.onProgress();
          if (!this.#multipart && splitsIntoParts(error, ctx.blob.size, true)) throw new SplitIntoParts('The whole-file PUT failed: going on in parts.', { cause: error });
          throw error;
        } finally {
          dispose();
        }
      },
      signal,
      {
        waitKey: part.number,
        resign: () => signer.forget(part.number),
        // The store answering anything means the link is back: the part goes again at once.
        probe: transport.reach && ((probeSignal) => (lastUrl ? transport.reach!(lastUrl, probeSignal) : Promise.reject(new Error('no URL yet')))),
      },
    );
    partStored(ctx, part);
    signer.forget(part.number);
  }

  /**
   * Judges a whole-file PUT's pace once, after its first seconds: one slower than planned
   * (`outpacedPut`) is stopped, and the file goes on in parts planned for the pace measured.
   */
  #paceWatch(part: Part, attempt: AbortController): (loaded: number) => void {
    const pace = new PutPace();
    let judged = false;
    return (loaded) => {
      const rate = judged ? null : pace.rate(loaded);
      if (rate === null) return;
      judged = true;
      if (outpacedPut(part.end - part.start, rate)) attempt.abort(new SplitIntoParts('The whole-file PUT goes slower than planned: going on in parts.', { bytesPerSecond: rate }));
    };
  }
}
