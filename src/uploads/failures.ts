import type { Kysely } from 'kysely';
import type { AppContext } from '../context.ts';
import type { DB, Upload } from '../db/schema.ts';
import { toAppError } from '../http-errors.ts';

/**
 * What went wrong with uploads, for the status page: each refused complete or save with its
 * error's code and message, each cancelled upload, each expired one the sweeper removed.
 */

/** Failure rows older than this are deleted by the sweeper. */
export const FAILURES_KEPT_MS = 30 * 24 * 3600 * 1000;

type Failed = Pick<Upload, 'kind' | 'filename'> & { id?: string | null; owner_id?: number | null };

/** Records one failure; never throws (a failure to record must not hide the one being reported). */
export async function recordFailure(ctx: Pick<AppContext, 'db'>, upload: Failed, code: string, message: string, at = new Date()): Promise<void> {
  await recordFailures(ctx.db, [upload], code, message, at);
}

export async function recordFailures(db: Kysely<DB>, uploads: Failed[], code: string, message: string, at = new Date()): Promise<void> {
  if (uploads.length === 0) return;
  await db
    .insertInto('upload_failures')
    .values(uploads.map((u) => ({ at, upload_id: u.id ?? null, user_id: u.owner_id ?? null, kind: u.kind, filename: u.filename, code, message })))
    .execute()
    .catch(() => undefined);
}

/**
 * Runs `work` and records the error it throws, if any, against `upload`, then throws it again:
 * the refusals the client caused with their code, any other failure as the 5xx it becomes.
 */
export async function recordingFailure<T>(ctx: Pick<AppContext, 'db'>, upload: Failed, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const known = toAppError(error);
    await recordFailure(ctx, upload, known.code, known.message);
    throw error;
  }
}

/** Deletes the failures recorded before the kept window (the sweeper calls it); returns how many. */
export async function deleteOldFailures(db: Kysely<DB>, now = new Date()): Promise<number> {
  const result = await db.deleteFrom('upload_failures').where('at', '<', new Date(now.getTime() - FAILURES_KEPT_MS)).executeTakeFirst();
  return Number(result.numDeletedRows);
}
