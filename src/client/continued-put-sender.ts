/**
 * The local store's single PUT that goes on after a cut (`resumable_put` on the ticket): the
 * store keeps what arrived of a PUT cut short, so after a failure this sender asks the server
 * how many bytes it holds (`held_bytes`) and sends only the rest, on the same URL, with
 * `Content-Range`. Only this sender knows of that ability: the upload, the queue and the
 * generic retry table do not.
 */
import type { SignedPart } from '../shared/api.ts';
import type { PartRange } from '../shared/plan.ts';
import { SplitIntoParts, StoreRefused } from './errors.ts';
import { partStored, putPart, signerFor, splitsIntoParts, storedBefore } from './part-put.ts';
import type { PartSigner } from './part-signer.ts';
import { judge, type Verdict } from './retry.ts';
import type { CompletedPart, SendContext, Sender, SentPart } from './sender.ts';

/**
 * The retry table, plus the store's refusal of a PUT continued from other than the bytes it
 * holds (an earlier body was still arriving when they were asked): ask again and go on at once.
 */
export function continuedPutVerdict(error: unknown): Verdict {
  if (error instanceof StoreRefused && error.result.status === 409 && error.result.error?.code === 'offset_mismatch') {
    return { action: 'retry', reason: 'server', afterMs: 0 };
  }
  return judge(error);
}

export interface ContinuedPut {
  /** The whole file, the plan's one part. */
  range: PartRange;
  /** The bytes the store held when the upload was adopted (0 for a new one). */
  held: number;
  /** The upload is complete already: nothing to send. */
  complete: boolean;
  /** The URL the server handed out with a new upload. */
  signed?: SignedPart;
}

export class ContinuedPutSender implements Sender {
  readonly parts: readonly [SentPart];
  readonly #ctx: SendContext;
  readonly #signer: PartSigner;
  /** An attempt failed: the bytes the store kept must be asked before the PUT goes on. */
  #heldUnknown = false;

  constructor(ctx: SendContext, { range, held, complete, signed }: ContinuedPut) {
    this.#ctx = ctx;
    this.parts = [{ ...range, done: complete, sent: complete ? range.end - range.start : held }];
    this.#signer = signerFor(ctx, this.parts, signed);
  }

  async send(signal: AbortSignal): Promise<CompletedPart[]> {
    if (!this.parts[0].done) await this.#ctx.queue.run(this.#ctx.priority, signal, () => this.#sendRest(signal));
    return [];
  }

  async #sendRest(signal: AbortSignal): Promise<void> {
    const ctx = this.#ctx;
    const signer = this.#signer;
    const [part] = this.parts;
    const { size } = ctx.blob;
    ctx.onSending();
    await ctx.request(
      async () => {
        const { url, headers } = await signer.urlFor(part.number, signal);
        // The store may hold every byte yet not the object (a crash before it committed): the
        // last byte goes again, since a PUT continued from inside the held bytes is taken.
        const from = Math.min(await this.#heldFrom(signal), size - 1);
        const sent = from > 0 ? { ...headers, 'Content-Range': `bytes ${from}-${size - 1}/${size}` } : headers;
        try {
          await putPart(ctx, part, url, sent, from, signal);
        } catch (error) {
          if (storedBefore(error)) return;
          // The store kept what arrived, to be asked before the next attempt.
          this.#heldUnknown = true;
          if (splitsIntoParts(error, size, false)) throw new SplitIntoParts('The whole-file PUT failed: going on in parts.', { cause: error });
          throw error;
        }
      },
      signal,
      {
        waitKey: part.number,
        resign: () => signer.forget(part.number),
        // The local store is the app: once the API answers, the PUT can go on.
        probe: (probeSignal) => ctx.api.getUpload(ctx.uploadId, { signal: probeSignal }),
        judge: continuedPutVerdict,
      },
    );
    partStored(ctx, part);
    signer.forget(part.number);
  }

  /**
   * The byte the PUT goes on from: after a failure, the bytes the store kept (asked from the
   * server, so this attempt fails and is retried like the PUT if they cannot be asked).
   */
  async #heldFrom(signal: AbortSignal): Promise<number> {
    const [part] = this.parts;
    if (this.#heldUnknown) {
      const state = await this.#ctx.api.getUpload(this.#ctx.uploadId, { signal });
      this.#heldUnknown = false;
      part.sent = state.held_bytes;
      this.#ctx.onProgress();
    }
    return part.sent;
  }
}
