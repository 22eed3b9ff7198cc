import { expressionBuilder, type ExpressionBuilder, type Transaction } from 'kysely';
import type { AppContext } from '../context.ts';
import { parseId } from '../db/ids.ts';
import type { DB, Upload, User } from '../db/schema.ts';
import { AppError, badRequest, conflict, forbidden, notFound } from '../errors.ts';
import { textProblem, type EditMediaBody, type Page } from '../shared/api.ts';
import { markForCleanup, removeMarked } from '../uploads/cleanup.ts';
import { checkUnchanged, findUpload, goneProblem, voidUntil } from '../uploads/service.ts';
import { recordChange } from '../webhooks/outbox.ts';
import { ITEM_TYPES, type ItemEdit, type ItemType, type NewItem, type OwnedFile } from './item-types.ts';
import { mediaUrl } from './urls.ts';
import { canEdit } from '../shared/roles.ts';

/** A completed upload of the caller's, of the right kind, that no record uses yet. */
async function usableUpload(ctx: AppContext, user: User, id: string, file: OwnedFile): Promise<Upload> {
  const upload = await findUpload(ctx, user, id).catch((error: unknown) => {
    if (error instanceof AppError && error.status === 404) throw notFound(`${file.field}: no such upload of yours.`);
    throw error;
  });
  if (upload.kind !== file.kind) throw badRequest(`${file.field}: this upload is a ${upload.kind}, not a ${file.kind}.`, 'wrong_kind');
  if (upload.state === 'aborted') throw goneProblem(upload, `${file.field}: this upload`);
  if (upload.state !== 'completed') throw conflict(`${file.field}: the upload is not complete yet; complete it first.`, 'upload_not_completed');
  if (upload.used_by) throw conflict(`${file.field}: this upload is already used by ${upload.used_by}.`, 'upload_in_use');
  await checkUnchanged(ctx, upload);
  return upload;
}

/** Records the upload as used by the item; only a completed one no item uses (the sweeper may have just removed it). */
async function claim(tx: Transaction<DB>, upload: Upload, usedBy: string): Promise<void> {
  const result = await tx
    .updateTable('uploads')
    .set({ used_by: usedBy })
    .where('id', '=', upload.id)
    .where('used_by', 'is', null)
    .where('state', '=', 'completed')
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 1) return;
  const now = await tx.selectFrom('uploads').selectAll().where('id', '=', upload.id).executeTakeFirstOrThrow();
  if (now.state === 'aborted') throw goneProblem(now);
  throw conflict('This upload was just used by another item.', 'upload_in_use');
}

const uploadsUsedBy = (name: string) => expressionBuilder<DB, 'uploads'>()('used_by', '=', name);

/** What an item's uploads are recorded as used by: `video 12`. */
const usedBy = (type: ItemType<unknown, unknown>, id: number) => `${type.noun} ${id}`;

/** `POST /api/v1/videos`, `/photos`: a record from completed uploads, which it then owns. */
export async function createItem<Row, Item>(ctx: AppContext, type: ItemType<Row, Item>, user: User, input: NewItem): Promise<Item> {
  const owned = new Map<OwnedFile, Upload>();
  for (const file of type.files) {
    const id = input[file.field];
    if (id) owned.set(file, await usableUpload(ctx, user, id, file));
  }
  // The body's schema requires the item's own file; the others are optional.
  const main = owned.get(type.files[0])!;
  const row = await ctx.db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto(type.plural)
      .values({
        owner_id: user.id,
        title: input.title,
        description: input.description ?? null,
        ...Object.fromEntries(type.files.map((file) => [file.column, owned.get(file)?.key ?? null])),
        ...Object.fromEntries(type.measures.map((measure) => [measure, input[measure] ?? null])),
        [type.urlColumn]: mediaUrl(ctx, main.key),
        size: main.size!,
        content_type: main.content_type,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    for (const upload of owned.values()) await claim(tx, upload, usedBy(type, row.id));
    await recordChange(tx, type.noun, 'created', row.id, type.item(ctx, row as Row));
    return row;
  });
  return type.item(ctx, row as Row);
}

const PAGE_MAX = 100;
function decodeCursor(cursor: string | undefined): number | null {
  if (!cursor) return null;
  const id = parseId(Buffer.from(cursor, 'base64url').toString());
  if (id === null) throw badRequest('The cursor is not one this server gave.', 'invalid_cursor');
  return id;
}

/** Newest first; ids grow with creation, so keyset paging on the id never skips or repeats. */
export async function listItems<Row, Item>(ctx: AppContext, type: ItemType<Row, Item>, options: { limit?: number; cursor?: string }): Promise<Page<Item>> {
  const before = decodeCursor(options.cursor);
  const size = Math.min(Math.max(options.limit ?? 24, 1), PAGE_MAX);
  let query = ctx.db.selectFrom(type.plural).selectAll().orderBy('id', 'desc').limit(size + 1);
  if (before) query = query.where('id', '<', before);
  const rows = await query.execute();
  const page = rows.slice(0, size);
  return {
    items: page.map((row) => type.item(ctx, row as Row)),
    next_cursor: rows.length > size ? Buffer.from(String(page.at(-1)!.id)).toString('base64url') : null,
  };
}

/** The id in a path, or 404. */
function pathId(raw: string): number {
  const id = parseId(raw);
  if (id === null) throw notFound('No such item.');
  return id;
}

/** The row, as stored (the pages also need its owner). */
export async function getRow<Row>(ctx: AppContext, type: ItemType<Row, unknown>, rawId: string): Promise<Row> {
  const row = await ctx.db.selectFrom(type.plural).selectAll().where('id', '=', pathId(rawId)).executeTakeFirst();
  if (!row) throw notFound(`No such ${type.noun}.`);
  return row as Row;
}

/** The library is shared by the staff; only the item's owner or an admin may change it. */

function requireEditor(user: User, item: { owner_id: number }): void {
  if (!canEdit(user, item)) throw forbidden('Only the person who uploaded this item, or an admin, may change it.');
}

/** The columns an edit sets: the fields given, and the time of the change. */
const editedColumns = (input: EditMediaBody) => ({
  ...(input.title !== undefined && { title: input.title }),
  ...(input.description !== undefined && { description: input.description }),
  updated_at: new Date(),
});

/**
 * `PATCH`: the text, and for a video a new cover. The new upload is checked before anything
 * changes (a refused one leaves the item as it was); the replaced file's upload is marked for
 * removal in the edit's transaction and its object deleted once the edit is saved, as a delete does.
 */
export async function editItem<Row, Item>(ctx: AppContext, type: ItemType<Row, Item>, user: User, rawId: string, input: ItemEdit): Promise<Item> {
  const { id } = await editable(ctx, type, user, rawId);
  const replacing = new Map<OwnedFile, Upload>();
  for (const file of type.files.slice(1)) {
    const uploadId = input[file.field];
    if (uploadId) replacing.set(file, await usableUpload(ctx, user, uploadId, file));
  }
  const at = new Date();
  const { row, oldKeys, marked } = await ctx.db.transaction().execute(async (tx) => {
    // Read under the row's lock: two edits at once each replace the cover the other left.
    const before = (await tx.selectFrom(type.plural).selectAll().where('id', '=', id).forUpdate().executeTakeFirst()) as StoredItem | undefined;
    if (!before) throw notFound(`No such ${type.noun}.`);
    const newKeys = Object.fromEntries([...replacing].map(([file, upload]) => [file.column, upload.key]));
    const row = await tx.updateTable(type.plural).set({ ...editedColumns(input), ...newKeys }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    for (const upload of replacing.values()) await claim(tx, upload, usedBy(type, id));
    const oldKeys = [...replacing.keys()].flatMap((file) => before[file.column] ?? []);
    let marked: Upload[] = [];
    if (oldKeys.length) {
      const replaced = (eb: ExpressionBuilder<DB, 'uploads'>) => eb.and([uploadsUsedBy(usedBy(type, id)), eb('key', 'in', oldKeys)]);
      await tx.updateTable('uploads').set({ void_until: voidUntil(ctx) }).where(replaced).execute();
      marked = await markForCleanup(tx, replaced(expressionBuilder<DB, 'uploads'>()), at);
    }
    await recordChange(tx, type.noun, 'updated', id, type.item(ctx, row as Row));
    return { row, oldKeys, marked };
  });
  await removeObjects(ctx, oldKeys, marked, at);
  return type.item(ctx, row as Row);
}

/**
 * Deletes the objects of files an item no longer owns: through their marked uploads, or straight
 * away for a key with no upload behind it (a record older than upload tickets).
 */
async function removeObjects(ctx: AppContext, keys: readonly string[], marked: Upload[], at: Date): Promise<void> {
  const ticketed = new Set(marked.map((u) => u.key));
  for (const key of keys) if (!ticketed.has(key)) await ctx.storage.delete(key);
  const outcome = await removeMarked(ctx, marked, at);
  if (outcome.failed) throw outcome.error;
}

/**
 * Deletes the record and, in the same transaction, marks its uploads for removal; then deletes
 * their objects. A failed object delete (or a crash) leaves the uploads marked, and the sweeper
 * deletes those objects later: never a record without its file, nor an object no row points to.
 */
export async function deleteItem(ctx: AppContext, type: ItemType<unknown, unknown>, user: User, rawId: string): Promise<void> {
  const row = await editable(ctx, type, user, rawId);
  const at = new Date();
  const marked = await ctx.db.transaction().execute(async (tx) => {
    await tx.deleteFrom(type.plural).where('id', '=', row.id).execute();
    await recordChange(tx, type.noun, 'deleted', row.id, type.item(ctx, row));
    // Until the last URL signed for them expires, an old URL could write the keys again on S3: the sweeper deletes them after.
    await tx.updateTable('uploads').set({ void_until: voidUntil(ctx) }).where('used_by', '=', usedBy(type, row.id)).execute();
    return markForCleanup(tx, uploadsUsedBy(usedBy(type, row.id)), at);
  });
  await removeObjects(ctx, type.files.flatMap((file) => row[file.column] ?? []), marked, at);
}

/** What the generic code reads of any row: its id, its owner, and the keys of its files. */
type StoredItem = { id: number; owner_id: number } & Partial<Record<OwnedFile['column'], string | null>>;

/** The row, once the user is known to be allowed to change it. */
async function editable(ctx: AppContext, type: ItemType<unknown, unknown>, user: User, rawId: string): Promise<StoredItem> {
  const row = (await getRow(ctx, type, rawId)) as StoredItem;
  requireEditor(user, row);
  return row;
}

/** True when `key` belongs to a saved record or to one of the user's own uploads: what `/media/<key>` may serve. */
export async function canRead(ctx: AppContext, user: User, key: string): Promise<boolean> {
  // No key the server made is longer or holds such characters; PostgreSQL would refuse a NUL (a 500).
  if (key.length > 1024 || textProblem(key)) return false;
  const found = await Promise.all([
    ...ITEM_TYPES.map((type) =>
      ctx.db
        .selectFrom(type.plural)
        .select('id')
        .where((eb) => eb.or(type.files.map((file) => eb(file.column, '=', key))))
        .executeTakeFirst(),
    ),
    ctx.db.selectFrom('uploads').select('id').where('key', '=', key).where('owner_id', '=', user.id).where('state', '=', 'completed').executeTakeFirst(),
  ]);
  return found.some(Boolean);
}

/** Refuses to serve `key` (409 `object_replaced`) when it is a replaceable upload's object that changed since its check. */
export async function checkServedObject(ctx: AppContext, key: string): Promise<void> {
  const upload = await ctx.db.selectFrom('uploads').selectAll().where('key', '=', key).where('replaceable', '=', true).where('state', '=', 'completed').executeTakeFirst();
  if (upload) await checkUnchanged(ctx, upload);
}
