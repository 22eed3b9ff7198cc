/**
 * One file's upload: find the upload this file began before a reload or create one, hand
 * its bytes to the sender its ticket calls for (`sender.ts`), complete, and report a state
 * and a progress derived from the sender's parts, never kept beside them. A whole-file PUT
 * that should go on in parts is replaced by a new upload in parts, and its sender with it.
 */
import type { SignedPart, UploadCompleted, UploadCreated, UploadState } from '../shared/api.ts';
import type { MediaKind } from '../shared/media-kind.ts';
import { partRanges } from '../shared/plan.ts';
import type { ApiClient } from './api.ts';
import type { Connectivity } from './connectivity.ts';
import { ContinuedPutSender } from './continued-put-sender.ts';
import { Interruption, SplitIntoParts, UploadFailed } from './errors.ts';
import { PAUSABLE, StateTracker, type FileState } from './file-state.ts';
import type { LinkMeter } from './link-meter.ts';
import { expectedSendMs, linkPlan } from './link-plan.ts';
import type { PartQueue } from './part-queue.ts';
import { PartsSender } from './parts-sender.ts';
import { snapshot, SpeedMeter, type ProgressSnapshot } from './progress.ts';
import type { Recovery } from './recovery.ts';
import type { ResumeStore } from './resume-store.ts';
import { retrying, type RequestOptions, type RetryPolicy } from './retry.ts';
import { loadedOf, type SendContext, type Sender } from './sender.ts';
import { Tickets, type TicketFile } from './ticket.ts';
import type { Transport } from './transport.ts';

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
  /** The link's rate, which each new upload is planned for (`link-plan.ts`). */
  link: LinkMeter;
  partMd5?: (part: Blob) => Promise<string>;
  onState(upload: FileUpload): void;
  onProgress(upload: FileUpload): void;
}

export interface FileSource extends Omit<TicketFile, 'size'> {
  blob: Blob;
  /** Lower goes first in the shared queue. */
  priority: number;
}

export class FileUpload {
  readonly filename: string;
  readonly kind: MediaKind;
  readonly size: number;
  /** Settles once: the completed upload, or an `UploadFailed`, or an `Interruption` when cancelled. */
  readonly done: Promise<UploadCompleted>;

  readonly #source: FileSource;
  readonly #ctx: UploadContext;
  readonly #tickets: Tickets;
  readonly #meter = new SpeedMeter();
  readonly #status = new StateTracker(() => this.#ctx.onState(this));
  #uploadId: string | null = null;
  /** Set once a whole-file PUT failed: from then on the file goes in parts of this size. */
  #splitPartSize: number | null = null;
  /** Sends the bytes of the upload `#uploadId`; replaced with it. */
  #sender: Sender | null = null;
  /** Every byte this page sent, those sent again after a cut included: the link's work, for speed. */
  #sent = 0;
  /** The sender's bytes at the last look, to add what it sent since to `#sent`. */
  #lastLoaded = 0;
  /** The most bytes ever shown: bytes sent again after a cut are not progress lost. */
  #shown = 0;
  #controller = new AbortController();
  #running: Promise<void> | null = null;
  #settle!: { resolve(result: UploadCompleted): void; reject(error: Error): void };

  constructor(source: FileSource, context: UploadContext) {
    this.#source = source;
    this.#ctx = context;
    this.filename = source.filename;
    this.kind = source.kind;
    this.size = source.blob.size;
    this.#tickets = new Tickets({ ...source, size: this.size }, { ...context, request: (request, signal, options) => this.#request(request, signal, options) });
    this.done = new Promise((resolve, reject) => (this.#settle = { resolve, reject }));
    // Callers may follow the events instead of awaiting `done`: its rejection is not "unhandled".
    this.done.catch(() => undefined);
  }

  get state(): FileState {
    return this.#status.state;
  }

  /** The server's id of this upload, once it has one. */
  get uploadId(): string | null {
    return this.#uploadId;
  }

  progress(): ProgressSnapshot {
    const parts = this.#sender?.parts ?? [];
    let partsDone = 0;
    for (const part of parts) if (part.done) partsDone += 1;
    return snapshot(this.#shown, this.size, { done: partsDone, count: parts.length }, this.#meter.bytesPerSecond());
  }

  /** Bytes sent by this page so far, a count that only grows, for speed: a resumed upload's stored parts are not. */
  sentBytes(): number {
    return this.#sent;
  }

  /** Starts the upload; the uploader calls it once, when the file is added. */
  start(): void {
    this.#running ??= this.#run(this.#controller.signal);
  }

  /** Stops sending and keeps every stored part; `resume` continues from them. */
  pause(): void {
    if (!PAUSABLE.has(this.state.status)) return;
    this.#controller.abort(new Interruption('pause'));
    this.#meter.reset();
    this.#status.enter({ status: 'paused' });
  }

  resume(): void {
    if (this.state.status !== 'paused') return;
    const controller = (this.#controller = new AbortController());
    this.#status.enter({ status: 'queued' });
    // The paused run may still be unwinding its requests: the new one starts once it has.
    this.#running = (this.#running ?? Promise.resolve()).then(() => this.#run(controller.signal));
  }

  /** Stops sending and deletes the upload on the server, so nothing stays in the store. */
  async cancel(): Promise<void> {
    const { status } = this.state;
    if (status === 'completed' || status === 'cancelled') return;
    this.#controller.abort(new Interruption('cancel'));
    this.#status.enter({ status: 'cancelled' });
    try {
      await this.#running;
      await this.#discard();
    } finally {
      this.#settle.reject(new Interruption('cancel'));
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    try {
      const result = (this.#uploadId ? null : await this.#prepare(signal)) ?? (await this.#sendAndComplete(signal));
      signal.throwIfAborted();
      await this.#tickets.forget();
      this.#status.enter({ status: 'completed', result });
      this.#settle.resolve(result);
    } catch (error) {
      // Aborted only by pause() and cancel(), which set the state themselves.
      if (signal.aborted) return;
      const failure = error instanceof UploadFailed ? error : new UploadFailed(error instanceof Error ? error.message : String(error), false, { cause: error });
      this.#status.enter({ status: 'failed', message: failure.message });
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
    const found = await this.#tickets.find(signal);
    if (!found) {
      await this.#create(signal);
      return null;
    }
    this.#adopt(found, found.state === 'completed' ? 'all' : found.parts, found.held_bytes);
    // Completed before the page went away: completing again answers the same, without a byte sent.
    return found.state === 'completed' ? this.#request(() => this.#ctx.api.completeUpload(found.id, { parts: [] }), signal) : null;
  }

  /** Opens a new upload on the server (in parts of `#splitPartSize` once a whole-file PUT failed) and takes it. */
  async #create(signal: AbortSignal): Promise<void> {
    const part_size = this.#splitPartSize ?? this.#ctx.partSize;
    const plan = linkPlan(this.#ctx.link.rate());
    const created = await this.#tickets.open(part_size === undefined ? { preferred_part_size: plan.partSize, single_put_max: plan.singlePutMax } : { part_size }, signal);
    const signed = created.url ? { part_number: 1, url: created.url, headers: created.headers ?? {}, expires_at: created.expires_at } : undefined;
    this.#adopt(created, [], 0, signed);
  }

  /**
   * Takes the server's upload as this file's, with the sender its ticket calls for: the local
   * store's continued PUT, or parts (a plain single PUT being a plan of one part). `stored`
   * lists the parts the store already holds, `held` the bytes it kept of a resumable PUT.
   */
  #adopt(ticket: UploadCreated | UploadState, stored: UploadState['parts'] | 'all', held: number, signed?: SignedPart): void {
    const ranges = partRanges(this.size, ticket.part_size, ticket.part_count);
    const ctx = this.#sendContext(ticket.id);
    this.#uploadId = ticket.id;
    this.#sender = ticket.resumable_put
      ? new ContinuedPutSender(ctx, { range: ranges[0]!, held, complete: stored === 'all', signed })
      : new PartsSender(ctx, { multipart: ticket.strategy === 'multipart', ranges, stored, signed });
    this.#lastLoaded = this.#loaded();
    this.#reportProgress();
  }

  #sendContext(uploadId: string): SendContext {
    const { api, transport, queue, recovery, signBatchSize, partMd5 } = this.#ctx;
    return {
      ...{ uploadId, blob: this.#source.blob, priority: this.#source.priority },
      ...{ api, transport, queue, recovery, signBatchSize, partMd5 },
      sendTimeMs: (bytes) => expectedSendMs(bytes, this.#ctx.link.rate()),
      request: (request, signal, options) => this.#request(request, signal, options),
      onSending: () => {
        if (this.#status.step.status === 'queued') this.#status.enter({ status: 'uploading', resumedBytes: this.#loaded() });
      },
      onProgress: () => this.#reportProgress(),
    };
  }

  async #sendAndComplete(signal: AbortSignal): Promise<UploadCompleted> {
    let parts;
    try {
      parts = await this.#sender!.send(signal);
    } catch (error) {
      if (!(error instanceof SplitIntoParts) || signal.aborted) throw error;
      await this.#splitIntoParts(signal, error.bytesPerSecond);
      return this.#sendAndComplete(signal);
    }
    signal.throwIfAborted();
    this.#status.enter({ status: 'completing' });
    const uploadId = this.#uploadId!;
    return this.#request(() => this.#ctx.api.completeUpload(uploadId, { parts }), signal);
  }

  /**
   * Replaces the failed whole-file upload by one in parts: what the PUT had sent is lost either
   * way, and on a network that failed once, parts bound what the next failure costs. The
   * parts are planned for `bytesPerSecond` when the PUT measured it, else for the link's rate.
   */
  async #splitIntoParts(signal: AbortSignal, bytesPerSecond = this.#ctx.link.rate()): Promise<void> {
    const single = this.#uploadId!;
    this.#splitPartSize = linkPlan(bytesPerSecond).partSize;
    // From here a pause resumes by creating the upload in parts.
    this.#uploadId = null;
    // Only clean-up (the sweeper would remove it too): its failure must not fail the upload.
    await this.#tickets.abort(single, signal).catch((error: unknown) => {
      if (signal.aborted) throw error;
    });
    await this.#create(signal);
  }

  /** Deletes the upload on the server and forgets it. */
  async #discard(): Promise<void> {
    await this.#tickets.forget();
    if (this.#uploadId) await this.#tickets.abort(this.#uploadId, new AbortController().signal);
  }

  #request<T>(request: () => Promise<T>, signal: AbortSignal, { waitKey = 0, ...options }: RequestOptions = {}): Promise<T> {
    const { retryPolicy: policy, connectivity, recovery } = this.#ctx;
    return retrying(request, { ...options, policy, signal, connectivity, recovery, onWait: (wait) => this.#status.wait(waitKey, wait) });
  }

  #loaded(): number {
    return this.#sender ? loadedOf(this.#sender.parts) : 0;
  }

  #reportProgress(): void {
    const loaded = this.#loaded();
    if (loaded > this.#lastLoaded) this.#sent += loaded - this.#lastLoaded;
    this.#lastLoaded = loaded;
    this.#shown = Math.min(this.size, Math.max(this.#shown, loaded));
    this.#meter.add(performance.now(), this.#sent);
    this.#ctx.onProgress(this);
  }
}
