import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { MULTIPART_LIMITS, StorageError } from '../driver.ts';

/**
 * Where the local store keeps what: objects are files under `root/<key>`; the store's own files
 * live under `root/.airlift/`, so that temp files, parts and objects share one filesystem and
 * every `rename` is atomic:
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
 *   .airlift/completing/<id>/           a multipart upload being completed, moved here from multipart/ (so parts
 *                                       arriving now, a second complete or an abort find nothing), with claim.json
 *                                       (who completes it) and, once assembled, object.json (the object it commits);
 *                                       a store opened after a crash finishes or gives back what it finds here
 *   .airlift/void/<h>                   the key was deleted: no URL may write it again (kept as long as a URL lives)
 *   .airlift/tmp/                       bodies being received, objects being assembled, uploads being aborted
 *
 * The ETag is in each part version's name, so part and ETag appear in one rename or create, and
 * the highest <seq> is the last copy of the part received.
 */
export class Layout {
  readonly metaDir: string;
  readonly uploadsDir: string;
  readonly partialDir: string;
  readonly tmpDir: string;
  readonly completingDir: string;
  readonly voidDir: string;

  /** `root` must be absolute. */
  constructor(readonly root: string) {
    this.metaDir = path.join(root, SYSTEM_DIR, 'meta');
    this.uploadsDir = path.join(root, SYSTEM_DIR, 'multipart');
    this.partialDir = path.join(root, SYSTEM_DIR, 'partial');
    this.tmpDir = path.join(root, SYSTEM_DIR, 'tmp');
    this.completingDir = path.join(root, SYSTEM_DIR, 'completing');
    this.voidDir = path.join(root, SYSTEM_DIR, 'void');
  }

  /** Creates the store's own folders. */
  async prepare(): Promise<void> {
    for (const dir of [this.metaDir, this.uploadsDir, this.partialDir, this.tmpDir, this.completingDir, this.voidDir]) await mkdir(dir, { recursive: true });
  }

  /** The file of `key`, checked to stay inside the root. Throws `StorageError` for a key that cannot be a file name. */
  objectPath(key: string): string {
    const problem = keyProblem(key);
    if (problem) throw new StorageError('store_error', `"${String(key).slice(0, 100)}" is not a valid object key: ${problem}.`);
    const file = path.resolve(this.root, key);
    if (!file.startsWith(this.root + path.sep)) throw new StorageError('store_error', `The key "${key.slice(0, 100)}" leads outside the store.`);
    return file;
  }

  /** A fresh path in the store's temp folder, on the same filesystem as the objects. */
  tempPath(): string {
    return path.join(this.tmpDir, randomUUID());
  }

  metaPath(key: string): string {
    const hash = keyHash(key);
    return path.join(this.metaDir, hash.slice(0, 2), `${hash}.json`);
  }

  /** The held body of a single PUT of `key`. */
  partialPath(key: string): string {
    return path.join(this.partialDir, keyHash(key));
  }

  /** The tombstone of a deleted `key`. */
  voidPath(key: string): string {
    return path.join(this.voidDir, keyHash(key));
  }

  uploadDir(uploadId: string): string {
    return path.join(this.uploadsDir, uploadId);
  }

  /** Where a multipart upload sits while it is being completed. */
  completingPath(uploadId: string): string {
    return path.join(this.completingDir, uploadId);
  }
}

/** Read/write buffer size: big reads and writes keep syscalls few on multi-GiB files. */
export const IO_CHUNK = 1024 ** 2;

const SYSTEM_DIR = '.airlift';

const keyHash = (key: string) => createHash('sha256').update(key).digest('hex');

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

export const isMissing = (error: unknown) => {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

export async function removeQuietly(target: string): Promise<void> {
  await rm(target, { recursive: true, force: true }).catch(() => undefined);
}

/** Removes a file that may not be there (or be a folder: a key that is a prefix of others). */
export async function unlinkIfThere(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!isMissing(error) && code !== 'EISDIR' && code !== 'EPERM') throw error;
  }
}
