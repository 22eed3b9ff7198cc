import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';

/** Settled deliveries (delivered or given up) are kept this long for the delivery log, then the sweeper deletes them. */
export const DELIVERIES_KEPT_MS = 30 * 24 * 3600 * 1000;
/** Rows deleted per statement: each a short one, so the requests sharing PGlite's one connection keep being answered. */
export const RETENTION_BATCH = 500;

/**
 * Deletes the settled deliveries older than `DELIVERIES_KEPT_MS` (their attempts go with
 * them), a batch at a time while `held()`, then the events that no delivery is left to send.
 * A delivery settled when it was delivered, or, given up, when its last attempt was due
 * (`next_attempt_at` stays at that time). A pending delivery is never deleted, however old:
 * "at least once" holds until it is sent or given up. Returns how many deliveries it deleted.
 */
export async function deleteSettledDeliveries(db: Kysely<DB>, now: Date, held: () => boolean = () => true): Promise<number> {
  const before = new Date(now.getTime() - DELIVERIES_KEPT_MS);
  let deleted = 0;
  while (held()) {
    const result = await db
      .deleteFrom('webhook_deliveries')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('webhook_deliveries')
          .select('id')
          .where('state', 'in', ['delivered', 'given_up'])
          .where(sql<Date>`coalesce(delivered_at, next_attempt_at)`, '<', before)
          .orderBy('id')
          .limit(RETENTION_BATCH),
      )
      .executeTakeFirst();
    const count = Number(result.numDeletedRows);
    deleted += count;
    if (count < RETENTION_BATCH) break;
  }
  while (held()) {
    const result = await db
      .deleteFrom('webhook_events')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('webhook_events as e')
          .select('e.id')
          .where('e.created_at', '<', before)
          .where(({ not, exists, selectFrom }) => not(exists(selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'e.id'))))
          .orderBy('e.id')
          .limit(RETENTION_BATCH),
      )
      .executeTakeFirst();
    if (Number(result.numDeletedRows) < RETENTION_BATCH) break;
  }
  return deleted;
}
