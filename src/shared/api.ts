/**
 * The JSON the server and the browser exchange, as zod schemas: the server parses requests
 * with them and the browser client imports the inferred types, so a renamed field is a
 * compile error on both sides. Field names are snake_case, like the seed's.
 */
import { z } from 'zod';
import { MEDIA_KINDS } from './media-kind.ts';
import { MAX_DIMENSION, MAX_DURATION_SECONDS } from './media-limits.ts';

export const mediaKind = z.enum(MEDIA_KINDS);

const TITLE_MAX = 255;
const DESCRIPTION_MAX = 10_000;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;

/**
 * Why `value` is not text a field may hold, or null when it is: PostgreSQL cannot store a NUL,
 * UTF-8 cannot encode a lone surrogate (the driver would store U+FFFD instead), control
 * characters have no place in a name (tab and line breaks only in `multiline` text), and
 * bidirectional overrides make a name read otherwise than it is ("clip\u202E4pm.exe").
 */
export function textProblem(value: string, options: { multiline?: boolean } = {}): string | null {
  if (value.includes('\0')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(value)) return 'contains a lone UTF-16 surrogate, which is not text';
  if ((options.multiline ? CONTROL_BUT_LINE_BREAKS : CONTROL).test(value)) return 'contains a control character';
  if (BIDI_CONTROL.test(value)) return 'contains a bidirectional override (U+202A–U+202E or U+2066–U+2069)';
  return null;
}

/** The check every text field of the API carries: `.check(validText('title'))` refuses with 400 and `textProblem`'s reason. */
export const validText =
  (label: string, options: { multiline?: boolean } = {}) =>
  (ctx: z.core.ParsePayload<string>): void => {
    const problem = textProblem(ctx.value, options);
    if (problem) ctx.issues.push({ code: 'custom', message: `The ${label} ${problem}.`, input: ctx.value });
  };

// ---- Upload tickets: /api/v1/uploads -------------------------------------------------

export const createUploadBody = z.strictObject({
  filename: z.string().min(1).check(validText('filename')),
  size: z.number().int().nonnegative(),
  content_type: z.string().min(1).max(255).check(validText('content type')),
  kind: mediaKind,
  /**
   * Optional, for clients that choose their own chunks (Uppy's \`getChunkSize\`): asks for a
   * multipart upload of uniform parts of this many bytes (5 MiB to 5 GiB − 5 MiB, at most
   * 10,000 parts; else 400). Without it the server picks the strategy and the part size.
   */
  part_size: z.number().int().positive().optional(),
  /**
   * Optional hints from a client that measured its link (the engine's link plan): the part
   * size it would like and the largest file it would send in one PUT. Unlike `part_size` they
   * are clamped to the store's limits, not refused for being beyond them (only a value no link
   * gives is: negative, fractional, past a safe integer), and the server keeps its own plan where
   * the store makes it better (the local store's PUT goes on after a cut: one PUT stays).
   */
  preferred_part_size: z.number().int().positive().optional(),
  single_put_max: z.number().int().nonnegative().optional(),
});
export type CreateUploadBody = z.infer<typeof createUploadBody>;

// Answers are schemas too: the OpenAPI document shows them and its test holds the server to them.
const isoTime = z.iso.datetime();
const headers = z.record(z.string(), z.string()).meta({ description: 'Headers the request to the URL must carry, exactly.' });
const strategy = z.enum(['single', 'multipart']);

export const signedPut = z.object({ url: z.string(), headers, expires_at: isoTime });
export type SignedPut = z.infer<typeof signedPut>;

export const uploadCreated = z
  .object({
    id: z.uuid(),
    key: z.string(),
    strategy,
    part_size: z.number().int(),
    part_count: z.number().int(),
    expires_at: isoTime,
    /**
     * For `single` on a store that keeps the bytes of a PUT cut short (the local store): the
     * same URL then takes the rest, with `Content-Range: bytes <held_bytes>-<size-1>/<size>`.
     */
    resumable_put: z.boolean(),
    /** Only for `single`: the PUT to make. */
    url: z.string().optional(),
    headers: headers.optional(),
  })
  .meta({ id: 'UploadCreated' });
export type UploadCreated = z.infer<typeof uploadCreated>;

export const signPartsBody = z.strictObject({
  part_numbers: z.array(z.number().int().min(1).max(10_000)).min(1).max(1000),
  /** Optional base64 MD5 per part number, which the store then verifies. */
  content_md5: z.record(z.string().regex(/^\d+$/), z.string().regex(/^[A-Za-z0-9+/]{22}==$/)).optional(),
});
export type SignPartsBody = z.infer<typeof signPartsBody>;

export const signedPart = signedPut.extend({ part_number: z.number().int() });
export type SignedPart = z.infer<typeof signedPart>;
export const signedParts = z.object({ parts: z.array(signedPart) }).meta({ id: 'SignedParts' });

export const uploadState = z
  .object({
    id: z.uuid(),
    key: z.string(),
    kind: mediaKind,
    filename: z.string(),
    size: z.number().int().nullable(),
    content_type: z.string(),
    strategy,
    part_size: z.number().int(),
    part_count: z.number().int(),
    state: z.enum(['pending', 'completed', 'aborted']),
    expires_at: isoTime,
    created_at: isoTime,
    /** Parts already in the store (multipart), asked from the store. */
    parts: z.array(z.object({ part_number: z.number().int(), size: z.number().int(), etag: z.string() })),
    /** As in `UploadCreated`. */
    resumable_put: z.boolean(),
    /** With `resumable_put`: the bytes of the PUT the store holds, asked from the store; the PUT continues from there. */
    held_bytes: z.number().int(),
  })
  .meta({ id: 'UploadState' });
export type UploadState = z.infer<typeof uploadState>;

export const completeUploadBody = z.strictObject({
  parts: z.array(z.strictObject({ part_number: z.number().int().min(1).max(10_000), etag: z.string().min(1).max(200).check(validText('ETag')) })).max(10_000).default([]),
});
export type CompleteUploadBody = z.infer<typeof completeUploadBody>;

export const uploadCompleted = z
  .object({ id: z.uuid(), key: z.string(), size: z.number().int(), content_type: z.string(), state: z.literal('completed') })
  .meta({ id: 'UploadCompleted' });
export type UploadCompleted = z.infer<typeof uploadCompleted>;

// ---- Media records: /api/v1/videos, /api/v1/photos -----------------------------------

const title = z.string().trim().min(1, 'The title is required.').max(TITLE_MAX, `The title is longer than ${TITLE_MAX} characters.`).check(validText('title'));
const description = z.string().max(DESCRIPTION_MAX, `The description is longer than ${DESCRIPTION_MAX} characters.`).check(validText('description', { multiline: true })).nullish();

/** What the browser measured of the file (src/shared/media-limits.ts); optional, null when it could not read it. */
const side = z.number().int().min(1).max(MAX_DIMENSION).nullish();
const measured = { width: side, height: side };

export const createVideoBody = z.strictObject({
  title,
  description,
  upload_id: z.uuid(),
  cover_upload_id: z.uuid().nullish(),
  /** Seconds: more than 0, at most 48 h. */
  duration: z.number().positive().max(MAX_DURATION_SECONDS).nullish(),
  ...measured,
});
export type CreateVideoBody = z.infer<typeof createVideoBody>;

export const createPhotoBody = z.strictObject({
  title,
  description,
  upload_id: z.uuid(),
  /** A completed upload of kind `thumbnail`: the photo at most 480 px on its longer side. */
  thumbnail_upload_id: z.uuid().nullish(),
  ...measured,
});
export type CreatePhotoBody = z.infer<typeof createPhotoBody>;

export const editMediaBody = z.strictObject({ title: title.optional(), description });
export type EditMediaBody = z.infer<typeof editMediaBody>;

/** A video's edit also replaces its cover: the old cover's object is deleted once the new one is saved. */
export const editVideoBody = editMediaBody.extend({ cover_upload_id: z.uuid().optional() });
export type EditVideoBody = z.infer<typeof editVideoBody>;

/** `GET /api/v1/videos`, `/photos`: a page of the list. */
export const LIST_SORTS = ['newest', 'oldest', 'title'] as const;
export type ListSort = (typeof LIST_SORTS)[number];
export const LIST_LIMIT = { min: 1, max: 100, default: 24 } as const;

/** `GET /api/v1/videos`, `/photos` and the library page: a page of the list, searched and sorted. */
export const listMediaQuery = z.object({
  q: z
    .string()
    .max(200, 'The search is longer than 200 characters.')
    .check(validText('search'))
    .optional()
    .meta({ description: 'Words that must all be in the title or description, case and accents aside (`eleve` finds `Élève`); `%`, `_` and `\\` match themselves.' }),
  sort: z.enum(LIST_SORTS, { error: 'sort must be newest, oldest or title.' }).default('newest').meta({ description: 'newest (the default), oldest, or title (A to Z, accents aside).' }),
  limit: z.coerce.number().int().min(LIST_LIMIT.min).max(LIST_LIMIT.max).default(LIST_LIMIT.default).meta({ description: 'Items per page, 1 to 100 (24 by default).' }),
  cursor: z.string().max(2048).optional().meta({ description: 'The `next_cursor` or `prev_cursor` of a page of the same list and sort (else 400 `invalid_cursor` or `cursor_mismatch`).' }),
});
export type ListQuery = z.infer<typeof listMediaQuery>;

export const videoItem = z
  .object({
    id: z.number().int(),
    title: z.string(),
    description: z.string().nullable(),
    file_key: z.string(),
    video_url: z.string(),
    cover_url: z.string().nullable(),
    size: z.number().int(),
    content_type: z.string(),
    duration: z.number().nullable().meta({ description: 'Seconds; null when the browser could not read them (as width and height).' }),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    created_at: isoTime,
    updated_at: isoTime,
  })
  .meta({ id: 'VideoItem' });
export type VideoItem = z.infer<typeof videoItem>;

export const photoItem = z
  .object({
    id: z.number().int(),
    title: z.string().nullable(),
    description: z.string().nullable(),
    file_key: z.string(),
    image_url: z.string(),
    thumbnail_url: z.string().nullable().meta({ description: 'At most 480 px on its longer side; null for a photo saved without one (the seed\'s script).' }),
    size: z.number().int(),
    content_type: z.string(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    created_at: isoTime,
    updated_at: isoTime,
  })
  .meta({ id: 'PhotoItem' });
export type PhotoItem = z.infer<typeof photoItem>;

/** A list's page of `item`s; `next_cursor` asks for the next one, `prev_cursor` for the one before. */
export const page = <Item extends z.ZodType>(item: Item) => z.object({ items: z.array(item), next_cursor: z.string().nullable(), prev_cursor: z.string().nullable() });
export interface Page<T> {
  items: T[];
  /** The next page's cursor, or null on the last page. */
  next_cursor: string | null;
  /** The previous page's cursor, or null on the first page. */
  prev_cursor: string | null;
}


// ---- The seed's endpoints --------------------------------------------------------------

export const seedPresignQuery = z.object({
  filename: z.string({ error: 'The filename parameter is required.' }).min(1, 'The filename parameter is required.').check(validText('filename')),
  // The seed's kinds: thumbnails are the pages' own, made in the browser beside a photo.
  type: z.enum(['video', 'photo', 'cover'], { error: 'type must be video or photo.' }).default('video'),
});

export const seedSaveBody = z.object({
  title,
  description,
  file_key: z.string().min(1).max(500).check(validText('file_key')),
  /** Accepted for the seed's script, never trusted: the server derives the URL. */
  public_url: z.string().max(4096).check(validText('public_url')).nullish(),
  cover_file_key: z.string().max(500).check(validText('cover_file_key')).nullish(),
});
export type SeedSaveBody = z.infer<typeof seedSaveBody>;

export const seedPresigned = z
  .object({
    presigned_url: z.string(),
    file_key: z.string(),
    public_url: z.string(),
    content_type: z.string(),
    headers,
    expires_at: isoTime,
    upload_id: z.uuid(),
  })
  .meta({ id: 'SeedPresigned' });
export type SeedPresigned = z.infer<typeof seedPresigned>;

/** `{success: true, video_id}` or `{success: true, photo_id}`, as the seed's view answers. */
export const seedSaved = (idField: 'video_id' | 'photo_id') => z.object({ success: z.literal(true), [idField]: z.number().int() });
