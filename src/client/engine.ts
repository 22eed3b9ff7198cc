/**
 * The headless upload engine: a queue of files sent straight to the store in presigned
 * parts, with retries, pause, resume (also after a reload) and cancel, reporting state and
 * progress as events. No DOM here: it runs the same in browsers and in Node; what differs
 * (transport, resume store, connectivity) is passed in.
 *
 *   const uploader = createUploader({ api: new ApiClient(), transport: xhrTransport });
 *   uploader.on('progress', ({ overall }) => render(overall));
 *   const result = await uploader.add(file, { kind: 'video' }).done;
 */
import type { MediaKind } from '../shared/media-kind.ts';
import { DEFAULT_CONCURRENCY } from '../shared/plan.ts';
import type { ApiClient } from './api.ts';
import { alwaysOnline, type Connectivity } from './connectivity.ts';
import { Emitter } from './emitter.ts';
import type { FileState } from './file-state.ts';
import { FileUpload, type UploadContext } from './file-upload.ts';
import { LinkMeter } from './link-meter.ts';
import { roomFor } from './link-plan.ts';
import { partMd5 } from './part-md5.ts';
import { PartQueue } from './part-queue.ts';
import { Recovery } from './recovery.ts';
import { snapshot, SpeedMeter, type ProgressSnapshot } from './progress.ts';
import { MemoryResumeStore, type ResumeStore } from './resume-store.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.ts';
import { withStallTimeout, type Transport } from './transport.ts';

export type { MediaKind } from '../shared/media-kind.ts';
export type { FileState, UploadStatus } from './file-state.ts';
export { FileUpload } from './file-upload.ts';
export type { ProgressSnapshot } from './progress.ts';

export interface UploaderOptions {
  api: ApiClient;
  /** `xhrTransport` in browsers (progress while a part goes), `fetchTransport()` in Node. */
  transport: Transport;
  /**
   * The most part PUTs in flight at once, across all files; fewer while the bytes in flight
   * would hold more than 10 s of the link (`link-plan.ts`).
   */
  concurrency?: number;
  /**
   * Asks the server for a multipart upload in parts of this many bytes (5 MiB to 5 GiB; at
   * most 10,000 parts) instead of the plan it picks, which already keeps every upload
   * resumable: for a store or a proxy that limits a request's size.
   */
  partSize?: number;
  retry?: Partial<RetryPolicy>;
  /** A PUT that reports no progress for this long is aborted and retried. */
  stallTimeoutMs?: number;
  /** Part URLs asked for in one call. */
  signBatchSize?: number;
  /** Where unfinished uploads are remembered for a resume after reload; in memory by default. */
  resumeStore?: ResumeStore;
  /** Lets retries wait for the network while the browser is offline; `browserConnectivity()` in pages. */
  connectivity?: Connectivity;
  /**
   * The link's rate, which each new file is planned for: `new LinkMeter(localStorage)` in
   * pages remembers it across uploads; by default it is measured in memory, and the first
   * file is planned for a slow link.
   */
  link?: LinkMeter;
  /**
   * Sends each part's MD5 (Content-MD5) when signing it, so the store refuses a part whose
   * bytes changed on the way, and the engine sends it again. Off by default: it reads every
   * byte twice in the page (once to hash, once to send), and TCP and TLS already check what
   * travels; the server checks the stored object's size at completion either way.
   */
  partChecksums?: boolean;
}

export const UPLOADER_DEFAULTS = {
  /**
   * Four parts in flight keep the link busy across each part's round trips (with the
   * server's large parts, more buys nothing on this machine's CPU-bound Chromium) and leave
   * two of the browser's six connections per host for the API calls when the store is the
   * app's own origin.
   */
  concurrency: DEFAULT_CONCURRENCY,
  /** Chromium reports upload progress many times a second: 30 s of silence is a dead connection. */
  stallTimeoutMs: 30_000,
  /** Eight URLs per call: few round trips, and URLs used within minutes of being signed. */
  signBatchSize: 8,
} as const;

export interface AddOptions {
  kind: MediaKind;
  /** Required for a Blob; a File gives its own name. */
  filename?: string;
  /** Identifies the file for a resume after reload; a File gives its own. */
  lastModified?: number;
  /** Defaults to the Blob's type. */
  contentType?: string;
}

export interface UploaderEvents {
  state: { upload: FileUpload; state: FileState };
  progress: { upload: FileUpload; overall: ProgressSnapshot };
}

export class Uploader {
  readonly #emitter = new Emitter<UploaderEvents>();
  readonly #uploads: FileUpload[] = [];
  readonly #meter = new SpeedMeter();
  readonly #context: UploadContext;
  readonly #link: LinkMeter;

  constructor(options: UploaderOptions) {
    const link = (this.#link = options.link ?? new LinkMeter());
    const queue = new PartQueue(options.concurrency ?? UPLOADER_DEFAULTS.concurrency, () => roomFor(link.rate()));
    const connectivity = options.connectivity ?? alwaysOnline;
    const recovery = new Recovery();
    // After a sleep the connections are dead: retries waiting on their backoff go at once.
    connectivity.onWake?.(() => recovery.gotThrough());
    this.#context = {
      api: options.api,
      transport: withStallTimeout(options.transport, options.stallTimeoutMs ?? UPLOADER_DEFAULTS.stallTimeoutMs),
      queue,
      link,
      resumeStore: options.resumeStore ?? new MemoryResumeStore(),
      connectivity,
      recovery,
      retryPolicy: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      signBatchSize: options.signBatchSize ?? UPLOADER_DEFAULTS.signBatchSize,
      partSize: options.partSize,
      partMd5: options.partChecksums ? partMd5 : undefined,
      onState: (upload) => this.#emitter.emit('state', { upload, state: upload.state }),
      onProgress: (upload) => {
        const { loaded, total, parts, sent } = this.#totals();
        const now = performance.now();
        this.#meter.add(now, sent);
        link.add(now, sent);
        queue.refill();
        this.#emitter.emit('progress', { upload, overall: snapshot(loaded, total, parts, this.#meter.bytesPerSecond()) });
      },
    };
  }

  get uploads(): readonly FileUpload[] {
    return this.#uploads;
  }

  /** Queues a file and starts it as soon as the queue has room; follow it with events or `done`. */
  add(file: Blob, options: AddOptions): FileUpload {
    const filename = options.filename ?? (file instanceof File ? file.name : undefined);
    if (!filename) throw new TypeError('A Blob needs a filename to be uploaded.');
    const upload = new FileUpload(
      {
        blob: file,
        filename,
        kind: options.kind,
        contentType: options.contentType ?? (file.type || 'application/octet-stream'),
        lastModified: options.lastModified ?? (file instanceof File ? file.lastModified : undefined),
        priority: this.#uploads.length,
      },
      this.#context,
    );
    this.#uploads.push(upload);
    this.#emitter.emit('state', { upload, state: upload.state });
    upload.start();
    return upload;
  }

  pause(): void {
    for (const upload of this.#uploads) upload.pause();
    this.#meter.reset();
    this.#link.idle();
  }

  resume(): void {
    for (const upload of this.#uploads) upload.resume();
  }

  /** Cancels every unfinished file; resolves once the server has discarded them. */
  async cancel(): Promise<void> {
    await Promise.all(this.#uploads.map((upload) => upload.cancel()));
  }

  /** Bytes, parts, speed and time left over every file not cancelled. */
  progress(): ProgressSnapshot {
    const { loaded, total, parts } = this.#totals();
    return snapshot(loaded, total, parts, this.#meter.bytesPerSecond());
  }

  #totals() {
    let loaded = 0;
    let sent = 0;
    let total = 0;
    const parts = { done: 0, count: 0 };
    for (const upload of this.#uploads) {
      if (upload.state.status === 'cancelled') continue;
      const progress = upload.progress();
      loaded += progress.loaded;
      sent += upload.sentBytes();
      total += progress.total;
      parts.done += progress.partsDone;
      parts.count += progress.partCount;
    }
    return { loaded, total, parts, sent };
  }

  on<K extends keyof UploaderEvents>(name: K, listener: (event: UploaderEvents[K]) => void): () => void {
    return this.#emitter.on(name, listener);
  }

  /** Removes every listener; the uploads themselves go on unless paused or cancelled. */
  destroy(): void {
    this.#emitter.clear();
  }
}

export function createUploader(options: UploaderOptions): Uploader {
  return new Uploader(options);
}
