import type { Expression, Kysely, SqlBool } from 'kysely';
import type { AppContext } from '../context.ts';
import type { DB, Upload } from '../db/schema.ts';

/**
 * Removing an upload's objects in two steps that survive a crash between them: first the row
 * is marked (aborted, `cleanup_since`) in a short statement, so nothing can complete or save
 * it any more; then the store calls are made, outside any transaction; then the mark is
 * cleared. A mark left behind (a crash, a store that failed) is finished by the next sweep.
 */

/** Marked rows whose cleanup began this long ago were cut short: the sweeper finishes them. */
export const CLEANUP_GRACE_MS = 60_000;

/**
 * Marks the uploads (up to `limit`, when given) that match `which` for removal (aborted, `cleanup_since`), in one
 * statement; returns the rows marked. `which` is checked again on each row as it is updated, so
 * a row changed meanwhile (a completed upload just saved into a record) is left alone.
 */
export function markForCleanup(db: Kysely<DB>, which: Expression<SqlBool>, at: Date, limit?: number): Promise<Upload[]> {
  const ids = db.selectFrom('uploads').select('id').where(which);
  return db
    .updateTable('uploads')
    .set({ state: 'aborted', cleanup_since: at })
    .where('id', 'in', limit === undefined ? ids : ids.limit(limit))
    .where(which)
    .returningAll()
    .execute();
}

export interface CleanupOutcome {
  removed: number;
  failed: number;
  /** The first store error, for a caller that reports it. */
  error?: unknown;
}

/**
 * Removes what marked uploads left in the store (an unfinished multipart upload, the object),
 * then clears their marks. A row whose store call fails stays marked, stamped `at`, and is
 * tried again by a later sweep; `keepGoing` is asked before each row.
 */
export async function removeMarked(ctx: AppContext, rows: Upload[], at: Date, keepGoing: () => boolean = () => true): Promise<CleanupOutcome> {
  const removed: string[] = [];
  const failed: string[] = [];
  let firstError: unknown;
  for (const row of rows) {
    if (!keepGoing()) break;
    try {
      if (row.multipart_id && row.completed_at === null) await ctx.storage.abortMultipart(row.key, row.multipart_id);
      await ctx.storage.delete(row.key);
      removed.push(row.id);
    } catch (error) {
      failed.push(row.id);
      firstError ??= error;
    }
  }
  if (removed.length) await ctx.db.updateTable('uploads').set({ cleanup_since: null }).where('id', 'in', removed).execute();
  if (failed.length) await ctx.db.updateTable('uploads').set({ cleanup_since: at }).where('id', 'in', failed).execute();
  return { removed: removed.length, failed: failed.length, ...(failed.length && { error: firstError }) };
}
