import type { FastifyPluginAsync } from 'fastify';

/**
 * The contract every object store implements: the embedded local store and the R2/S3 driver.
 * Routes and services speak only this interface; nothing driver-specific leaks past it. What
 * only some stores can do is an extension (below), declared in `extensions` and tested with
 * `hasExtension`, as tus's DataStore does: a store without it implements nothing for it.
 *
 * Errors: a missing object or upload is `null`/`[]` where the method says so; anything the
 * store refuses or cannot answer is thrown as a `StorageError` whose message says what to check.
 */
export interface StorageDriver {
  readonly kind: 'local' | 's3';

  /** The optional abilities this store has, each with its own interface below. */
  readonly extensions: readonly StorageExtension[];

  /**
   * A URL the browser PUTs the whole object to. The signature binds the key, the content
   * type and, when given, the exact length (`contentLength`) or an upper bound (`maxLength`,
   * enforced by the local store; S3 can only check it afterwards with `head`). With `ifNoneMatch`
   * the PUT only creates: the store refuses it (412) when an object is stored under the key, so
   * the URL cannot replace the object once its upload is complete. S3 and R2 need the request to
   * carry `If-None-Match: *` for that (it is then in `headers`); the local store binds it in the URL.
   */
  presignPut(key: string, options: PutOptions): Promise<SignedRequest>;

  /**
   * Starts a multipart upload of `key`; returns the store's upload id. `partSize`, the size the
   * client will give every part but the last, lets the local store write each part straight to
   * its place in the object (S3 needs no hint); parts of other sizes are still accepted.
   */
  createMultipart(key: string, options: { contentType: string; partSize?: number }): Promise<string>;

  /** A URL for one part's PUT, bound to the upload, the part number and, when given, its length and MD5. */
  presignPart(key: string, uploadId: string, partNumber: number, options: PartOptions): Promise<SignedRequest>;

  /** The parts already stored, ascending by part number, as the store reports them (never remembered). Throws `StorageError` 'no_such_upload' for an unknown upload. */
  listParts(key: string, uploadId: string): Promise<StoredPart[]>;

  /** Assembles the listed parts into the object, atomically: the object appears whole or not at all. */
  completeMultipart(key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<void>;

  /** Discards a multipart upload and every stored part. Idempotent: an unknown upload is not an error. */
  abortMultipart(key: string, uploadId: string): Promise<void>;

  /** The stored object's size and type, or `null` when there is no such object. */
  head(key: string): Promise<ObjectInfo | null>;

  /**
   * The first `bytes` (at most `READ_START_MAX`) of the object, fewer when it is shorter, or
   * `null` when there is no such object: what the content check at complete reads (a ranged GET).
   */
  readStart(key: string, bytes: number): Promise<Buffer | null>;

  /**
   * Deletes the object, and what cut-short PUTs of it left. Idempotent: a missing object is not
   * an error. The local store also voids the key for the URLs it signed (they can no longer
   * write it); on S3 an old URL can still create it, which the app's sweeper deletes again.
   */
  delete(key: string): Promise<void>;

  /** A short-lived URL that reads the object with GET (Range supported). */
  presignGet(key: string, options: { expiresIn: number; filename?: string }): Promise<string>;

  /** A permanent public URL (a CDN domain) when the store has one, else `null`: the app then hands out signed GETs. */
  publicUrl(key: string): string | null;

  /** Multipart uploads that were started before `olderThan` and never completed or aborted (for the sweeper). */
  listIncompleteMultipart(olderThan: Date): Promise<{ key: string; uploadId: string; initiated: Date }[]>;

  /** Releases connections and timers. */
  close(): Promise<void>;
}

/**
 * 'resumable-put' (the local store, as tus does; S3 and R2 keep nothing of a cut PUT): a single
 * PUT signed for an exact length that is cut short keeps the bytes that arrived, and the same
 * URL takes the rest with `Content-Range: bytes <held>-<size-1>/<size>`. A body that does not
 * check out (a wrong MD5) is dropped with what was held, and the client starts over.
 */
export interface ResumablePut {
  /** The bytes of `key` that cut-short single PUTs left in the store, ready to be continued; 0 when none. */
  heldBytes(key: string): Promise<number>;
}

/**
 * 'routes' (the local store's `/store/*`): the store serves its own HTTP endpoints, which the
 * app registers on its root, outside sessions and CSRF: their URLs' signatures authorise them.
 */
export interface ServesRoutes {
  /** A Fastify plugin (not wrapped in fastify-plugin, so its parsers and error handler stay its own); closes what it opens in `onClose`. */
  readonly routes: FastifyPluginAsync;
}

interface ExtensionInterfaces {
  'resumable-put': ResumablePut;
  routes: ServesRoutes;
}

export type StorageExtension = keyof ExtensionInterfaces;

/** Whether `driver` has `extension`, and so its interface: the one place an ability is asked for. */
export function hasExtension<D extends Pick<StorageDriver, 'extensions'>, E extends StorageExtension>(driver: D, extension: E): driver is D & ExtensionInterfaces[E] {
  return driver.extensions.includes(extension);
}

/** The bytes of `key` that cut-short single PUTs left in `driver`: 0 on a store without 'resumable-put', which keeps none. */
export function heldBytesOf(driver: StorageDriver, key: string): Promise<number> {
  return hasExtension(driver, 'resumable-put') ? driver.heldBytes(key) : Promise.resolve(0);
}

export interface PutOptions {
  contentType: string;
  expiresIn: number;
  contentLength?: number;
  maxLength?: number;
  /** base64 MD5 of the body, which the store then verifies. */
  contentMd5?: string;
  /** Create only: refused (412) when an object is already stored under the key. */
  ifNoneMatch?: boolean;
}

/** The most bytes `readStart` reads: enough to recognise any media type, and the app still carries no file. */
export const READ_START_MAX = 64 * 1024;

export interface PartOptions {
  expiresIn: number;
  contentLength?: number;
  contentMd5?: string;
}

/** A request the browser makes straight to the store. */
export interface SignedRequest {
  url: string;
  method: 'PUT';
  /** Headers the request must carry for the signature to hold (e.g. Content-Type). */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface StoredPart {
  partNumber: number;
  size: number;
  etag: string;
}

export interface ObjectInfo {
  size: number;
  contentType: string;
  etag: string;
  lastModified: Date;
}

export type { StorageErrorCode } from '../shared/error-codes.ts';
import type { StorageErrorCode } from '../shared/error-codes.ts';

/** A failure of the store, with a message that tells the operator what to check. */
export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/** S3's and R2's multipart limits, which every driver applies so behaviour is the same everywhere. */
export const MULTIPART_LIMITS = {
  minPartSize: 5 * 1024 ** 2,
  maxPartSize: 5 * 1024 ** 3 - 5 * 1024 ** 2,
  maxParts: 10_000,
  maxSinglePut: 5 * 1024 ** 3 - 5 * 1024 ** 2,
  maxObjectSize: 5 * 1024 ** 4 - 5 * 1024 ** 3,
  maxKeyBytes: 1024,
} as const;
