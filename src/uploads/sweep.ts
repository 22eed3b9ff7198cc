import { sql } from 'kysely';
import { deleteExpiredSessions } from '../auth/sessions.ts';
import { deleteOldLoginFailures } from '../auth/throttle.ts';
import type { AppContext } from '../context.ts';
import { discardUpload } from './service.ts';
import { deleteVoidedKeys } from './voided-keys.ts';

export interface SweepResult {
  expiredTickets: number;
  orphanMultipart: number;
  expiredSessions: number;
}

/** Multipart uploads the store holds this long past their ticket's expiry are surely abandoned. */
const GRACE_MS = 3600 * 1000;
const SWEEP_LOCK = 0x41495246; // "AIRF": one sweeper at a time across instances.

/**
 * Aborts and deletes what uploads left behind: tickets past their expiry that were never
 * completed (their parts or object), and multipart uploads the store holds that no open
 * ticket knows. Expired sessions and login failures past their window go too. Only one
 * instance sweeps at a time (a transaction-scoped advisory lock).
 */
export async function sweep(ctx: AppContext, now = new Date()): Promise<SweepResult | null> {
  return ctx.db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${SWEEP_LOCK}) AS locked`.execute(tx);
    if (!rows[0]?.locked) return null;
    const expired = await tx.selectFrom('uploads').selectAll().where('state', '=', 'pending').where('expires_at', '<', now).limit(1000).execute();
    for (const upload of expired) await discardUpload({ ...ctx, db: tx }, upload);

    const open = new Set(
      (await tx.selectFrom('uploads').select('multipart_id').where('state', '=', 'pending').where('multipart_id', 'is not', null).execute()).map((u) => u.multipart_id),
    );
    const stale = await ctx.storage.listIncompleteMultipart(new Date(now.getTime() - GRACE_MS));
    let orphans = 0;
    for (const upload of stale) {
      if (open.has(upload.uploadId)) continue;
      await ctx.storage.abortMultipart(upload.key, upload.uploadId);
      orphans++;
    }
    const expiredSessions = await deleteExpiredSessions(tx, now);
    await deleteOldLoginFailures(tx, now);
    await deleteVoidedKeys({ ...ctx, db: tx }, now);
    return { expiredTickets: expired.length, orphanMultipart: orphans, expiredSessions };
  });
}
