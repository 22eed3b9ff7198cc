import { mkdir, readdir, stat, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import {
  MULTIPART_LIMITS,
  READ_START_MAX,
  StorageError,
  type ObjectInfo,
  type PartOptions,
  type PutOptions,
  type ResumablePut,
  type ServesRoutes,
  type SignedRequest,
  type StorageDriver,
  type StoredPart,
} from '../driver.ts';
import type { BodyTarget } from './body.ts';
import { HeldPuts, type PutTarget } from './held-puts.ts';
import { Layout, removeQuietly } from './layout.ts';
import { Multipart } from './multipart.ts';
import { Objects } from './objects.ts';
import { noSuchUpload, UPLOAD_ID } from './part-files.ts';
import { localStoreRoutes, type LocalStoreEndpoint } from './routes.ts';
import { MAX_EXPIRES, newGrant, secondsLeft, signedUrl, signingKeyFor, verifyUrl, type Grant, type UrlCheck } from './signing.ts';

export interface LocalStoreOptions {
  /** Where objects live, e.g. `<DATA_DIR>/objects`. */
  root: string;
  /** The app's public base URL; signed URLs point at `${baseUrl}/store/<key>`. */
  baseUrl: string;
  secret: string;
  /** The clock, in milliseconds (tests move it). */
  now?: () => number;
  /** The media types its GETs show inline (the configuration's allowed types); markup never is. */
  inlineTypes?: readonly string[];
}

const MD5_BASE64 = /^[A-Za-z0-9+/]{22}==$/;
const STALE_TEMP_MS = 24 * 3600 * 1000;

/**
 * The embedded object store: objects are files under the root (layout.ts), served by the app
 * itself through HMAC-signed, expiring URLs (signing.ts, routes.ts). It keeps the bytes of a
 * single PUT cut short ('resumable-put', held-puts.ts) and writes multipart parts in place
 * (multipart.ts). This class checks the contract's arguments and hands each call to its module.
 */
export class LocalStore implements StorageDriver, ResumablePut, ServesRoutes, LocalStoreEndpoint {
  readonly kind = 'local' as const;
  readonly extensions = ['resumable-put', 'routes'] as const;
  /** The `/store/*` endpoints its URLs point at. */
  readonly routes: FastifyPluginAsync = localStoreRoutes(this);
  readonly #layout: Layout;
  readonly #objects: Objects;
  readonly #multipart: Multipart;
  readonly #puts: HeldPuts;
  readonly #baseUrl: string;
  readonly #signingKey: Buffer;
  readonly #now: () => number;
  readonly inlineTypes?: readonly string[];

  /** Use `createLocalStore`, which prepares the directories. */
  constructor(layout: Layout, baseUrl: string, signingKey: Buffer, now: () => number, inlineTypes?: readonly string[]) {
    this.inlineTypes = inlineTypes;
    this.#layout = layout;
    this.#baseUrl = baseUrl;
    this.#signingKey = signingKey;
    this.#now = now;
    this.#objects = new Objects(layout, now);
    this.#multipart = new Multipart(layout, this.#objects, now);
    this.#puts = new HeldPuts(layout, this.#objects);
  }

  // ── signed URLs ──────────────────────────────────────────────────────────

  async presignPut(key: string, options: PutOptions): Promise<SignedRequest> {
    this.#layout.objectPath(key);
    if (!options.contentType || /[\r\n]/.test(options.contentType)) throw new StorageError('store_error', 'presignPut needs a content type.');
    checkLength('contentLength', options.contentLength, MULTIPART_LIMITS.maxSinglePut);
    checkLength('maxLength', options.maxLength, MULTIPART_LIMITS.maxSinglePut);
    checkMd5(options.contentMd5);
    const grant = this.#grant('PUT', key, options.expiresIn, {
      contentType: options.contentType,
      length: options.contentLength,
      // Without a bound the store still holds a single PUT to S3's own limit.
      maxLength: options.maxLength ?? (options.contentLength === undefined ? MULTIPART_LIMITS.maxSinglePut : undefined),
      contentMd5: options.contentMd5,
      // The condition is in the signed URL: a browser sends it with no header of its own.
      createOnly: options.ifNoneMatch ? 1 : undefined,
    });
    const headers: Record<string, string> = { 'Content-Type': options.contentType };
    if (options.contentMd5) headers['Content-MD5'] = options.contentMd5;
    return this.#request(grant, headers);
  }

  async presignPart(key: string, uploadId: string, partNumber: number, options: PartOptions): Promise<SignedRequest> {
    this.#layout.objectPath(key);
    if (!UPLOAD_ID.test(uploadId)) throw noSuchUpload(uploadId);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MULTIPART_LIMITS.maxParts) {
      throw new StorageError('invalid_part', `Part numbers run from 1 to ${MULTIPART_LIMITS.maxParts}, got ${partNumber}.`);
    }
    checkLength('contentLength', options.contentLength, MULTIPART_LIMITS.maxPartSize);
    checkMd5(options.contentMd5);
    const grant = this.#grant('PUT', key, options.expiresIn, {
      length: options.contentLength,
      maxLength: options.contentLength === undefined ? MULTIPART_LIMITS.maxPartSize : undefined,
      uploadId,
      partNumber,
      contentMd5: options.contentMd5,
    });
    return this.#request(grant, options.contentMd5 ? { 'Content-MD5': options.contentMd5 } : {});
  }

  async presignGet(key: string, options: { expiresIn: number; filename?: string }): Promise<string> {
    this.#layout.objectPath(key);
    return signedUrl(this.#signingKey, this.#baseUrl, this.#grant('GET', key, options.expiresIn, { filename: options.filename || undefined }));
  }

  publicUrl(): string | null {
    return null;
  }

  verifyUrl(method: 'PUT' | 'GET', key: string, query: URLSearchParams): UrlCheck {
    return verifyUrl(this.#signingKey, this.#now(), method, key, query);
  }

  secondsLeft(grant: Grant): number {
    return secondsLeft(grant, this.#now());
  }

  #grant(method: Grant['method'], key: string, expiresIn: number, fields: Partial<Grant>): Grant {
    return newGrant(method, key, expiresIn, fields, this.#now());
  }

  #request(grant: Grant, headers: Record<string, string>): SignedRequest {
    return { url: signedUrl(this.#signingKey, this.#baseUrl, grant), method: 'PUT', headers, expiresAt: new Date(grant.expires * 1000) };
  }

  // ── objects and single PUTs ──────────────────────────────────────────────

  head(key: string): Promise<ObjectInfo | null> {
    return this.#objects.head(key);
  }

  openObject(key: string): Promise<{ handle: FileHandle; info: ObjectInfo } | null> {
    return this.#objects.open(key);
  }

  readStart(key: string, bytes: number): Promise<Buffer | null> {
    return this.#objects.readStart(key, Math.max(0, Math.min(bytes, READ_START_MAX)));
  }

  /** Deletes the object and voids its key: no URL handed out for it can write it again (a tombstone, see layout.ts). */
  async delete(key: string): Promise<void> {
    this.#layout.objectPath(key);
    await mkdir(this.#layout.voidDir, { recursive: true });
    await writeFile(this.#layout.voidPath(key), '');
    // A PUT body still arriving stops (keeping its bytes) before they are removed.
    await this.#puts.drop(key);
    await this.#objects.delete(key);
  }

  heldBytes(key: string): Promise<number> {
    return this.#puts.heldBytes(key);
  }

  beginPut(key: string, contentType: string, options: PutTarget = {}): Promise<BodyTarget> {
    return this.#puts.beginPut(key, contentType, options);
  }

  // ── multipart ────────────────────────────────────────────────────────────

  async createMultipart(key: string, options: { contentType: string; partSize?: number }): Promise<string> {
    this.#layout.objectPath(key);
    if (!options.contentType) throw new StorageError('store_error', 'createMultipart needs a content type.');
    if (options.partSize !== undefined) checkLength('partSize', options.partSize, MULTIPART_LIMITS.maxPartSize);
    return this.#multipart.create(key, options.contentType, options.partSize);
  }

  beginPart(key: string, uploadId: string, partNumber: number, length: number | undefined): Promise<BodyTarget> {
    return this.#multipart.beginPart(key, uploadId, partNumber, length);
  }

  listParts(key: string, uploadId: string): Promise<StoredPart[]> {
    return this.#multipart.list(key, uploadId);
  }

  async completeMultipart(key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<void> {
    this.#layout.objectPath(key);
    await this.#multipart.complete(key, uploadId, parts);
  }

  abortMultipart(key: string, uploadId: string): Promise<void> {
    return this.#multipart.abort(key, uploadId);
  }

  /** Finishes or gives back the multipart completes a crash interrupted (multipart.ts); the store runs it when it opens. */
  recoverCompletes(): Promise<{ completed: number; givenBack: number }> {
    return this.#multipart.recoverCompletes();
  }

  listIncompleteMultipart(olderThan: Date): Promise<{ key: string; uploadId: string; initiated: Date }[]> {
    return this.#multipart.listIncomplete(olderThan);
  }

  async close(): Promise<void> {
    // Nothing held open: every request opens and closes its own files (the routes close their hashing worker).
  }

  /**
   * Removes what crashes left in the temp folder (a day old, so a running instance's work is
   * never touched), and held PUT bodies no URL can continue any more (untouched for longer
   * than the longest URL lives).
   */
  async sweepTemp(): Promise<void> {
    for (const [dir, ageMs] of [
      [this.#layout.tmpDir, STALE_TEMP_MS],
      [this.#layout.partialDir, MAX_EXPIRES * 1000],
      // Once every URL of a deleted key has expired, its tombstone has nothing left to refuse.
      [this.#layout.voidDir, MAX_EXPIRES * 1000],
    ] as const) {
      const cutoff = this.#now() - ageMs;
      for (const name of await readdir(dir)) {
        const file = path.join(dir, name);
        const stats = await stat(file).catch(() => null);
        if (stats && stats.ctimeMs < cutoff) await removeQuietly(file);
      }
    }
  }
}

export async function createLocalStore(options: LocalStoreOptions): Promise<LocalStore> {
  if (!options.secret) throw new StorageError('store_error', 'The local store needs a secret to sign its URLs.');
  const layout = new Layout(path.resolve(options.root));
  await layout.prepare();
  const store = new LocalStore(layout, options.baseUrl.replace(/\/+$/, ''), signingKeyFor(options.secret), options.now ?? Date.now, options.inlineTypes);
  await store.recoverCompletes();
  await store.sweepTemp();
  return store;
}

function checkLength(name: string, value: number | undefined, max: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0 || value > max)) {
    throw new StorageError('store_error', `${name} must be a whole number of bytes from 0 to ${max}, got ${value}.`);
  }
}

function checkMd5(md5: string | undefined): void {
  if (md5 !== undefined && !MD5_BASE64.test(md5)) throw new StorageError('store_error', 'contentMd5 must be the base64 MD5 of the body (24 characters).');
}
