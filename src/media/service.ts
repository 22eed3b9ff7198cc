import type { Kysely, Transaction } from 'kysely';
import type { AppContext } from '../context.ts';
import type { DB, Photo, Upload, User, Video } from '../db/schema.ts';
import { AppError, badRequest, conflict, forbidden, notFound } from '../errors.ts';
import { textProblem, type CreatePhotoBody, type CreateVideoBody, type EditMediaBody, type Page, type PhotoItem, type VideoItem } from '../shared/api.ts';
import { findUpload } from '../uploads/service.ts';
import { mediaUrl } from './urls.ts';

export type MediaType = 'videos' | 'photos';

export function videoItem(ctx: AppContext, video: Video): VideoItem {
  return {
    id: video.id,
    title: video.title,
    description: video.description,
    file_key: video.file_key!,
    video_url: mediaUrl(ctx, video.file_key!),
    cover_url: video.cover_film ? mediaUrl(ctx, video.cover_film) : null,
    size: video.size,
    content_type: video.content_type,
    created_at: new Date(video.created_at).toISOString(),
    updated_at: new Date(video.updated_at).toISOString(),
  };
}

export function photoItem(ctx: AppContext, photo: Photo): PhotoItem {
  return {
    id: photo.id,
    title: photo.title,
    description: photo.description,
    file_key: photo.file_key!,
    image_url: mediaUrl(ctx, photo.file_key!),
    size: photo.size,
    content_type: photo.content_type,
    created_at: new Date(photo.created_at).toISOString(),
    updated_at: new Date(photo.updated_at).toISOString(),
  };
}

/** A completed upload of the caller's, of the right kind, that no record uses yet. */
async function usableUpload(ctx: AppContext, user: User, id: string, kind: Upload['kind'], field: string): Promise<Upload> {
  const upload = await findUpload(ctx, user, id).catch((error: unknown) => {
    if (error instanceof AppError && error.status === 404) throw notFound(`${field}: no such upload of yours.`);
    throw error;
  });
  if (upload.kind !== kind) throw badRequest(`${field}: this upload is a ${upload.kind}, not a ${kind}.`, 'wrong_kind');
  if (upload.state !== 'completed') throw conflict(`${field}: the upload is not complete yet; complete it first.`, 'upload_not_completed');
  if (upload.used_by) throw conflict(`${field}: this upload is already used by ${upload.used_by}.`, 'upload_in_use');
  return upload;
}

async function claim(tx: Transaction<DB>, uploadId: string, usedBy: string): Promise<void> {
  const result = await tx.updateTable('uploads').set({ used_by: usedBy }).where('id', '=', uploadId).where('used_by', 'is', null).executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw conflict('This upload was just used by another item.', 'upload_in_use');
}

export async function createVideo(ctx: AppContext, user: User, input: CreateVideoBody): Promise<VideoItem> {
  const upload = await usableUpload(ctx, user, input.upload_id, 'video', 'upload_id');
  const cover = input.cover_upload_id ? await usableUpload(ctx, user, input.cover_upload_id, 'cover', 'cover_upload_id') : null;
  const video = await ctx.db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto('videos')
      .values({
        owner_id: user.id,
        title: input.title,
        description: input.description ?? null,
        cover_film: cover?.key ?? null,
        video_url: mediaUrl(ctx, upload.key),
        file_key: upload.key,
        size: upload.size!,
        content_type: upload.content_type,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await claim(tx, upload.id, `video ${row.id}`);
    if (cover) await claim(tx, cover.id, `video ${row.id}`);
    return row;
  });
  return videoItem(ctx, video);
}

export async function createPhoto(ctx: AppContext, user: User, input: CreatePhotoBody): Promise<PhotoItem> {
  const upload = await usableUpload(ctx, user, input.upload_id, 'photo', 'upload_id');
  const photo = await ctx.db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto('photos')
      .values({
        owner_id: user.id,
        title: input.title,
        description: input.description ?? null,
        image_url: mediaUrl(ctx, upload.key),
        file_key: upload.key,
        size: upload.size!,
        content_type: upload.content_type,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await claim(tx, upload.id, `photo ${row.id}`);
    return row;
  });
  return photoItem(ctx, photo);
}

const PAGE_MAX = 100;
/** Ids are PostgreSQL `integer`s: a larger number would fail the query (a 500), not find nothing. */
const INT32_MAX = 2 ** 31 - 1;

function decodeCursor(cursor: string | undefined): number | null {
  if (!cursor) return null;
  const text = Buffer.from(cursor, 'base64url').toString();
  const id = Number(text);
  if (!/^[1-9]\d{0,9}$/.test(text) || id > INT32_MAX) throw badRequest('The cursor is not one this server gave.', 'invalid_cursor');
  return id;
}

/** Newest first; ids grow with creation, so keyset paging on the id never skips or repeats. */
async function listRows<T extends MediaType>(db: Kysely<DB>, table: T, limit: number | undefined, cursor: string | undefined) {
  const before = decodeCursor(cursor);
  const size = Math.min(Math.max(limit ?? 24, 1), PAGE_MAX);
  let query = db.selectFrom(table as 'videos').selectAll().orderBy('id', 'desc').limit(size + 1);
  if (before) query = query.where('id', '<', before);
  const rows = await query.execute();
  const page = rows.slice(0, size);
  return { rows: page, next_cursor: rows.length > size ? Buffer.from(String(page.at(-1)!.id)).toString('base64url') : null };
}

export async function listVideos(ctx: AppContext, options: { limit?: number; cursor?: string }): Promise<Page<VideoItem>> {
  const { rows, next_cursor } = await listRows(ctx.db, 'videos', options.limit, options.cursor);
  return { items: rows.map((row) => videoItem(ctx, row)), next_cursor };
}

export async function listPhotos(ctx: AppContext, options: { limit?: number; cursor?: string }): Promise<Page<PhotoItem>> {
  const { rows, next_cursor } = await listRows(ctx.db, 'photos', options.limit, options.cursor);
  return { items: rows.map((row) => photoItem(ctx, row as unknown as Photo)), next_cursor };
}

/** The id in a path, in its one spelling (no sign, no leading zero), or 404. */
function parseId(raw: string): number {
  const id = Number(raw);
  if (!/^[1-9]\d{0,9}$/.test(raw) || id > INT32_MAX) throw notFound('No such item.');
  return id;
}

export async function getVideo(ctx: AppContext, rawId: string): Promise<Video> {
  const video = await ctx.db.selectFrom('videos').selectAll().where('id', '=', parseId(rawId)).executeTakeFirst();
  if (!video) throw notFound('No such video.');
  return video;
}

export async function getPhoto(ctx: AppContext, rawId: string): Promise<Photo> {
  const photo = await ctx.db.selectFrom('photos').selectAll().where('id', '=', parseId(rawId)).executeTakeFirst();
  if (!photo) throw notFound('No such photo.');
  return photo;
}

/** The library is shared by the staff; only the item's owner or an admin may change it. */
function requireEditor(user: User, item: { owner_id: number }): void {
  if (item.owner_id !== user.id && !user.is_admin) throw forbidden('Only the person who uploaded this item, or an admin, may change it.');
}

/** The columns an edit sets: the fields given, and the time of the change. */
const editedColumns = (input: EditMediaBody) => ({
  ...(input.title !== undefined && { title: input.title }),
  ...(input.description !== undefined && { description: input.description }),
  updated_at: new Date(),
});

/**
 * Called once a record is deleted: deletes its objects and retires the uploads behind them.
 * In this order a failed object delete leaves an orphan the sweeper can find, never a record without its file.
 */
async function deleteObjects(ctx: AppContext, usedBy: string, keys: (string | null)[]): Promise<void> {
  for (const key of keys) if (key) await ctx.storage.delete(key);
  await ctx.db.updateTable('uploads').set({ state: 'aborted' }).where('used_by', '=', usedBy).execute();
}

export async function editVideo(ctx: AppContext, user: User, rawId: string, input: EditMediaBody): Promise<VideoItem> {
  const video = await getVideo(ctx, rawId);
  requireEditor(user, video);
  const row = await ctx.db
    .updateTable('videos')
    .set(editedColumns(input))
    .where('id', '=', video.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return videoItem(ctx, row);
}

export async function editPhoto(ctx: AppContext, user: User, rawId: string, input: EditMediaBody): Promise<PhotoItem> {
  const photo = await getPhoto(ctx, rawId);
  requireEditor(user, photo);
  const row = await ctx.db
    .updateTable('photos')
    .set(editedColumns(input))
    .where('id', '=', photo.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return photoItem(ctx, row);
}

export async function deleteVideo(ctx: AppContext, user: User, rawId: string): Promise<void> {
  const video = await getVideo(ctx, rawId);
  requireEditor(user, video);
  await ctx.db.deleteFrom('videos').where('id', '=', video.id).execute();
  await deleteObjects(ctx, `video ${video.id}`, [video.file_key, video.cover_film]);
}

export async function deletePhoto(ctx: AppContext, user: User, rawId: string): Promise<void> {
  const photo = await getPhoto(ctx, rawId);
  requireEditor(user, photo);
  await ctx.db.deleteFrom('photos').where('id', '=', photo.id).execute();
  await deleteObjects(ctx, `photo ${photo.id}`, [photo.file_key]);
}

/** True when `key` belongs to a saved record or to one of the user's own uploads: what `/media/<key>` may serve. */
export async function canRead(ctx: AppContext, user: User, key: string): Promise<boolean> {
  // No key the server made is longer or holds such characters; PostgreSQL would refuse a NUL (a 500).
  if (key.length > 1024 || textProblem(key)) return false;
  const [video, photo, upload] = await Promise.all([
    ctx.db.selectFrom('videos').select('id').where((eb) => eb.or([eb('file_key', '=', key), eb('cover_film', '=', key)])).executeTakeFirst(),
    ctx.db.selectFrom('photos').select('id').where('file_key', '=', key).executeTakeFirst(),
    ctx.db.selectFrom('uploads').select('id').where('key', '=', key).where('owner_id', '=', user.id).where('state', '=', 'completed').executeTakeFirst(),
  ]);
  return Boolean(video || photo || upload);
}
