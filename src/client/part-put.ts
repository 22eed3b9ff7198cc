/**
 * The steps every sender shares: a part's body, its signed URLs, one PUT of its bytes with
 * progress, and the rule for when a whole-file PUT should give way to parts.
 */
import type { SignedPart } from '../shared/api.ts';
import { DEFAULT_PART_SIZE } from '../shared/plan.ts';
import { StoreRefused } from './errors.ts';
import { PACE_SPAN_MS } from './link-plan.ts';
import { PartSigner } from './part-signer.ts';
import type { PutResult } from './put-result.ts';
import { RECOVERY_BYTES } from './recovery.ts';
import { judge } from './retry.ts';
import type { SendContext, SentPart } from './sender.ts';

/** The part's bytes from its byte `from` on: the whole `File` itself when that is all of it (Chromium then reads it from disk). */
export function bodyOf(blob: Blob, part: SentPart, from = 0): Blob {
  const start = part.start + from;
  return start === 0 && part.end === blob.size ? blob : blob.slice(start, part.end);
}

/**
 * Signs `parts` on demand, in batches of the parts still to send (with MD5s, one at a time:
 * hashing a part costs as much as reading it, so each is hashed just before it goes).
 * `signed` is a URL the server handed out already (a new upload's single PUT).
 */
export function signerFor(ctx: SendContext, parts: readonly SentPart[], signed?: SignedPart): PartSigner {
  const { api, partMd5 } = ctx;
  const signer = new PartSigner({
    async sign(numbers, signal) {
      const content_md5 = partMd5
        ? Object.fromEntries(await Promise.all(numbers.map(async (number) => [String(number), await partMd5(bodyOf(ctx.blob, parts[number - 1]!))])))
        : undefined;
      return api.signParts(ctx.uploadId, { part_numbers: numbers, content_md5 }, { signal });
    },
    upcoming: () => parts.filter((part) => !part.done).map((part) => part.number),
    batchSize: partMd5 ? 1 : ctx.signBatchSize,
    sendTimeMs: (number) => ctx.sendTimeMs(parts[number - 1]!.end - parts[number - 1]!.start),
  });
  // With checksums, the PUT is signed again with its MD5 before it goes.
  if (signed && !partMd5) signer.remember(signed);
  return signer;
}

/** What a sender watches of one PUT. */
export interface PutHooks {
  /** Its bytes sent so far in this attempt, at each progress. */
  progressed?(loaded: number): void;
  /** Its last byte is on the way (the answer still to come). */
  allSent?(): void;
}

/**
 * PUTs the part's bytes from its byte `from` on, counting them into `part.sent` as they go.
 * Resolves with the store's 2xx answer; throws a `StoreRefused` for any other.
 */
export async function putPart(ctx: SendContext, part: SentPart, url: string, headers: Record<string, string>, from: number, signal: AbortSignal, hooks: PutHooks = {}): Promise<PutResult> {
  const size = part.end - part.start;
  const progressed = (loaded: number) => {
    if (loaded >= RECOVERY_BYTES && part.sent - from < RECOVERY_BYTES) ctx.recovery.gotThrough();
    part.sent = from + loaded;
    ctx.onProgress();
    hooks.progressed?.(loaded);
    if (part.sent >= size) hooks.allSent?.();
  };
  const result = await ctx.transport.put(url, headers, bodyOf(ctx.blob, part, from), progressed, signal);
  if (result.status < 200 || result.status > 299) throw new StoreRefused(result);
  return result;
}

/** The store holds the part whole: a request got through. */
export function partStored(ctx: SendContext, part: SentPart): void {
  part.done = true;
  part.sent = part.end - part.start;
  ctx.recovery.gotThrough();
  ctx.onProgress();
}

/**
 * Whether a failed whole-file PUT should give way to parts, for a file that parts can split:
 * when something in front of the store (a proxy's body limit) refused a request this large,
 * and, for a PUT that a cut sends again from its first byte (`restarts`), on any failure that
 * can heal, since parts bound what the next one costs.
 */
export function splitsIntoParts(error: unknown, size: number, restarts: boolean): boolean {
  if (size <= DEFAULT_PART_SIZE) return false;
  if (error instanceof StoreRefused && error.result.status === 413) return true;
  return restarts && judge(error).action === 'retry';
}

/**
 * The store refused a whole-file PUT because an object is there already (412, its create-only
 * condition): an earlier attempt stored it and its answer was lost. The upload goes on to
 * complete, which checks the object against the ticket.
 */
export const storedBefore = (error: unknown): boolean => error instanceof StoreRefused && error.result.status === 412;

/**
 * A PUT's own pace, in bytes/s, from its first progress on (the connection's set-up left
 * out), once `PACE_SPAN_MS` of it is known; null before.
 */
export class PutPace {
  readonly #now: () => number;
  #first: { at: number; loaded: number } | undefined;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  rate(loaded: number): number | null {
    const at = this.#now();
    if (!this.#first) {
      this.#first = { at, loaded };
      return null;
    }
    const span = at - this.#first.at;
    return span < PACE_SPAN_MS ? null : ((loaded - this.#first.loaded) * 1000) / span;
  }
}
