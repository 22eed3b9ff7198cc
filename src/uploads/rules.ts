import { randomUUID } from 'node:crypto';
import type { MediaKind } from '../shared/media-kind.ts';
import { hasExtension, MULTIPART_LIMITS, type StorageDriver } from '../storage/driver.ts';
import { badRequest } from '../errors.ts';
import { textProblem } from '../shared/api.ts';
import { DEFAULT_PART_SIZE, SINGLE_PUT_MAX } from '../shared/plan.ts';

/** Where each kind's objects live in the bucket (the seed's folders; covers in the seed's `films/`, photos' thumbnails in `thumbs/`). */
export const KIND_FOLDER: Record<MediaKind, string> = { video: 'videos', photo: 'photos', cover: 'films', thumbnail: 'thumbs' };

/**
 * The content type browsers give `File.type` for each extension. The seed's PUT sends
 * `file.type`, so a URL signed for the seed flow must carry exactly this type.
 */
export const TYPE_BY_EXTENSION: Record<string, string> = {
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
  mkv: 'video/x-matroska',
  ogv: 'video/ogg',
  mpeg: 'video/mpeg',
  mpg: 'video/mpeg',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  heic: 'image/heic',
};

export const MAX_FILENAME_LENGTH = 255;
/** Windows' reserved device names, which it refuses as a file's name whatever the extension. */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)/i;

/**
 * Checks a client-supplied filename and returns its display form. The name is never used as
 * a path or a key (keys are server-made), but it is shown back to users and logged.
 */
export function cleanFilename(raw: string): string {
  const problem = textProblem(raw);
  if (problem) throw badRequest(`The filename ${problem}.`, 'invalid_filename');
  const base = raw.split(/[\\/]/).pop()!.trim();
  if (raw.split(/[\\/]/).some((segment) => segment === '..')) {
    throw badRequest('The filename must be a plain name, without "../" or folders.', 'invalid_filename');
  }
  if (!base || base === '.') throw badRequest('The filename is empty.', 'invalid_filename');
  // A user who downloads it on Windows could not save it under its name.
  if (WINDOWS_DEVICE.test(base)) throw badRequest(`The filename "${base}" is a device name Windows reserves (CON, NUL, COM1…); rename the file.`, 'invalid_filename');
  if ([...base].length > MAX_FILENAME_LENGTH) {
    throw badRequest(`The filename is longer than ${MAX_FILENAME_LENGTH} characters.`, 'invalid_filename');
  }
  return base;
}

/** The lower-case extension of a filename, without the dot, or '' when it has none. */
export function extensionOf(filename: string): string {
  const match = /\.([A-Za-z0-9]{1,10})$/.exec(filename);
  return match ? match[1]!.toLowerCase() : '';
}

/** The type a browser reports for this filename, or null when the extension is unknown. */
export function typeForFilename(filename: string): string | null {
  return TYPE_BY_EXTENSION[extensionOf(filename)] ?? null;
}

/** A fresh, unguessable key in the kind's folder that keeps the file's (known) extension. */
export function newKey(kind: MediaKind, filename: string): string {
  const ext = extensionOf(filename);
  return `${KIND_FOLDER[kind]}/${randomUUID()}${ext && TYPE_BY_EXTENSION[ext] ? '.' + ext : ''}`;
}

/** True when `key` is one that `newKey` could have made for `kind`. */
export function isKeyOfKind(key: string, kind: MediaKind): boolean {
  return new RegExp(`^${KIND_FOLDER[kind]}/[0-9a-f-]{36}(\\.[a-z0-9]{1,10})?$`).test(key);
}

export interface PartPlan {
  strategy: 'single' | 'multipart';
  partSize: number;
  partCount: number;
}

export interface PlanOptions {
  /** Files up to this size go in one PUT. */
  singlePutMax: number;
  /** The part size to use when the file allows it; raised to keep within 10,000 parts. */
  preferredPartSize: number;
}

const MiB = 1024 ** 2;
export const DEFAULT_PLAN: PlanOptions = { singlePutMax: SINGLE_PUT_MAX, preferredPartSize: DEFAULT_PART_SIZE };

/**
 * On a store that keeps a cut PUT's bytes ('resumable-put': the local store), files up to the
 * single-PUT limit go in one PUT: a cut loses nothing, as the PUT continues from the bytes the
 * store holds, and Chromium sends a whole `File` at the least cost (src/shared/plan.ts).
 */
export const RESUMABLE_PUT_PLAN: PlanOptions = { singlePutMax: MULTIPART_LIMITS.maxSinglePut, preferredPartSize: DEFAULT_PART_SIZE };

/** A client's hints for its link (`preferred_part_size`, `single_put_max` of the create call). */
export interface PlanHints {
  preferred_part_size?: number;
  single_put_max?: number;
}

/**
 * The plan for a store, with the client's hints clamped to the store's limits: parts of 5 MiB
 * to 5 GiB − 5 MiB, in whole MiB, and one PUT up to 5 GiB − 5 MiB. On a store that keeps a cut
 * PUT's bytes, files up to its limit still go in one PUT: a cut there costs nothing.
 */
export function planFor(store: Pick<StorageDriver, 'extensions'>, hints: PlanHints = {}): PlanOptions {
  const base = hasExtension(store, 'resumable-put') ? RESUMABLE_PUT_PLAN : DEFAULT_PLAN;
  const { minPartSize, maxPartSize, maxSinglePut } = MULTIPART_LIMITS;
  const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));
  const preferred = hints.preferred_part_size;
  return {
    preferredPartSize: preferred === undefined ? base.preferredPartSize : clamp(Math.floor(preferred / MiB) * MiB, minPartSize, maxPartSize),
    singlePutMax: hints.single_put_max === undefined || base === RESUMABLE_PUT_PLAN ? base.singlePutMax : clamp(hints.single_put_max, 0, maxSinglePut),
  };
}

/**
 * Picks the strategy and one uniform part size: every part but the last is `partSize`, the
 * last no larger (R2's rule), at most 10,000 parts, each at least 5 MiB and at most 5 GiB.
 * Part sizes are whole MiB so they read well in logs.
 */
export function planParts(size: number, options: PlanOptions = DEFAULT_PLAN): PartPlan {
  const { minPartSize, maxPartSize, maxParts, maxObjectSize, maxSinglePut } = MULTIPART_LIMITS;
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`size must be a whole number of bytes, got ${size}`);
  if (size > maxObjectSize) throw new RangeError(`size ${size} exceeds the largest object a bucket can hold`);
  if (size <= Math.min(options.singlePutMax, maxSinglePut)) {
    return { strategy: 'single', partSize: size, partCount: 1 };
  }
  const needed = Math.ceil(size / maxParts / MiB) * MiB;
  const partSize = Math.min(maxPartSize, Math.max(minPartSize, options.preferredPartSize, needed));
  return { strategy: 'multipart', partSize, partCount: Math.ceil(size / partSize) };
}

/**
 * The plan for a client that asked for its own part size: always multipart, with uniform
 * parts of exactly that size. Returns what is wrong with the request instead when the size
 * breaks the store's rules (too small, too large, or more than 10,000 parts).
 */
export function planRequestedParts(size: number, partSize: number): PartPlan | { problem: string } {
  const { minPartSize, maxPartSize, maxParts } = MULTIPART_LIMITS;
  if (!Number.isSafeInteger(partSize) || partSize < minPartSize || partSize > maxPartSize) {
    return { problem: `part_size must be a whole number of bytes from ${minPartSize} (5 MiB) to ${maxPartSize} (5 GiB − 5 MiB), got ${partSize}.` };
  }
  const partCount = Math.max(1, Math.ceil(size / partSize));
  if (partCount > maxParts) {
    return { problem: `A part_size of ${partSize} bytes cuts this file into ${partCount} parts; the store takes at most ${maxParts}: ask for at least ${Math.ceil(size / maxParts)} bytes.` };
  }
  return { strategy: 'multipart', partSize, partCount };
}
