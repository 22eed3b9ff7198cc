import { randomBytes } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { ItemChange, ItemNoun, WebhookBody, WebhookEventType } from './events.ts';

/**
 * Writes the event of a change into the outbox, with one delivery per endpoint that asks for
 * it, inside the change's own transaction: the change and its event are committed together or
 * not at all, so a crash can lose neither one without the other. The delivery worker
 * (worker.ts) sends them afterwards, from any instance.
 */
export async function recordChange(tx: Transaction<DB>, noun: ItemNoun, change: ItemChange, id: number, data: unknown): Promise<void> {
  const type: WebhookEventType = `${noun}.${change}`;
  const body: WebhookBody = { type, timestamp: new Date().toISOString(), data };
  // Events on one item are delivered in the order of these ids: the change's row lock orders
  // two transactions on the same item, and this insert comes after the change in each.
  const event = await tx
    .insertInto('webhook_events')
    .values({ message_id: newMessageId(), type, subject: `${noun} ${id}`, payload: JSON.stringify(body) })
    .returning(['id', 'subject'])
    .executeTakeFirstOrThrow();
  await sql`
    INSERT INTO webhook_deliveries (event_id, endpoint_id, subject)
    SELECT ${event.id}, id, ${event.subject} FROM webhook_endpoints
    WHERE events IS NULL OR ${type} = ANY(events)`.execute(tx);
}

/** The `webhook-id` of an event: the same on every attempt, so a receiver can drop a repeat. */
const newMessageId = () => `msg_${randomBytes(16).toString('base64url')}`;
