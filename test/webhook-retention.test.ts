/** The sweeper's retention of webhook deliveries, on PGlite: settled ones go after 30 days, pending and recent ones stay. */
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DeliveryState } from '../src/db/schema.ts';
import { sweptItems } from '../src/metrics.ts';
import { sweep } from '../src/uploads/sweep.ts';
import { addEndpoint } from '../src/webhooks/endpoints.ts';
import { deleteSettledDeliveries, RETENTION_BATCH } from '../src/webhooks/retention.ts';
import { startTestApp, type TestApp } from './harness.ts';

const DAY = 24 * 3600 * 1000;
let t: TestApp;
let endpointId: number;

beforeAll(async () => {
  t = await startTestApp();
  endpointId = (await addEndpoint(t.app.db, { ...t.config, webhookAllowPrivateTargets: true }, { url: 'https://hooks.example.com/airlift' })).id;
});
afterAll(() => t?.close());

/** `count` events on `subject`, each with one delivery in `state`, settled (or due) `settledDaysAgo` days ago; returns the delivery ids. */
async function deliveries(subject: string, count: number, state: DeliveryState, settledDaysAgo: number): Promise<number[]> {
  const at = new Date(Date.now() - settledDaysAgo * DAY);
  const created = new Date(at.getTime() - DAY);
  const events = await t.app.db
    .insertInto('webhook_events')
    .values(Array.from({ length: count }, (_, i) => ({ message_id: `msg_${subject}_${i}`, type: 'video.updated', subject, payload: '{}', created_at: created })))
    .returning('id')
    .execute();
  const rows = await t.app.db
    .insertInto('webhook_deliveries')
    .values(
      events.map((event) => ({
        event_id: event.id,
        endpoint_id: endpointId,
        subject,
        state,
        attempts: 1,
        next_attempt_at: at,
        delivered_at: state === 'delivered' ? at : null,
        created_at: created,
      })),
    )
    .returning('id')
    .execute();
  await t.app.db
    .insertInto('webhook_attempts')
    .values(rows.map((row) => ({ delivery_id: row.id, attempt: 1, at, status_code: state === 'delivered' ? 200 : 503, error: null, duration_ms: 5 })))
    .execute();
  return rows.map((row) => row.id);
}

const left = async (ids: number[]) => (await t.app.db.selectFrom('webhook_deliveries').select('id').where('id', 'in', ids).execute()).length;
const swept = async () => (await sweptItems.get()).values.find((v) => v.labels.what === 'settledDeliveries')?.value ?? 0;

it('deletes deliveries settled over 30 days ago with their attempts and events, in batches, and keeps pending and recent ones', async () => {
  const oldDelivered = await deliveries('video 1', 2 * RETENTION_BATCH + 3, 'delivered', 31);
  const oldGivenUp = await deliveries('video 2', 2, 'given_up', 40);
  const oldPending = await deliveries('video 3', 2, 'pending', 45);
  const recentDelivered = await deliveries('video 4', 2, 'delivered', 29);
  const recentGivenUp = await deliveries('video 5', 2, 'given_up', 1);

  // One batch when the lease is lost after the first statement: 500 rows, the oldest first.
  let statements = 0;
  expect(await deleteSettledDeliveries(t.app.db, new Date(), () => statements++ < 1)).toBe(RETENTION_BATCH);
  expect(await left(oldDelivered)).toBe(RETENTION_BATCH + 3);

  const before = await swept();
  const result = await sweep(t.app);
  expect(result).toMatchObject({ settledDeliveries: RETENTION_BATCH + 3 + 2, stoppedEarly: false });
  expect((await swept()) - before).toBe(RETENTION_BATCH + 3 + 2);

  expect(await left([...oldDelivered, ...oldGivenUp])).toBe(0);
  expect(await left(oldPending)).toBe(2);
  expect(await left(recentDelivered)).toBe(2);
  expect(await left(recentGivenUp)).toBe(2);
  // Attempts went with their deliveries; events with no delivery left went too, the others stay.
  const attempts = await t.app.db.selectFrom('webhook_attempts').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
  expect(attempts.n).toBe(6);
  const subjects = await t.app.db.selectFrom('webhook_events').select('subject').distinct().orderBy('subject').execute();
  expect(subjects.map((e) => e.subject)).toEqual(['video 3', 'video 4', 'video 5']);

  // Nothing more to delete: a second sweep deletes none.
  expect(await sweep(t.app)).toMatchObject({ settledDeliveries: 0 });
});
