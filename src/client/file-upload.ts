/**
 * One file's upload: find the upload this file began before a reload or create one, send
 * the parts the store lacks through the shared queue, complete, and report a state and a
 * progress derived from the parts, never kept beside them.
 */
import type { CreateUploadBody, SignedPart, UploadCompleted, UploadCreated, UploadState } from '../shared/api.ts';
import type { ApiClient } from './api.ts';
import type { Connectivity } from './connectivity.ts';
import { DEFAULT_PART_SIZE } from '../shared/plan.ts';
import { ApiError, Interruption, SplitIntoParts, StoreRefused, UploadFailed } from './errors.ts';
import { partRanges, storedEtags, type PartRange } from './part-plan.ts';
import { allOrNothing, type PartQueue } from './part-queue.ts';
import { PartSigner } from './part-signer.ts';
import { snapshot, SpeedMeter, type ProgressSnapshot } from './progress.ts';
import { RECOVERY_BYTES, type Recovery } from './recovery.ts';
import { resumeKey, type ResumeRecord, type ResumeStore } from './resume-store.ts';
import { judge, retrying, type RetryOptions, type RetryPolicy, type RetryReason, type RetryWait } from './retry.ts';
import type { Transport } from './transport.ts';

export type MediaKind = CreateUploadBody['kind'];

export type FileState =
  | { status: 'queued' }
  /** `resumedBytes`: what the store already held when sending (re)started, 0 for a fresh upload. */
  | { status: 'uploading'; resumedBytes: number }
  | { status: 'retrying'; reason: RetryReason; attempt: number; delayMs: number }
  | { status: 'offline' }
  | { status: 'paused' }
  | { status: 'completing' }
  | { status: 'completed'; result: UploadCompleted }
  | { status: 'failed'; message: string }
  | { status: 'cancelled' };

export type UploadStatus = FileState['status'];

/** States whose requests may be waiting on a retry (the state then reads `retrying` or `offline`). */
const WORKING = new Set<UploadStatus>(['queued', 'uploading', 'completing']);
/** States a pause can stop; a completion under way is left to finish. */
const PAUSABLE = new Set<UploadStatus>(['queued', 'uploading', 'retrying', 'offline']);

/** What a file upload shares with the other files of its uploader. */
export interface UploadContext {
  api: ApiClient;
  transport: Transport;
  queue: PartQueue;
  resumeStore: ResumeStore;
  connectivity: Connectivity;
  recovery: Recovery;
  retryPolicy: RetryPolicy;
  signBatchSize: number;
  /** The part size to ask the server for, instead of its plan. */
  partSize?: number;
  partMd5?: (part: Blob) => Promise<string>;
  onState(upload: FileUpload): void;
  onProgress(upload: FileUpload): void;
}

export interface FileSource {
  blob: Blob;
  filename: string;
  kind: MediaKind;
  contentType: string;
  /** Without it the upload cannot be found again after a reload. */
  lastModified?: number;
  /** Lower goes first in the shared queue. */
  priority: number;
}

interface Part extends PartRange {
  /** Bytes sent by the current attempt; the part's whole size once the store holds it. */
  sent: number;
  done: boolean;
  etag: string | null;
}

interface Ticket {
  id: string;
  strategy: 'single' | 'multipart';
  /** A single PUT that, cut short, continues from the bytes the store kept. */
  resumablePut: boolean;
}

const MISSING_ETAG =
  "The storage did not expose the uploaded part's ETag header: the bucket's CORS rules must list ETag in ExposeHeaders (`airlift storage cors` sets them).";

export class FileUpload {
  readonly filename: string;
  readonly kind: MediaKind;
  readonly size: number;
  /** Settles once: the completed upload, or an `UploadFailed`, or an `Interruption` when cancelled. */
  readonly done: Promise<UploadCompleted>;

  readonly #source: FileSource;
  readonly #ctx: UploadContext;
  readonly #resumeKey: string | null;
  readonly #meter = new SpeedMeter();
  /** Requests waiting before their next attempt, by part number (0 for API calls). */
  readonly #waits = new Map<number, RetryWait>();
  /** The state set by the upload's own steps; `#state` adds the waits on top. */
  #base: FileState = { status: 'queued' };
  #state: FileState = this.#base;
  #ticket: Ticket | null = null;
  /** Set once a whole-file PUT failed: from then on the file goes in parts of this size. */
  #splitPartSize: number | null = null;
  /** A resumable PUT failed: the bytes the store kept must be asked before it goes on. */
  #heldUnknown = false;
  #parts: Part[] = [];
  /** What the store held when this file's upload was adopted: not sent now, so not speed. */
  #storedAtAdoption = 0;
  #signer: PartSigner | null = null;
  #controller = new AbortController();
  #running: Promise<void> | null = null;
  #settle!: { resolve(result: UploadCompleted): void; reject(error: Error): void };

  constructor(source: FileSource, context: UploadContext) {
    this.#source = source;
    this.#ctx = context;
    this.filename = source.filename;
    this.kind = source.kind;
    this.size = source.blob.size;
    this.#resumeKey = source.lastModified === undefined ? null : resumeKey({ ...source, size: this.size, lastModified: source.lastModified });
    this.done = new Promise((resolve, reject) => (this.#settle = { resolve, reject }));
    // Callers may follow the events instead of awaiting `done`: its rejection is not "unhandled".
    this.done.catch(() => undefined);
  }

  get state(): FileState {
    return this.#state;
  }

  /** The server's id of this upload, once it has one. */
  get uploadId(): string | null {
    return this.#ticket?.id ?? null;
  }

  progress(): ProgressSnapshot {
    let partsDone = 0;
    for (const part of this.#parts) if (part.done) partsDone += 1;
    return snapshot(this.#loaded(), this.size, { done: partsDone, count: this.#parts.length }, this.#meter.bytesPerSecond());
  }

  /** Bytes sent by this page so far, for speed: a resumed upload's stored parts are not. */
  sentBytes(): number {
    return this.#loaded() - this.#storedAtAdoption;
  }

  /** Starts the upload; the uploader calls it once, when the file is added. */
  start(): void {
    this.#running ??= this.#run(this.#controller.signal);
  }

  /** Stops sending and keeps every stored part; `resume` continues from them. */
  pause(): void {
    if (!PAUSABLE.has(this.#state.status)) return;
    this.#controller.abort(new Interruption('pause'));
    this.#meter.reset();
    this.#enter({ status: 'paused' });
  }

  resume(): void {
    if (this.#state.status !== 'paused') return;
    const controller = (this.#controller = new AbortController());
    this.#enter({ status: 'queued' });
    // The paused run may still be unwinding its requests: the new one starts once it has.
    this.#running = (this.#running ?? Promise.resolve()).then(() => this.#run(controller.signal));
  }

  /** Stops sending and deletes the upload on the server, so nothing stays in the store. */
  async cancel(): Promise<void> {
    const { status } = this.#state;
    if (status === 'completed' || status === 'cancelled') return;
    this.#controller.abort(new Interruption('cancel'));
    this.#enter({ status: 'cancelled' });
    try {
      await this.#running;
      await this.#discard();
    } finally {
      this.#settle.reject(new Interruption('cancel'));
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    try {
      const result = (this.#ticket ? null : await this.#prepare(signal)) ?? (await this.#sendAndComplete(signal));
      signal.throwIfAborted();
      await this.#forgetResume();
      this.#enter({ status: 'completed', result });
      this.#settle.resolve(result);
    } catch (error) {
      // Aborted only by pause() and cancel(), which set the state themselves.
      if (signal.aborted) return;
      const failure = error instanceof UploadFailed ? error : new UploadFailed(error instanceof Error ? error.message : String(error), false, { cause: error });
      this.#enter({ status: 'failed', message: failure.message });
      this.#settle.reject(failure);
      // What can heal stays on the server for a later resume; what cannot is cleaned up.
      if (!failure.healable) await this.#discard().catch(() => undefined);
    }
  }

  /**
   * Adopts the upload this file began before a reload, when the server still has it, or
   * creates a new one. Returns the result when the server had completed it already.
   */
  async #prepare(signal: AbortSignal): Promise<UploadCompleted | null> {
    const saved = this.#resumeKey ? await this.#ctx.resumeStore.get(this.#resumeKey) : undefined;
    if (saved) {
      const state = await this.#request(() => this.#ctx.api.getUpload(saved.uploadId, { signal }).catch(unlessNotFound(null)), signal);
      if (state && this.#resumable(state, saved)) {
        this.#adopt(state, state.state === 'completed' ? 'all' : state.parts, state.held_bytes);
        // Completed before the page went away: completing again answers the same, without a byte sent.
        return state.state === 'completed' ? this.#request(() => this.#ctx.api.completeUpload(state.id, { parts: [] }), signal) : null;
      }
      await this.#forgetResume();
    }
    await this.#create(signal);
    return null;
  }

  /** Opens a new upload on the server (in parts of `#splitPartSize` once a whole-file PUT failed) and takes it. */
  async #create(signal: AbortSignal): Promise<void> {
    const part_size = this.#splitPartSize ?? this.#ctx.partSize;
    // Not abortable: once the server made the upload, its id is needed to clean it up.
    const created = await this.#request(
      () => this.#ctx.api.createUpload({ filename: this.filename, size: this.size, content_type: this.#source.contentType, kind: this.kind, part_size }),
      signal,
    );
    this.#adopt(created, [], 0);
    // With checksums, the PUT is signed again with its MD5 before it goes.
    if (created.url && !this.#ctx.partMd5) this.#signer!.remember({ part_number: 1, url: created.url, headers: created.headers ?? {}, expires_at: created.expires_at });
    if (this.#resumeKey && this.#source.lastModified !== undefined && (created.strategy === 'multipart' || created.resumable_put)) {
      await this.#ctx.resumeStore.set(this.#resumeKey, {
        uploadId: created.id,
        filename: this.filename,
        size: this.size,
        lastModified: this.#source.lastModified,
        kind: this.kind,
        partSize: created.part_size,
      });
    }
  }

  /** The server's upload is this file's, and can still take parts (or is already complete). */
  #resumable(state: UploadState, saved: ResumeRecord): boolean {
    const continuable = state.strategy === 'multipart' || state.resumable_put;
    const sameFile = continuable && state.kind === this.kind && state.size === this.size && state.part_size === saved.partSize;
    const open = state.state === 'pending' && Date.parse(state.expires_at) > Date.now();
    return sameFile && (open || state.state === 'completed');
  }

  /**
   * Takes the server's upload as this file's; `stored` lists the parts the store already
   * holds, `held` the bytes it kept of a resumable PUT.
   */
  #adopt(ticket: UploadCreated | UploadState, stored: UploadState['parts'] | 'all', held: number): void {
    const ranges = partRanges(this.size, ticket.part_size, ticket.part_count);
    const etags = stored === 'all' ? null : storedEtags(ranges, stored);
    this.#ticket = { id: ticket.id, strategy: ticket.strategy, resumablePut: ticket.resumable_put };
    this.#heldUnknown = false;
    this.#parts = ranges.map((range) => {
      // A completed upload's parts need no ETag: completing it again sends none.
      const etag = etags ? (etags.get(range.number) ?? null) : '';
      return { ...range, etag, done: etag !== null, sent: etag === null ? held : range.end - range.start };
    });
    this.#storedAtAdoption = this.#loaded();
    this.#signer = new PartSigner({
      sign: (numbers, signal) => this.#sign(numbers, signal),
      upcoming: () => this.#parts.filter((part) => !part.done).map((part) => part.number),
      // Hashing a part costs as much as reading it: with MD5s, sign each part just before it goes.
      batchSize: this.#ctx.partMd5 ? 1 : this.#ctx.signBatchSize,
    });
    this.#reportProgress();
  }

  async #sign(numbers: number[], signal: AbortSignal): Promise<SignedPart[]> {
    const { partMd5 } = this.#ctx;
    const content_md5 = partMd5
      ? Object.fromEntries(await Promise.all(numbers.map(async (number) => [String(number), await partMd5(this.#bodyOf(this.#parts[number - 1]!))])))
      : undefined;
    return this.#ctx.api.signParts(this.#ticket!.id, { part_numbers: numbers, content_md5 }, { signal });
  }

  async #sendAndComplete(signal: AbortSignal): Promise<UploadCompleted> {
    const { queue } = this.#ctx;
    const missing = this.#parts.filter((part) => !part.done);
    try {
      await allOrNothing(
        missing.map((part) => (group) => queue.run(this.#source.priority, group, () => this.#sendPart(part, group))),
        signal,
      );
    } catch (error) {
      if (!(error instanceof SplitIntoParts) || signal.aborted) throw error;
      await this.#splitIntoParts(signal);
      return this.#sendAndComplete(signal);
    }
    signal.throwIfAborted();
    this.#enter({ status: 'completing' });
    const ticket = this.#ticket!;
    const parts = ticket.strategy === 'multipart' ? this.#parts.map((part) => ({ part_number: part.number, etag: part.etag! })) : [];
    return this.#request(() => this.#ctx.api.completeUpload(ticket.id, { parts }), signal);
  }

  async #sendPart(part: Part, signal: AbortSignal): Promise<void> {
    if (this.#base.status === 'queued') this.#enter({ status: 'uploading', resumedBytes: this.#loaded() });
    const signer = this.#signer!;
    const etag = await this.#request(
      async () => {
        const { url, headers } = await signer.urlFor(part.number, signal);
        const from = await this.#heldFrom(part, signal);
        const sent = from > 0 ? { ...headers, 'Content-Range': `bytes ${from}-${this.size - 1}/${this.size}` } : headers;
        try {
          const result = await this.#ctx.transport.put(url, sent, this.#bodyOf(part, from), (loaded) => this.#partProgressed(part, from, loaded), signal);
          if (result.status < 200 || result.status > 299) throw new StoreRefused(result);
          if (!result.etag && this.#ticket!.strategy === 'multipart') throw new UploadFailed(MISSING_ETAG, false);
          return result.etag;
        } catch (error) {
          // A resumable PUT's store kept what arrived, to be asked; any other failed attempt's bytes are lost.
          if (this.#ticket!.resumablePut) this.#heldUnknown = true;
          else this.#setSent(part, 0);
          if (this.#shouldSplit(error)) throw new SplitIntoParts('The whole-file PUT failed: going on in parts.', { cause: error });
          throw error;
        }
      },
      signal,
      {
        waitKey: part.number,
        resign: () => signer.forget(part.number),
        // The local store is the app: once the API answers, the PUT can go on.
        probe: this.#ticket!.resumablePut ? (probeSignal) => this.#ctx.api.getUpload(this.#ticket!.id, { signal: probeSignal }) : undefined,
      },
    );
    Object.assign(part, { etag, done: true, sent: part.end - part.start });
    this.#ctx.recovery.gotThrough();
    signer.forget(part.number);
    this.#reportProgress();
  }

  /** Whether a failed whole-file PUT should give way to parts, for a file that parts can split. */
  #shouldSplit(error: unknown): boolean {
    const ticket = this.#ticket!;
    if (ticket.strategy !== 'single' || this.size <= DEFAULT_PART_SIZE) return false;
    // Something in front of the store (a proxy's body limit) refused a request this large: parts are smaller.
    if (error instanceof StoreRefused && error.result.status === 413) return true;
    // A PUT that a cut sends again from the start: parts bound what the next failure costs.
    return !ticket.resumablePut && judge(error).action === 'retry';
  }

  /**
   * The byte a resumable PUT goes on from: after a failure, the bytes the store kept (asked
   * from the server, so this attempt fails and is retried like the PUT if it cannot be asked).
   * 0 for any other PUT.
   */
  async #heldFrom(part: Part, signal: AbortSignal): Promise<number> {
    if (!this.#ticket!.resumablePut) return 0;
    if (this.#heldUnknown) {
      const state = await this.#ctx.api.getUpload(this.#ticket!.id, { signal });
      this.#heldUnknown = false;
      this.#setSent(part, state.held_bytes);
    }
    return part.sent;
  }

  /**
   * Replaces the failed whole-file upload by one in parts: what the PUT had sent is lost either
   * way, and on a network that failed once, parts bound what the next failure costs.
   */
  async #splitIntoParts(signal: AbortSignal): Promise<void> {
    const single = this.#ticket!;
    this.#splitPartSize = DEFAULT_PART_SIZE;
    // From here a pause resumes by creating the upload in parts.
    this.#ticket = null;
    // Only clean-up (the sweeper would remove it too): its failure must not fail the upload.
    await this.#request(() => this.#ctx.api.abortUpload(single.id).catch(unlessNotFound(undefined)), signal).catch((error: unknown) => {
      if (signal.aborted) throw error;
    });
    await this.#create(signal);
  }

  /** Deletes the upload on the server and forgets it (the server answers 404 once it is gone). */
  async #discard(): Promise<void> {
    await this.#forgetResume();
    const ticket = this.#ticket;
    if (!ticket) return;
    await this.#request(() => this.#ctx.api.abortUpload(ticket.id).catch(unlessNotFound(undefined)), new AbortController().signal);
  }

  #request<T>(
    request: () => Promise<T>,
    signal: AbortSignal,
    { waitKey = 0, resign, probe }: { waitKey?: number; resign?: () => void; probe?: RetryOptions['probe'] } = {},
  ): Promise<T> {
    return retrying(request, {
      policy: this.#ctx.retryPolicy,
      signal,
      connectivity: this.#ctx.connectivity,
      recovery: this.#ctx.recovery,
      resign,
      probe,
      onWait: (wait) => {
        if (wait) this.#waits.set(waitKey, wait);
        else this.#waits.delete(waitKey);
        this.#publish();
      },
    });
  }

  async #forgetResume(): Promise<void> {
    if (this.#resumeKey) await this.#ctx.resumeStore.delete(this.#resumeKey);
  }

  /** The part's bytes from its byte `from` on: the whole `File` itself when that is all of it (Chromium then reads it from disk). */
  #bodyOf(part: Part, from = 0): Blob {
    const { blob } = this.#source;
    const start = part.start + from;
    return start === 0 && part.end === blob.size ? blob : blob.slice(start, part.end);
  }

  #loaded(): number {
    let loaded = 0;
    for (const part of this.#parts) loaded += part.sent;
    return loaded;
  }

  /** `loaded` bytes of this attempt's body, which starts at byte `from` of the part. */
  #partProgressed(part: Part, from: number, loaded: number): void {
    if (loaded >= RECOVERY_BYTES && part.sent - from < RECOVERY_BYTES) this.#ctx.recovery.gotThrough();
    this.#setSent(part, from + loaded);
  }

  #setSent(part: Part, sent: number): void {
    part.sent = sent;
    this.#reportProgress();
  }

  #reportProgress(): void {
    this.#meter.add(performance.now(), this.sentBytes());
    this.#ctx.onProgress(this);
  }

  #enter(state: FileState): void {
    this.#base = state;
    this.#publish();
  }

  /** Derives the visible state (waits show as `offline` or `retrying`) and announces it when it changed. */
  #publish(): void {
    let next = this.#base;
    if (this.#waits.size > 0 && WORKING.has(next.status)) {
      const waits = [...this.#waits.values()];
      const retry = waits.findLast((wait) => wait.reason !== 'offline');
      next = retry && !waits.some((wait) => wait.reason === 'offline') ? { status: 'retrying', ...retry } : { status: 'offline' };
    }
    if (JSON.stringify(next) === JSON.stringify(this.#state)) return;
    this.#state = next;
    this.#ctx.onState(this);
  }
}

/** Turns the server's 404 (the upload is gone) into `value`; other errors pass on. */
function unlessNotFound<T>(value: T): (error: unknown) => T {
  return (error) => {
    if (error instanceof ApiError && error.status === 404) return value;
    throw error;
  };
}
