import { expressionBuilder, type Expression, type SqlBool } from 'kysely';
import { deleteExpiredSessions } from '../auth/sessions.ts';
import { deleteOldLoginFailures } from '../auth/throttle.ts';
import { deleteExpiredSetupTokens } from '../auth/users.ts';
import type { AppContext } from '../context.ts';
import { withLease, type LeaseOptions } from '../db/lease.ts';
import type { DB, Upload } from '../db/schema.ts';
import { sweeps, sweptItems } from '../metrics.ts';
import { CLEANUP_GRACE_MS, markForCleanup, removeMarked } from './cleanup.ts';
import { deleteOldFailures, recordFailures } from './failures.ts';
import { deleteSettledDeliveries } from '../webhooks/retention.ts';
import { deleteVoidedKeys } from './voided-keys.ts';

export interface SweepResult {
  /** Tickets never completed, past their expiry and the life of the last URL they could sign. */
  expiredTickets: number;
  /** Completed uploads never saved into a record within UPLOAD_TTL. */
  unsavedUploads: number;
  /** Removals cut short before (a crash, a store that failed, a record deleted while the store failed), finished now. */
  finishedCleanups: number;
  /** Multipart uploads the store held that no open ticket knows. */
  orphanMultipart: number;
  /** Store calls that failed; their uploads stay marked and the next sweep tries again. */
  failedCleanups: number;
  expiredSessions: number;
  expiredSetupTokens: number;
  /** Keys of cancelled or deleted uploads deleted again once their last URL expired (on S3 an old URL could have written them). */
  voidedKeys: number;
  /** Webhook deliveries settled (delivered or given up) more than 30 days ago, deleted with their attempts. */
  settledDeliveries: number;
  /** True when the sweep stopped before the end: it lost its lease, or was asked to stop. */
  stoppedEarly: boolean;
}

/** Rows marked and cleaned per round: each round is a few short statements, then store calls with no transaction open. */
const BATCH = 100;
/** One sweeper at a time across every instance on the database. */
export const SWEEP_LEASE = 'sweeper';

/** What each step of one sweep shares. */
interface Run {
  ctx: AppContext;
  now: Date;
  held: () => boolean;
  failed: number;
}

const uploads = expressionBuilder<DB, 'uploads'>();
const ago = (now: Date, ms: number) => new Date(now.getTime() - ms);

/**
 * Removes what uploads left behind, what sessions and logins left, and old webhook deliveries: one step after another,
 * each a short statement or a round of store calls made outside any transaction, so requests
 * keep being answered while it runs (PGlite has one connection). Only the holder of the
 * sweeper's lease sweeps; null when another instance is sweeping.
 */
export async function sweep(ctx: AppContext, now = new Date(), options: LeaseOptions = {}): Promise<SweepResult | null> {
  const result = await sweepUnderLease(ctx, now, options).catch((error: unknown) => {
    sweeps.inc({ outcome: 'failed' });
    throw error;
  });
  sweeps.inc({ outcome: result === null ? 'skipped' : result.stoppedEarly ? 'stopped_early' : 'done' });
  if (result) {
    for (const what of ['expiredTickets', 'unsavedUploads', 'finishedCleanups', 'orphanMultipart', 'expiredSessions', 'expiredSetupTokens', 'voidedKeys', 'settledDeliveries'] as const) {
      if (result[what] > 0) sweptItems.inc({ what }, result[what]);
    }
  }
  return result;
}

async function sweepUnderLease(ctx: AppContext, now: Date, options: LeaseOptions): Promise<SweepResult | null> {
  return withLease(
    ctx.db,
    SWEEP_LEASE,
    async (lease) => {
      const run: Run = { ctx, now, held: lease.held, failed: 0 };
      const urlLifeMs = ctx.config.uploadUrlExpires * 1000;
      const steps = {
        finishedCleanups: await removeAll(run, uploads('cleanup_since', '<', ago(now, CLEANUP_GRACE_MS))),
        // A URL signed just before the ticket expired still works for its whole life: the ticket stays until then.
        expiredTickets: await removeAll(run, uploads.and([uploads('state', '=', 'pending'), uploads('expires_at', '<', ago(now, urlLifeMs))]), (rows) =>
          recordFailures(ctx.db, rows, 'upload_expired', 'Never completed before its ticket expired; the sweeper removed it.', now),
        ),
        unsavedUploads: await removeAll(
          run,
          uploads.and([uploads('state', '=', 'completed'), uploads('used_by', 'is', null), uploads('completed_at', '<', ago(now, ctx.config.uploadTtl * 1000))]),
        ),
        orphanMultipart: await abortOrphanMultipart(run, ago(now, urlLifeMs)),
        expiredSessions: await deleteExpiredSessions(ctx.db, now),
        expiredSetupTokens: await deleteExpiredSetupTokens(ctx.db, now),
        voidedKeys: run.held() ? await deleteVoidedKeys(ctx, now) : 0,
        settledDeliveries: await deleteSettledDeliveries(ctx.db, now, run.held),
      };
      await deleteOldLoginFailures(ctx.db, now);
      await deleteOldFailures(ctx.db, now);
      return { ...steps, failedCleanups: run.failed, stoppedEarly: !lease.held() };
    },
    options,
  );
}

/** Marks and cleans the uploads `which` matches, a batch at a time, while the lease is held; returns how many were removed. */
async function removeAll(run: Run, which: Expression<SqlBool>, onMarked?: (rows: Upload[]) => Promise<void>): Promise<number> {
  let removed = 0;
  while (run.held()) {
    const marked = await markForCleanup(run.ctx.db, which, run.now, BATCH);
    if (marked.length === 0) break;
    await onMarked?.(marked);
    const outcome = await removeMarked(run.ctx, marked, run.now, run.held);
    removed += outcome.removed;
    run.failed += outcome.failed;
  }
  return removed;
}

/**
 * Aborts the multipart uploads the store holds that no open ticket knows. Only those older than
 * the life of a URL: the store creates one a moment before its ticket is recorded.
 */
async function abortOrphanMultipart(run: Run, olderThan: Date): Promise<number> {
  if (!run.held()) return 0;
  const stale = await run.ctx.storage.listIncompleteMultipart(olderThan);
  let aborted = 0;
  for (let start = 0; start < stale.length && run.held(); start += BATCH) {
    const batch = stale.slice(start, start + BATCH);
    const open = await run.ctx.db
      .selectFrom('uploads')
      .select('multipart_id')
      .where('state', '=', 'pending')
      .where('multipart_id', 'in', batch.map((u) => u.uploadId))
      .execute();
    const known = new Set(open.map((u) => u.multipart_id));
    for (const upload of batch) {
      if (!run.held()) break;
      if (known.has(upload.uploadId)) continue;
      try {
        await run.ctx.storage.abortMultipart(upload.key, upload.uploadId);
        aborted++;
      } catch {
        run.failed++;
      }
    }
  }
  return aborted;
}
