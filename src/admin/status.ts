import { sql } from 'kysely';
import type { AppContext } from '../context.ts';
import type { CheckVerdict, StatusView } from '../shared/admin-api.ts';
import { STATUS_KINDS } from '../shared/admin-api.ts';
import { runChecks } from '../ops/doctor.ts';

const DAY_MS = 24 * 3600 * 1000;
const RECENT_FAILURES = 20;
/** The checks the status page runs answer within this, or say they did not. */
export const CHECKS_DEADLINE_MS = 45_000;

/**
 * `GET /api/v1/status`. Totals count the objects saved in the library: completed uploads a
 * record uses, by kind, with their stored sizes (an abandoned or unsaved upload is not in them).
 */
export async function readStatus(ctx: AppContext, now = new Date()): Promise<StatusView> {
  const since = new Date(now.getTime() - DAY_MS);
  const [totals, uploads, failed, failures] = await Promise.all([
    ctx.db
      .selectFrom('uploads')
      .select(['kind', sql<number>`count(*)::int`.as('count'), sql<number>`coalesce(sum(size), 0)::bigint`.as('bytes')])
      .where('state', '=', 'completed')
      .where('used_by', 'is not', null)
      .groupBy('kind')
      .execute(),
    ctx.db
      .selectFrom('uploads')
      .select([
        sql<number>`count(*) filter (where state = 'pending' and expires_at > ${now})::int`.as('in_progress'),
        sql<number>`count(*) filter (where state = 'completed' and completed_at > ${since})::int`.as('completed_24h'),
      ])
      .executeTakeFirstOrThrow(),
    ctx.db.selectFrom('upload_failures').select(sql<number>`count(*)::int`.as('count')).where('at', '>', since).executeTakeFirstOrThrow(),
    ctx.db.selectFrom('upload_failures').select(['at', 'kind', 'filename', 'code', 'message']).orderBy('at', 'desc').orderBy('id', 'desc').limit(RECENT_FAILURES).execute(),
  ]);
  const byKind = new Map(totals.map((row) => [row.kind as string, { count: Number(row.count), bytes: Number(row.bytes) }]));
  return {
    storage: { driver: ctx.storage.kind, bucket: ctx.config.r2?.bucket ?? null },
    totals: Object.fromEntries(STATUS_KINDS.map((kind) => [kind, byKind.get(kind) ?? { count: 0, bytes: 0 }])) as StatusView['totals'],
    uploads: { in_progress: uploads.in_progress, completed_24h: uploads.completed_24h, failed_24h: failed.count },
    recent_failures: failures.map((f) => ({ at: new Date(f.at).toISOString(), kind: f.kind, filename: f.filename, code: f.code, message: f.message })),
  };
}

/** The doctor's checks, run from the app: each verdict, and one that says so if they do not finish within the deadline. */
export async function runStatusChecks(ctx: AppContext, deadlineMs = CHECKS_DEADLINE_MS): Promise<CheckVerdict[]> {
  const verdicts: CheckVerdict[] = [];
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadlineMs)));
  try {
    const outcome = await Promise.race([runChecks(ctx.config, (verdict) => verdicts.push(verdict)), late]);
    if (outcome === 'late') verdicts.push({ status: 'fail', check: 'Deadline', message: `the remaining checks did not answer within ${deadlineMs / 1000} s.` });
    return [...verdicts];
  } finally {
    clearTimeout(timer);
  }
}
