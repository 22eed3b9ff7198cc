import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { JobMessage, WorkerReply } from './hash-worker.ts';

/**
 * The local store's content hashes, computed on a worker thread while a body streams to disk.
 *
 * The ETag is the first 128 bits of the body's SHA-256, in S3's shape (32 hex digits): with the
 * CPU's SHA extensions SHA-256 costs under half of MD5 (0.55 against 1.30 CPU-s/GB here), and
 * the hash is about as costly as receiving the bytes. MD5 is computed as well only when the
 * request promised a Content-MD5 to check.
 */

/** Bytes travel to the worker in buffers of this size. */
const BATCH = 1024 ** 2;

/**
 * Hashing on a worker lets one core read sockets while another hashes. Bytes travel in 1 MiB buffers
 * that the worker hands back, so each upload holds at most `BUFFERS_PER_JOB` of them: a
 * client faster than the hashing waits instead of filling memory.
 */
const BUFFERS_PER_JOB = 4;

/**
 * The worker runs hash-worker.ts, a TypeScript file. Node 20 applies no module hooks (tsx's among
 * them) to a worker's imports, so the worker starts from one line of CommonJS that registers
 * tsx's require hook and then loads the file: the same under `airlift serve`, vitest and
 * `node --import tsx`.
 */
const WORKER_BOOT = "const { workerData } = require('node:worker_threads'); require(workerData.tsx).register(); require(workerData.file);";
const WORKER_DATA = {
  tsx: createRequire(import.meta.url).resolve('tsx/cjs/api'),
  file: fileURLToPath(new URL('./hash-worker.ts', import.meta.url)),
};

export interface Digests {
  sha256: Buffer;
  /** Only when asked for. */
  md5?: Buffer;
}

/** The store's ETag of a body (without quotes): 32 hex digits of its SHA-256. */
export const etagOf = (digests: Digests): string => digests.sha256.toString('hex').slice(0, 32);

export class BodyHasher {
  #worker: Worker | null = null;
  readonly #jobs = new Map<number, HashJob>();
  #nextId = 1;

  start(options: { md5: boolean }): HashJob {
    const id = this.#nextId++;
    const job = new HashJob(id, options.md5, (message, transfer) => this.#post(message, transfer), () => this.#jobs.delete(id));
    this.#jobs.set(id, job);
    return job;
  }

  #post(message: JobMessage, transfer?: ArrayBuffer[]): void {
    // A cancel needs no worker: with none running, there is nothing to forget.
    if (message.end === 'cancel' && !this.#worker) return;
    this.#ensureWorker().postMessage(message, transfer);
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    await worker?.terminate();
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(WORKER_BOOT, { eval: true, workerData: WORKER_DATA });
    worker.unref(); // never what keeps the process alive
    worker.on('message', (reply: WorkerReply) => this.#jobs.get(reply.id)?.receive(reply));
    const fail = (error: Error) => {
      if (this.#worker === worker) this.#worker = null;
      for (const job of this.#jobs.values()) job.fail(error);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`The hashing worker stopped (exit code ${code}).`)));
    this.#worker = worker;
    return worker;
  }
}

export class HashJob {
  #current: Buffer | null = null;
  #filled = 0;
  readonly #free: Buffer[] = [];
  #allocated = 0;
  #waiting: { resolve(): void; reject(error: Error): void } | null = null;
  #result: { resolve(digests: Digests): void; reject(error: Error): void } | null = null;
  #failure: Error | null = null;

  constructor(
    readonly id: number,
    readonly md5: boolean,
    private readonly post: (message: JobMessage, transfer?: ArrayBuffer[]) => void,
    private readonly forget: () => void,
  ) {}

  /** Queues bytes for hashing; returns a promise only when the job's buffers are all in flight. */
  update(chunk: Buffer): Promise<void> | null {
    let offset = 0;
    while (offset < chunk.length) {
      const buffer = this.#current ?? this.#take();
      if (!buffer) {
        const rest = chunk.subarray(offset);
        return new Promise<void>((resolve, reject) => (this.#waiting = { resolve, reject })).then(() => this.update(rest) ?? undefined);
      }
      const copied = chunk.copy(buffer, this.#filled, offset);
      this.#filled += copied;
      offset += copied;
      if (this.#filled === buffer.length) this.#send();
    }
    return null;
  }

  digest(): Promise<Digests> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#current) this.#send();
    return new Promise<Digests>((resolve, reject) => {
      this.#result = { resolve, reject };
      this.post({ id: this.id, md5: this.md5, end: 'digest' });
    });
  }

  /** Forgets the job, once its digest is in or when the upload failed. */
  cancel(): void {
    if (this.#result === null && this.#failure === null) this.post({ id: this.id, md5: this.md5, end: 'cancel' });
    this.forget();
  }

  receive(reply: WorkerReply): void {
    if (reply.buffer) {
      this.#free.push(Buffer.from(reply.buffer.buffer));
      const waiting = this.#waiting;
      this.#waiting = null;
      waiting?.resolve();
    }
    if (reply.sha256) this.#result?.resolve({ sha256: Buffer.from(reply.sha256), md5: reply.md5 && Buffer.from(reply.md5) });
  }

  fail(error: Error): void {
    this.#failure = error;
    this.#waiting?.reject(error);
    this.#waiting = null;
    this.#result?.reject(error);
  }

  #take(): Buffer | null {
    if (this.#failure) throw this.#failure;
    const buffer = this.#free.pop() ?? (this.#allocated < BUFFERS_PER_JOB ? (this.#allocated++, Buffer.allocUnsafeSlow(BATCH)) : null);
    this.#current = buffer;
    this.#filled = 0;
    return buffer;
  }

  #send(): void {
    const data = this.#current!.subarray(0, this.#filled);
    this.#current = null;
    this.post({ id: this.id, md5: this.md5, data }, [data.buffer as ArrayBuffer]);
  }
}
