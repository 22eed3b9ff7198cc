import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { MULTIPART_LIMITS, StorageError, type StoredPart } from '../driver.ts';
import { isMissing, type Layout } from './layout.ts';

/** How a multipart upload's files are named and read back (the layout is in layout.ts). */

export interface UploadMeta {
  key: string;
  contentType: string;
  initiated: string;
  /** The size of every part but the last, when the client said so: parts then go straight into `data`. */
  partSize?: number;
}

/** A part's stored bytes: `size` bytes of `file` from `start`. */
export interface PartCopy {
  file: string;
  start: number;
  size: number;
  etag: string;
  placed: boolean;
}

export const UPLOAD_ID = /^[0-9a-f]{32}$/;
export const DATA_FILE = 'data';
export const UPLOAD_FILE = 'upload.json';
const PART_DIR = /^[1-9]\d{0,4}$/;
const PART_VERSION = /^\d{16}-([0-9a-f]{32})(?:-(\d{1,16})\.placed)?$/;

export const noUploadMessage = (uploadId: string) => `There is no multipart upload ${uploadId} for this key: it was completed, aborted or never started.`;
export const noSuchUpload = (uploadId: string) => new StorageError('no_such_upload', noUploadMessage(uploadId));

let sequence = 0;
/** Names that sort in the order parts were received (wall-clock ms, then a counter within one ms). */
export const nextVersion = (etag: string) => `${String(Date.now() * 1000 + (sequence++ % 1000)).padStart(16, '0')}-${etag}`;

/** The name of a part version whose bytes are in place in the data file. */
export const placedVersion = (etag: string, size: number) => `${nextVersion(etag)}-${size}.placed`;

export const stripQuotes = (etag: string) => etag.trim().replace(/^"(.*)"$/, '$1');

/** Refuses a list of parts to complete that is empty, too long, or not strictly ascending (S3 refuses these too). */
export function checkPartList(parts: { partNumber: number }[]): void {
  if (parts.length === 0) throw new StorageError('invalid_part', 'A multipart upload needs at least one part.');
  if (parts.length > MULTIPART_LIMITS.maxParts) throw new StorageError('invalid_part', `An upload has at most ${MULTIPART_LIMITS.maxParts} parts.`);
  parts.forEach((part, i) => {
    if (!Number.isInteger(part.partNumber) || part.partNumber < 1 || (i > 0 && part.partNumber <= parts[i - 1]!.partNumber)) {
      throw new StorageError('invalid_part', 'List the parts once each, in ascending order of part number.');
    }
  });
}

/** A multipart object's ETag in S3's form: the MD5 of the parts' binary ETags, then "-<part count>". */
export function multipartEtag(partEtags: string[]): string {
  const hash = createHash('md5');
  for (const hex of partEtags) hash.update(Buffer.from(hex, 'hex'));
  return `"${hash.digest('hex')}-${partEtags.length}"`;
}

/** The upload's upload.json, or null when there is no such upload (or it is being built or taken apart). */
export async function readUploadFile(layout: Layout, uploadId: string): Promise<UploadMeta | null> {
  if (!UPLOAD_ID.test(uploadId)) return null;
  try {
    return JSON.parse(await readFile(path.join(layout.uploadDir(uploadId), UPLOAD_FILE), 'utf8')) as UploadMeta;
  } catch (error) {
    if (isMissing(error) || error instanceof SyntaxError) return null;
    throw error;
  }
}

/** The parts stored in the upload folder `dir`, ascending by part number. */
export async function partsIn(dir: string, upload: UploadMeta): Promise<StoredPart[]> {
  const parts = await Promise.all(
    (await readdir(dir)).filter((name) => PART_DIR.test(name)).map(async (name) => {
      const stored = await latestVersion(dir, upload, Number(name));
      return stored && { partNumber: Number(name), size: stored.size, etag: `"${stored.etag}"` };
    }),
  );
  return parts.filter((part) => part !== null).sort((a, b) => a.partNumber - b.partNumber);
}

/** The last copy received of part `partNumber` of the upload in `dir`, or null when there is none. */
export async function latestVersion(dir: string, upload: UploadMeta, partNumber: number): Promise<PartCopy | null> {
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
