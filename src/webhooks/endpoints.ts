import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Config } from '../config.ts';
import type { DB, WebhookAttempt, WebhookEndpoint } from '../db/schema.ts';
import { AppError, badRequest } from '../errors.ts';
import { isWebhookEvent, WEBHOOK_EVENTS } from './events.ts';
import { sealSecret } from './sealed-secret.ts';
import { checkTarget, parseTargetUrl } from './target.ts';

/** An endpoint's secret, as Standard Webhooks spells it: `whsec_` and 24 random bytes in base64. */
const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

/** The event list given (`video.created,photo.deleted`), checked; null (every event) when none is given. */
export function parseEvents(raw: string | undefined): string[] | null {
  if (raw === undefined || raw.trim() === '') return null;
  const events = [...new Set(raw.split(',').map((e) => e.trim()).filter(Boolean))];
  const unknown = events.find((e) => !isWebhookEvent(e));
  if (unknown !== undefined) throw badRequest(`There is no event "${unknown.slice(0, 60)}"; the events are ${WEBHOOK_EVENTS.join(', ')}.`, 'invalid_events');
  return events;
}

/** An endpoint as shown: its secret stays sealed in the database, and is shown only once, when added. */
export type Endpoint = Omit<WebhookEndpoint, 'secret'>;

/** Adds an endpoint after checking that its URL may be reached (target.ts); returns it with its secret, in clear this once. */
export async function addEndpoint(
  db: Kysely<DB>,
  config: Pick<Config, 'webhookAllowPrivateTargets' | 'secretKey'>,
  input: { url: string; events?: string },
): Promise<WebhookEndpoint> {
  const url = parseTargetUrl(input.url);
  const events = parseEvents(input.events);
  await checkTarget(url, config.webhookAllowPrivateTargets);
  const secret = newSecret();
  const row = await db.insertInto('webhook_endpoints').values({ url: url.href, secret: sealSecret(config.secretKey, secret), events }).returning(SHOWN).executeTakeFirstOrThrow();
  return { ...row, secret };
}

const SHOWN = ['id', 'url', 'events', 'consecutive_failures', 'failing_since', 'created_at'] as const satisfies readonly (keyof Endpoint)[];

export type ListedEndpoint = Endpoint & { pending: number; delivered: number; given_up: number };

/** Every endpoint, oldest first, with how many deliveries are pending, delivered and given up. */
export async function listEndpoints(db: Kysely<DB>): Promise<ListedEndpoint[]> {
  const rows = await db
    .selectFrom('webhook_endpoints as e')
    .select(SHOWN.map((column) => `e.${column}` as const))
    .select([
      sql<number>`(SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.state = 'pending')`.as('pending'),
      sql<number>`(SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.state = 'delivered')`.as('delivered'),
      sql<number>`(SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.state = 'given_up')`.as('given_up'),
    ])
    .orderBy('e.id')
    .execute();
  return rows.map((r) => ({ ...r, pending: Number(r.pending), delivered: Number(r.delivered), given_up: Number(r.given_up) }));
}

const endpointNotFound = (id: number) => new AppError(404, 'webhook_not_found', `No webhook endpoint has the id ${id}.`);

export async function findEndpoint(db: Kysely<DB>, id: number): Promise<Endpoint> {
  const row = await db.selectFrom('webhook_endpoints').select(SHOWN).where('id', '=', id).executeTakeFirst();
  if (!row) throw endpointNotFound(id);
  return row;
}

/** Removes an endpoint, its deliveries not yet made and its log. */
export async function removeEndpoint(db: Kysely<DB>, id: number): Promise<Endpoint> {
  const row = await db.deleteFrom('webhook_endpoints').where('id', '=', id).returning(SHOWN).executeTakeFirst();
  if (!row) throw endpointNotFound(id);
  return row;
}

export interface LoggedDelivery {
  id: number;
  event_type: string;
  message_id: string;
  subject: string;
  state: string;
  attempts: number;
  next_attempt_at: Date;
  last_status: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
}

/** An endpoint's latest deliveries, newest first: each event, its state, attempts and last answer. */
export async function deliveryLog(db: Kysely<DB>, endpointId: number, limit = 50): Promise<LoggedDelivery[]> {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .select(['d.id', 'e.type as event_type', 'e.message_id', 'd.subject', 'd.state', 'd.attempts', 'd.next_attempt_at', 'd.last_status', 'd.last_error', 'd.delivered_at', 'd.created_at'])
    .where('d.endpoint_id', '=', endpointId)
    .orderBy('d.id', 'desc')
    .limit(limit)
    .execute() as Promise<LoggedDelivery[]>;
}

/** Every attempt of each delivery, in order, by delivery: when, the answer's status or why there was none, how long it took. */
export async function deliveryAttempts(db: Kysely<DB>, deliveryIds: readonly number[]): Promise<Map<number, WebhookAttempt[]>> {
  const byDelivery = new Map<number, WebhookAttempt[]>(deliveryIds.map((id) => [id, []]));
  if (deliveryIds.length === 0) return byDelivery;
  // One query for a whole log, not one per delivery.
  const rows = await db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', deliveryIds).orderBy('delivery_id').orderBy('attempt').execute();
  for (const row of rows) byDelivery.get(row.delivery_id)!.push(row);
  return byDelivery;
}

/**
 * Sends a delivery's event again to its endpoint (an admin's "send again"): a new delivery of
 * the same event, with the same `webhook-id`, queued after what is pending for that item.
 * Given `endpointId`, only a delivery of that endpoint (the log the admin asked from).
 */
export async function resendDelivery(db: Kysely<DB>, deliveryId: number, endpointId?: number): Promise<number> {
  const row = await sql<{ id: number }>`
    INSERT INTO webhook_deliveries (event_id, endpoint_id, subject)
    SELECT event_id, endpoint_id, subject FROM webhook_deliveries
    WHERE id = ${deliveryId} ${endpointId === undefined ? sql`` : sql`AND endpoint_id = ${endpointId}`}
    RETURNING id`.execute(db);
  if (row.rows.length === 0) throw new AppError(404, 'delivery_not_found', `No webhook delivery has the id ${deliveryId}.`);
  return Number(row.rows[0]!.id);
}
