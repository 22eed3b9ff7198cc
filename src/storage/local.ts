import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, type BigIntStats } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, truncate, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  MULTIPART_LIMITS,
  StorageError,
  type ObjectInfo,
  type PartOptions,
  type PutOptions,
  type SignedRequest,
  type StorageDriver,
  type StoredPart,
} from './driver.ts';

/**
 * The embedded object store: objects are files under `root/<key>`, served by the app itself
 * through HMAC-signed, expiring URLs (see local-routes.ts). The store's own files live under
 * `root/.airlift/` so that temp files, parts and objects share one filesystem and every
 * `rename` is atomic:
 *
 *   .airlift/meta/<h[0..2]>/<h>.json   content type, size, etag of an object (h = sha256 of the key)
 *   .airlift/multipart/<id>/upload.json key, content type, part size and start date of a multipart upload
 *   .airlift/multipart/<id>/data        the object being built: part n is written in place at (n-1) × part size,
 *                                       so completing renames this file into the root and copies nothing
 *   .airlift/multipart/<id>/<n>/<seq>-<etag>-<size>.placed
 *                                       part n is whole in `data` (an empty marker, written once the part checked out)
 *   .airlift/multipart/<id>/<n>/<seq>-<etag>
 *                                       part n in a file of its own: a part that does not fit the plan (no part
 *                                       size given, a larger part) or arrives while another copy of it is being
 *                                       written in place; completing then copies the parts into a new file
 *   .airlift/partial/<h>                the body of a single PUT signed for an exact length, as it arrives: kept when
 *                                       the client goes away, so the same URL can send the rest (`Content-Range`),
 *                                       renamed into the root once whole
 *   .airlift/tmp/                       bodies being received, objects being assembled, uploads being claimed
 *
 * The ETag is in each version's name, so part and ETag appear in one rename or create, and the
 * highest <seq> is the last copy of the part received.
 */

/** Read/write buffer size: big reads and writes keep syscalls few on multi-GiB files. */
export const IO_CHUNK = 1024 ** 2;

const SYSTEM_DIR = '.airlift';
const UPLOAD_ID = /^[0-9a-f]{32}$/;
const PART_DIR = /^[1-9]\d{0,4}$/;
const PART_VERSION = /^\d{16}-([0-9a-f]{32})(?:-(\d{1,16})\.placed)?$/;
const DATA_FILE = 'data';
const MD5_BASE64 = /^[A-Za-z0-9+/]{22}==$/;
const MAX_EXPIRES = 7 * 24 * 3600;
const STALE_TEMP_MS = 24 * 3600 * 1000;
const SIGNATURE_VERSION = 'airlift-local-store-v1';

export interface LocalStoreOptions {
  /** Where objects live, e.g. `<DATA_DIR>/objects`. */
  root: string;
  /** The app's public base URL; signed URLs point at `${baseUrl}/store/<key>`. */
  baseUrl: string;
  secret: string;
  /** The clock, in milliseconds (tests move it). */
  now?: () => number;
}

/** What a signed URL allows; every field is covered by the signature. */
export interface Grant {
  method: 'PUT' | 'GET';
  key: string;
  /** Unix seconds. */
  expires: number;
  contentType?: string;
  length?: number;
  maxLength?: number;
  uploadId?: string;
  partNumber?: number;
  contentMd5?: string;
  filename?: string;
}

export type UrlCheck =
  | { ok: true; grant: Grant }
  | { ok: false; reason: 'malformed' | 'mismatch' }
  | { ok: false; reason: 'expired'; expiredAt: Date };

type GrantField = Exclude<keyof Grant, 'method' | 'key'>;

/** Query parameter of each grant field, in signing order. */
const PARAMS: [GrantField, string, 'number' | 'string'][] = [
  ['expires', 'expires', 'number'],
  ['contentType', 'type', 'string'],
  ['length', 'length', 'number'],
  ['maxLength', 'max', 'number'],
  ['uploadId', 'upload', 'string'],
  ['partNumber', 'part', 'number'],
  ['contentMd5', 'md5', 'string'],
  ['filename', 'filename', 'string'],
];

interface ObjectMeta {
  key: string;
  contentType: string;
  size: number;
  etag: string;
  lastModified: string;
  /** The data file's inode: a meta file that does not match it describes another version of the object. */
  ino: string;
}

interface UploadMeta {
  key: string;
  contentType: string;
  initiated: string;
  /** The size of every part but the last, when the client said so: parts then go straight into `data`. */
  partSize?: number;
}

/** Where a PUT's body is written while it is received, and what to do once it is checked. */
export interface BodyTarget {
  file: string;
  /** Offset of the body in `file`. */
  start: number;
  /** 'wx' for a new file of its own, 'r+' to write in place (the upload's data file, a held PUT body). */
  flags: 'wx' | 'r+';
  /** Most bytes the body may have here. */
  limit: number;
  /**
   * Aborted when the body must stop: its upload was completed or aborted, a newer PUT of the
   * same object came, or the object was deleted.
   */
  signal: AbortSignal;
  /** Keeps what arrived when the body stops early (the client went away, or `signal`), for a `Content-Range` continuation. */
  resumable: boolean;
  /** Records the part or the object, once received whole and checked. */
  commit(etag: string, size: number): Promise<void>;
  /** Called once the body's file is closed, whatever happened; `keep`: a resumable body stopped early keeps its bytes. */
  release(keep: boolean): Promise<void>;
}

/** A body being written into a file the store shares (an upload's data file, a held PUT body), which the store can stop. */
class Writer {
  readonly controller = new AbortController();
  #closed!: () => void;
  /** Settles once the body's file is closed. */
  readonly done = new Promise<void>((resolve) => (this.#closed = resolve));

  /** Called by the body's `release`, once its file is closed. */
  closed(): void {
    this.#closed();
  }

  /** Stops the body and waits until its file is closed. */
  async stop(reason: Error): Promise<void> {
    this.controller.abort(reason);
    await this.done;
  }
}

/** A part's stored bytes: `size` bytes of `file` from `start`. */
interface PartCopy {
  file: string;
  start: number;
  size: number;
  etag: string;
  placed: boolean;
}

/** Why `key` cannot be an object key here, or null when it can. Keys map to paths, so this is the first guard. */
export function keyProblem(key: string): string | null {
  if (typeof key !== 'string' || key.length === 0) return 'the key is empty';
  if (Buffer.byteLength(key) > MULTIPART_LIMITS.maxKeyBytes) return `the key is longer than ${MULTIPART_LIMITS.maxKeyBytes} bytes`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(key)) return 'the key contains a control character or a backslash';
  const segments = key.split('/');
  for (const segment of segments) {
    if (segment === '') return 'the key has an empty segment (a leading, trailing or doubled "/")';
    if (segment === '.' || segment === '..') return 'the key has a "." or ".." segment';
    if (Buffer.byteLength(segment) > 255) return 'a segment of the key is longer than 255 bytes';
  }
  if (segments[0] === SYSTEM_DIR) return `keys under "${SYSTEM_DIR}/" are the store's own files`;
  return null;
}

/**
 * Checks S3's and R2's rules on the sizes of the parts being completed: every part but the
 * last at least 5 MiB, all of them the same size, and the last no larger.
 */
export function checkPartSizes(parts: { partNumber: number; size: number }[]): void {
  const first = parts[0];
  if (!first) throw new StorageError('invalid_part', 'A multipart upload needs at least one part.');
  const last = parts[parts.length - 1]!;
  for (const part of parts.slice(0, -1)) {
    if (part.size < MULTIPART_LIMITS.minPartSize) {
      throw new StorageError(
        'entity_too_small',
        `Part ${part.partNumber} is ${part.size} bytes: every part but the last must be at least ${MULTIPART_LIMITS.minPartSize} bytes (5 MiB).`,
      );
    }
    if (part.size !== first.size) {
      throw new StorageError(
        'invalid_part',
        `Part ${part.partNumber} is ${part.size} bytes but part ${first.partNumber} is ${first.size}: every part but the last must have the same size (R2's rule).`,
      );
    }
  }
  if (last.size > first.size) {
    throw new StorageError('invalid_part', `The last part (${last.partNumber}) is ${last.size} bytes, larger than the ${first.size} of the others: it must be no larger.`);
  }
}

/** A multipart object's ETag in S3's form: the MD5 of the parts' binary ETags, then "-<part count>". */
export function multipartEtag(partEtags: string[]): string {
  const hash = createHash('md5');
  for (const hex of partEtags) hash.update(Buffer.from(hex, 'hex'));
  return `"${hash.digest('hex')}-${partEtags.length}"`;
}

const isMissing = (error: unknown) => {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

const noSuchUpload = (uploadId: string) =>
  new StorageError('no_such_upload', `There is no multipart upload ${uploadId} for this key: it was completed, aborted or never started.`);

let sequence = 0;
/** Names that sort in the order parts were received (wall-clock ms, then a counter within one ms). */
const nextVersion = (etag: string) => `${String(Date.now() * 1000 + (sequence++ % 1000)).padStart(16, '0')}-${etag}`;

const stripQuotes = (etag: string) => etag.trim().replace(/^"(.*)"$/, '$1');

function checkExpiresIn(expiresIn: number): void {
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_EXPIRES) {
    throw new StorageError('store_error', `expiresIn must be a whole number of seconds from 1 to ${MAX_EXPIRES}, got ${expiresIn}.`);
  }
}

function checkLength(name: string, value: number | undefined, max: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0 || value > max)) {
    throw new StorageError('store_error', `${name} must be a whole number of bytes from 0 to ${max}, got ${value}.`);
  }
}

function checkMd5(md5: string | undefined): void {
  if (md5 !== undefined && !MD5_BASE64.test(md5)) throw new StorageError('store_error', 'contentMd5 must be the base64 MD5 of the body (24 characters).');
}

async function removeQuietly(target: string): Promise<void> {
  await rm(target, { recursive: true, force: true }).catch(() => undefined);
}

export class LocalStore implements StorageDriver {
  readonly kind = 'local' as const;
  readonly #root: string;
  readonly #baseUrl: string;
  readonly #signingKey: Buffer;
  readonly #now: () => number;
  readonly #metaDir: string;
  readonly #uploadsDir: string;
  readonly #tmpDir: string;
  /** Bodies being written in place, by upload and part number (one at a time per part). */
  readonly #writers = new Map<string, Map<number, Writer>>();
  /** Uploads being completed: no new body is written into them in place. */
  readonly #closing = new Set<string>();
  /** Single PUT bodies being written into `.airlift/partial/`, by key (one at a time per key). */
  readonly #putWriters = new Map<string, Writer>();
  readonly resumablePut = true;
  readonly #partialDir: string;

  /** Use `createLocalStore`, which prepares the directories. */
  constructor(root: string, baseUrl: string, signingKey: Buffer, now: () => number) {
    this.#root = root;
    this.#baseUrl = baseUrl;
    this.#signingKey = signingKey;
    this.#now = now;
    this.#metaDir = path.join(root, SYSTEM_DIR, 'meta');
    this.#uploadsDir = path.join(root, SYSTEM_DIR, 'multipart');
    this.#tmpDir = path.join(root, SYSTEM_DIR, 'tmp');
    this.#partialDir = path.join(root, SYSTEM_DIR, 'partial');
  }

  // ── signed URLs ──────────────────────────────────────────────────────────

  async presignPut(key: string, options: PutOptions): Promise<SignedRequest> {
    this.objectPath(key);
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
    });
    const headers: Record<string, string> = { 'Content-Type': options.contentType };
    if (options.contentMd5) headers['Content-MD5'] = options.contentMd5;
    return { url: this.#url(grant), method: 'PUT', headers, expiresAt: new Date(grant.expires * 1000) };
  }

  async presignPart(key: string, uploadId: string, partNumber: number, options: PartOptions): Promise<SignedRequest> {
    this.objectPath(key);
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
    const headers: Record<string, string> = {};
    if (options.contentMd5) headers['Content-MD5'] = options.contentMd5;
    return { url: this.#url(grant), method: 'PUT', headers, expiresAt: new Date(grant.expires * 1000) };
  }

  async presignGet(key: string, options: { expiresIn: number; filename?: string }): Promise<string> {
    this.objectPath(key);
    return this.#url(this.#grant('GET', key, options.expiresIn, { filename: options.filename || undefined }));
  }

  publicUrl(): string | null {
    return null;
  }

  /** Checks a request's URL against its signature. HEAD requests use GET URLs. */
  verifyUrl(method: 'PUT' | 'GET', key: string, query: URLSearchParams): UrlCheck {
    const grant: Grant = { method, key, expires: 0 };
    for (const [field, param, type] of PARAMS) {
      const raw = query.get(param);
      if (raw === null) continue;
      if (type === 'number') {
        if (!/^\d{1,16}$/.test(raw)) return { ok: false, reason: 'malformed' };
        (grant as unknown as Record<string, number>)[field] = Number(raw);
      } else {
        (grant as unknown as Record<string, string>)[field] = raw;
      }
    }
    const given = query.get('signature');
    if (!given || !query.has('expires')) return { ok: false, reason: 'malformed' };
    // Compare the encoded strings: base64url has spare bits, so distinct strings can decode alike.
    const expected = Buffer.from(this.#sign(grant));
    const actual = Buffer.from(given);
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return { ok: false, reason: 'mismatch' };
    if (this.#now() > grant.expires * 1000) return { ok: false, reason: 'expired', expiredAt: new Date(grant.expires * 1000) };
    return { ok: true, grant };
  }

  /** Whole seconds until a grant expires (for Cache-Control). */
  secondsLeft(grant: Grant): number {
    return Math.max(0, grant.expires - Math.floor(this.#now() / 1000));
  }

  #grant(method: Grant['method'], key: string, expiresIn: number, fields: Partial<Grant>): Grant {
    checkExpiresIn(expiresIn);
    const grant: Grant = { method, key, expires: Math.floor(this.#now() / 1000) + expiresIn };
    for (const [field] of PARAMS) {
      const value = fields[field];
      if (value !== undefined) (grant as unknown as Record<string, unknown>)[field] = value;
    }
    return grant;
  }

  #sign(grant: Grant): string {
    const canonical = JSON.stringify([SIGNATURE_VERSION, grant.method, grant.key, ...PARAMS.map(([field]) => grant[field] ?? null)]);
    return createHmac('sha256', this.#signingKey).update(canonical).digest('base64url');
  }

  #url(grant: Grant): string {
    const query = new URLSearchParams();
    for (const [field, param] of PARAMS) {
      const value = grant[field];
      if (value !== undefined) query.set(param, String(value));
    }
    query.set('signature', this.#sign(grant));
    return `${this.#baseUrl}/store/${grant.key.split('/').map(encodeURIComponent).join('/')}?${query}`;
  }

  // ── objects ──────────────────────────────────────────────────────────────

  /** The file of `key`, checked to stay inside the root. Throws `StorageError` for a key that cannot be a file name. */
  objectPath(key: string): string {
    const problem = keyProblem(key);
    if (problem) throw new StorageError('store_error', `"${String(key).slice(0, 100)}" is not a valid object key: ${problem}.`);
    const file = path.resolve(this.#root, key);
    if (!file.startsWith(this.#root + path.sep)) throw new StorageError('store_error', `The key "${key.slice(0, 100)}" leads outside the store.`);
    return file;
  }

  /** A fresh path in the store's temp folder, on the same filesystem as the objects. */
  tempPath(): string {
    return path.join(this.#tmpDir, randomUUID());
  }

  async head(key: string): Promise<ObjectInfo | null> {
    let stats: BigIntStats;
    try {
      stats = await stat(this.objectPath(key), { bigint: true });
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    return stats.isFile() ? this.#describe(key, stats) : null;
  }

  /** Opens the object for reading: the handle and the description of exactly the bytes it reads. */
  async openObject(key: string): Promise<{ handle: FileHandle; info: ObjectInfo } | null> {
    let handle: FileHandle;
    try {
      handle = await open(this.objectPath(key), 'r');
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    try {
      const stats = await handle.stat({ bigint: true });
      if (!stats.isFile()) {
        await handle.close();
        return null;
      }
      return { handle, info: await this.#describe(key, stats) };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /**
   * Moves a fully received file into place as `key`. The metadata goes first, then the data
   * file is renamed: the object appears whole, and a reader matches the two by inode.
   */
  async commitObject(key: string, file: string, info: { contentType: string; size: number; etag: string }): Promise<void> {
    const target = this.objectPath(key);
    const { ino } = await stat(file, { bigint: true });
    const meta: ObjectMeta = { key, ...info, lastModified: new Date(this.#now()).toISOString(), ino: ino.toString() };
    const metaFile = this.#metaPath(key);
    const metaTemp = this.tempPath();
    try {
      await writeFile(metaTemp, JSON.stringify(meta), { flag: 'wx' });
      await mkdir(path.dirname(metaFile), { recursive: true });
      await rename(metaTemp, metaFile);
    } finally {
      await rm(metaTemp, { force: true });
    }
    await mkdir(path.dirname(target), { recursive: true });
    await rename(file, target);
  }

  async delete(key: string): Promise<void> {
    const target = this.objectPath(key);
    // A PUT body still arriving stops (keeping its bytes) before they are removed.
    await this.#putWriters.get(key)?.stop(new StorageError('store_error', 'The object was deleted while this PUT was being received.'));
    for (const file of [target, this.#metaPath(key), this.#partialPath(key)]) {
      try {
        await unlink(file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (!isMissing(error) && code !== 'EISDIR' && code !== 'EPERM') throw error;
      }
    }
  }

  #metaPath(key: string): string {
    const hash = createHash('sha256').update(key).digest('hex');
    return path.join(this.#metaDir, hash.slice(0, 2), `${hash}.json`);
  }

  #partialPath(key: string): string {
    return path.join(this.#partialDir, createHash('sha256').update(key).digest('hex'));
  }

  // ── single PUTs ──────────────────────────────────────────────────────────

  async heldBytes(key: string): Promise<number> {
    this.objectPath(key);
    const stats = await stat(this.#partialPath(key)).catch((error: unknown) => {
      if (isMissing(error)) return null;
      throw error;
    });
    return stats?.size ?? 0;
  }

  /**
   * Where to write the body of a single PUT of `key`. Without a known `length`, a temp file
   * renamed into place once checked. With one, the object's held body in `.airlift/partial/`,
   * from byte `from` (0 for a fresh body): what arrives is kept if the client goes away, and a
   * later PUT continues it. One body per key: a newer PUT stops the older and waits for its
   * file to close. Throws `offset_mismatch` when `from` is past the bytes held (a gap).
   */
  async beginPut(key: string, contentType: string, { length, from = 0 }: { length?: number; from?: number } = {}): Promise<BodyTarget> {
    this.objectPath(key);
    if (length === undefined) return this.#ownFile((file, etag, size) => this.commitObject(key, file, { contentType, size, etag: `"${etag}"` }));
    const previous = this.#putWriters.get(key);
    const writer = new Writer();
    // Registered before any await, so a third PUT waits for this one, not for the first.
    this.#putWriters.set(key, writer);
    const file = this.#partialPath(key);
    let committed = false;
    const release = async (keep: boolean) => {
      if (!committed && !keep) await rm(file, { force: true });
      if (this.#putWriters.get(key) === writer) this.#putWriters.delete(key);
      writer.closed();
    };
    try {
      await previous?.stop(new StorageError('store_error', 'A newer PUT of this object replaced this one.'));
      const held = await this.heldBytes(key);
      if (from > held) {
        throw new StorageError('offset_mismatch', `The store holds ${held} bytes of this object, so a body from byte ${from} would leave a gap: continue from byte ${held}.`);
      }
      // A fresh body starts over; a continuation drops what it is about to send again.
      if (from < held || held === 0) {
        await mkdir(this.#partialDir, { recursive: true });
        await writeFile(file, '', { flag: 'a' });
        await truncate(file, from);
      }
    } catch (error) {
      await release(true);
      throw error;
    }
    return {
      file,
      start: from,
      flags: 'r+',
      limit: length - from,
      signal: writer.controller.signal,
      resumable: true,
      commit: async (etag, size) => {
        await this.commitObject(key, file, { contentType, size, etag: `"${etag}"` });
        committed = true;
      },
      release,
    };
  }

  async #describe(key: string, stats: BigIntStats): Promise<ObjectInfo> {
    let meta: ObjectMeta | null = null;
    try {
      meta = JSON.parse(await readFile(this.#metaPath(key), 'utf8')) as ObjectMeta;
    } catch (error) {
      if (!isMissing(error) && !(error instanceof SyntaxError)) throw error;
    }
    if (meta && meta.key === key && meta.ino === stats.ino.toString() && meta.size === Number(stats.size)) {
      return { size: meta.size, contentType: meta.contentType, etag: meta.etag, lastModified: new Date(meta.lastModified) };
    }
    // A crash between the two renames of a commit, or two writers at once: describe the bytes actually there.
    return {
      size: Number(stats.size),
      contentType: meta?.contentType ?? 'application/octet-stream',
      etag: `"${stats.ino.toString(16)}-${stats.size.toString(16)}-${stats.mtimeNs.toString(16)}"`,
      lastModified: stats.mtime,
    };
  }

  // ── multipart ────────────────────────────────────────────────────────────

  async createMultipart(key: string, options: { contentType: string; partSize?: number }): Promise<string> {
    this.objectPath(key);
    if (!options.contentType) throw new StorageError('store_error', 'createMultipart needs a content type.');
    const { partSize } = options;
    if (partSize !== undefined) checkLength('partSize', partSize, MULTIPART_LIMITS.maxPartSize);
    const uploadId = randomBytes(16).toString('hex');
    // Built aside then renamed, so an upload is listed only once its upload.json is whole.
    const staging = this.tempPath();
    try {
      await mkdir(staging);
      const meta: UploadMeta = { key, contentType: options.contentType, initiated: new Date(this.#now()).toISOString(), partSize };
      if (partSize) await writeFile(path.join(staging, DATA_FILE), '', { flag: 'wx' });
      await writeFile(path.join(staging, 'upload.json'), JSON.stringify(meta), { flag: 'wx' });
      await rename(staging, path.join(this.#uploadsDir, uploadId));
    } catch (error) {
      await removeQuietly(staging);
      throw error;
    }
    return uploadId;
  }

  #ownFile(commit: (file: string, etag: string, size: number) => Promise<void>): BodyTarget {
    const file = this.tempPath();
    return {
      file,
      start: 0,
      flags: 'wx',
      limit: Infinity,
      signal: new AbortController().signal,
      resumable: false,
      commit: (etag, size) => commit(file, etag, size),
      release: () => rm(file, { force: true }),
    };
  }

  async listParts(key: string, uploadId: string): Promise<StoredPart[]> {
    const upload = await this.#readUpload(key, uploadId);
    if (!upload) throw noSuchUpload(uploadId);
    try {
      return await this.#partsIn(path.join(this.#uploadsDir, uploadId), upload);
    } catch (error) {
      if (isMissing(error)) throw noSuchUpload(uploadId);
      throw error;
    }
  }

  /**
   * Where to write part `partNumber` of `length` bytes (when known): in place inside the
   * upload's data file when the upload has a part size, the part fits it, and no other copy of
   * the part is being written there; otherwise a temp file of its own. Throws `no_such_upload`.
   */
  async beginPart(key: string, uploadId: string, partNumber: number, length: number | undefined): Promise<BodyTarget> {
    const upload = await this.#readUpload(key, uploadId);
    if (!upload) throw noSuchUpload(uploadId);
    const dir = path.join(this.#uploadsDir, uploadId);
    const writers = this.#writers.get(uploadId) ?? new Map<number, Writer>();
    const { partSize } = upload;
    // No await between these checks and the registration below: JavaScript runs them as one step.
    const inPlace = partSize !== undefined && length !== undefined && length <= partSize && !writers.has(partNumber) && !this.#closing.has(uploadId);
    if (!inPlace) return this.#ownFile((file, etag) => this.#recordPart(uploadId, partNumber, nextVersion(etag), file));
    const writer = new Writer();
    writers.set(partNumber, writer);
    this.#writers.set(uploadId, writers);
    const release = async () => {
      if (writers.get(partNumber) === writer) writers.delete(partNumber);
      if (writers.size === 0 && this.#writers.get(uploadId) === writers) this.#writers.delete(uploadId);
      writer.closed();
    };
    try {
      // The bytes are about to be overwritten: a copy of this part kept in place is void from now on
      // (unlike S3, which keeps it until the new one is whole; the client sends the part again).
      const partDir = path.join(dir, String(partNumber));
      for (const name of await readdir(partDir).catch(() => [])) {
        if (name.endsWith('.placed')) await rm(path.join(partDir, name), { force: true });
      }
    } catch (error) {
      await release();
      throw error;
    }
    return {
      file: path.join(dir, DATA_FILE),
      start: (partNumber - 1) * partSize,
      flags: 'r+',
      limit: partSize,
      signal: writer.controller.signal,
      resumable: false,
      commit: (etag, size) => this.#recordPart(uploadId, partNumber, `${nextVersion(etag)}-${size}.placed`, null),
      release,
    };
  }

  /**
   * Adds a version of a part (moving `file` in, or creating an empty marker), then drops the
   * versions it replaces. A part sent again replaces the earlier one, as in S3.
   */
  async #recordPart(uploadId: string, partNumber: number, name: string, file: string | null): Promise<void> {
    const dir = path.join(this.#uploadsDir, uploadId, String(partNumber));
    try {
      // Not recursive: an upload completed or aborted meanwhile must not be brought back.
      await mkdir(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      if (file) await rename(file, path.join(dir, name));
      else await writeFile(path.join(dir, name), '', { flag: 'wx' });
    } catch (error) {
      if (isMissing(error)) throw noSuchUpload(uploadId);
      throw error;
    }
    // Only older versions go, so a copy of the part received meanwhile still wins.
    for (const other of await readdir(dir).catch(() => [])) {
      if (other < name) await rm(path.join(dir, other), { force: true });
    }
  }

  /** Stops every body still being written in place into this upload and waits until their files are closed. */
  async #stopWriters(uploadId: string): Promise<void> {
    await Promise.all([...(this.#writers.get(uploadId)?.values() ?? [])].map((writer) => writer.stop(noSuchUpload(uploadId))));
  }

  async completeMultipart(key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<void> {
    this.objectPath(key);
    if (parts.length === 0) throw new StorageError('invalid_part', 'A multipart upload needs at least one part.');
    if (parts.length > MULTIPART_LIMITS.maxParts) throw new StorageError('invalid_part', `An upload has at most ${MULTIPART_LIMITS.maxParts} parts.`);
    parts.forEach((part, i) => {
      if (!Number.isInteger(part.partNumber) || part.partNumber < 1 || (i > 0 && part.partNumber <= parts[i - 1]!.partNumber)) {
        throw new StorageError('invalid_part', 'List the parts once each, in ascending order of part number.');
      }
    });
    const upload = await this.#readUpload(key, uploadId);
    if (!upload) throw noSuchUpload(uploadId);
    this.#closing.add(uploadId);
    try {
      // Parts still coming would write into the object once it is in place: they are refused, as S3 refuses them after completion.
      await this.#stopWriters(uploadId);
      await this.#complete(key, uploadId, upload, parts);
    } finally {
      this.#closing.delete(uploadId);
    }
  }

  async #complete(key: string, uploadId: string, upload: UploadMeta, parts: { partNumber: number; etag: string }[]): Promise<void> {
    // Claim the upload by moving it aside: parts arriving now, a second complete or an abort find nothing.
    const claimed = this.tempPath();
    try {
      await rename(path.join(this.#uploadsDir, uploadId), claimed);
    } catch (error) {
      if (isMissing(error)) throw noSuchUpload(uploadId);
      throw error;
    }
    let completed = false;
    const assembled = this.tempPath();
    try {
      const chosen = await Promise.all(
        parts.map(async ({ partNumber, etag }) => {
          const stored = await this.#latestVersion(claimed, upload, partNumber);
          if (!stored || stored.etag !== stripQuotes(etag).toLowerCase()) {
            throw new StorageError('invalid_part', `Part ${partNumber} with ETag ${etag} is not stored in this upload: list the parts and send their ETags.`);
          }
          return { partNumber, ...stored };
        }),
      );
      checkPartSizes(chosen);
      const size = chosen.reduce((sum, part) => sum + part.size, 0);
      const info = { contentType: upload.contentType, size, etag: multipartEtag(chosen.map((p) => p.etag)) };
      // Parts 1..n all in place at their final offsets: the data file is the object already.
      const inPlace = chosen.every((part, i) => part.placed && part.partNumber === i + 1 && (i === chosen.length - 1 || part.size === upload.partSize));
      if (inPlace) {
        const data = path.join(claimed, DATA_FILE);
        await truncate(data, size);
        await this.commitObject(key, data, info);
      } else {
        await pipeline(async function* () {
          for (const part of chosen) {
            if (part.size > 0) yield* createReadStream(part.file, { start: part.start, end: part.start + part.size - 1, highWaterMark: IO_CHUNK });
          }
        }, createWriteStream(assembled, { flags: 'wx', highWaterMark: IO_CHUNK }));
        await this.commitObject(key, assembled, info);
      }
      completed = true;
    } finally {
      await rm(assembled, { force: true });
      if (completed) await removeQuietly(claimed);
      // Give a refused upload back, so the client can correct its list and try again.
      else await rename(claimed, path.join(this.#uploadsDir, uploadId)).catch(() => undefined);
    }
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    if (!(await this.#readUpload(key, uploadId))) return;
    await this.#stopWriters(uploadId);
    const claimed = this.tempPath();
    try {
      await rename(path.join(this.#uploadsDir, uploadId), claimed);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    await removeQuietly(claimed);
  }

  async listIncompleteMultipart(olderThan: Date): Promise<{ key: string; uploadId: string; initiated: Date }[]> {
    const found: { key: string; uploadId: string; initiated: Date }[] = [];
    for (const uploadId of await readdir(this.#uploadsDir)) {
      const meta = await this.#readUploadFile(uploadId);
      if (!meta) continue;
      const initiated = new Date(meta.initiated);
      if (initiated < olderThan) found.push({ key: meta.key, uploadId, initiated });
    }
    return found.sort((a, b) => a.initiated.getTime() - b.initiated.getTime());
  }

  async #readUploadFile(uploadId: string): Promise<UploadMeta | null> {
    if (!UPLOAD_ID.test(uploadId)) return null;
    try {
      return JSON.parse(await readFile(path.join(this.#uploadsDir, uploadId, 'upload.json'), 'utf8')) as UploadMeta;
    } catch (error) {
      if (isMissing(error) || error instanceof SyntaxError) return null;
      throw error;
    }
  }

  async #readUpload(key: string, uploadId: string): Promise<UploadMeta | null> {
    const meta = await this.#readUploadFile(uploadId);
    return meta && meta.key === key ? meta : null;
  }

  async #partsIn(dir: string, upload: UploadMeta): Promise<StoredPart[]> {
    const parts = await Promise.all(
      (await readdir(dir)).filter((name) => PART_DIR.test(name)).map(async (name) => {
        const stored = await this.#latestVersion(dir, upload, Number(name));
        return stored && { partNumber: Number(name), size: stored.size, etag: `"${stored.etag}"` };
      }),
    );
    return parts.filter((part) => part !== null).sort((a, b) => a.partNumber - b.partNumber);
  }

  /** The last copy received of part `partNumber` of the upload in `dir`, or null when there is none. */
  async #latestVersion(dir: string, upload: UploadMeta, partNumber: number): Promise<PartCopy | null> {
    const partDir = path.join(dir, String(partNumber));
    const names = await readdir(partDir).catch((error: unknown) => {
      if (isMissing(error)) return [];
      throw error;
    });
    // Newest first; an older version may linger a moment until the newer one's commit removes it.
    for (const name of names.filter((n) => PART_VERSION.test(n)).sort().reverse()) {
      const [, etag, placedSize] = PART_VERSION.exec(name)!;
      if (placedSize !== undefined && upload.partSize !== undefined) {
        return { file: path.join(dir, DATA_FILE), start: (partNumber - 1) * upload.partSize, size: Number(placedSize), etag: etag!, placed: true };
      }
      const file = path.join(partDir, name);
      const stats = await stat(file).catch((error: unknown) => {
        if (isMissing(error)) return null;
        throw error;
      });
      if (stats) return { file, start: 0, size: stats.size, etag: etag!, placed: false };
    }
    return null;
  }

  async close(): Promise<void> {
    // Nothing held open: every request opens and closes its own files.
  }

  /**
   * Removes what crashes left in the temp folder (a day old, so a running instance's work is
   * never touched), and held PUT bodies no URL can continue any more (untouched for longer
   * than the longest URL lives).
   */
  async sweepTemp(): Promise<void> {
    for (const [dir, ageMs] of [
      [this.#tmpDir, STALE_TEMP_MS],
      [this.#partialDir, MAX_EXPIRES * 1000],
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
  const root = path.resolve(options.root);
  // A key of its own, so a local-store signature can never double as a session or CSRF token.
  const signingKey = createHmac('sha256', options.secret).update(SIGNATURE_VERSION).digest();
  for (const dir of ['meta', 'multipart', 'partial', 'tmp']) await mkdir(path.join(root, SYSTEM_DIR, dir), { recursive: true });
  const store = new LocalStore(root, options.baseUrl.replace(/\/+$/, ''), signingKey, options.now ?? Date.now);
  await store.sweepTemp();
  return store;
}
