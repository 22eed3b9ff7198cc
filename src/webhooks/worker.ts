import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { AppContext } from '../context.ts';
import { newHolder } from '../db/lease.ts';
import { webhookDeliveries, webhookLag, webhookPending } from '../metrics.ts';
import { RETRY_DELAYS_MS, retryDelay } from './retry.ts';
import { openSecret } from './sealed-secret.ts';
import { sendWebhook, type SendOutcome } from './send.ts';

export interface DeliveryOptions {
  /** Between two looks at the outbox when nothing was due (default 1 s). */
  pollMs?: number;
  /** How long a claimed delivery is this instance's alone (default 60 s, well past the send timeout); a claim of a dead instance lapses then. */
  claimMs?: number;
  /** The receiver's time to answer (default 10 s). */
  timeoutMs?: number;
  /** The waits after each failed attempt (retry.ts); tests pass short ones. */
  retryDelaysMs?: readonly number[];
  /** Deliveries claimed (and sent at once) per round (default 10). */
  batch?: number;
}

/** After this many failed attempts in a row, an endpoint is marked failing (until one succeeds). */
export const FAILING_AFTER = 5;

export interface DeliveryWorker {
  /** Stops claiming, aborts the sends in flight and hands their deliveries back; resolves once done. */
  stop(): Promise<void>;
}

interface Claimed {
  id: number;
  attempts: number;
  endpoint_id: number;
  url: string;
  /** Sealed (sealed-secret.ts). */
  secret: string;
  message_id: string;
  payload: string;
  event_created_at: Date;
}

/**
 * Sends the outbox's deliveries, from every instance at once without two sending the same:
 * each round claims due deliveries in one statement (`FOR UPDATE SKIP LOCKED`, then a claim
 * until `claimMs` from now, which a dead instance's lapses), sends them, and records each
 * attempt. A delivery is due only when no earlier delivery of the same item to the same
 * endpoint is still pending, so each endpoint sees an item's events in order. A failed attempt
 * is retried after `retryDelay`; past the last step the delivery is given up.
 */
export function startDeliveries(ctx: AppContext, log: FastifyBaseLogger, options: DeliveryOptions = {}): DeliveryWorker {
  const pollMs = options.pollMs ?? 1000;
  const claimMs = options.claimMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const delays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  const batch = options.batch ?? 10;
  const holder = newHolder();
  const stopping = new AbortController();
  let wake: (() => void) | null = null;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => (wake = null));

  async function claim(): Promise<Claimed[]> {
    const { rows } = await sql<Claimed>`
      UPDATE webhook_deliveries d SET claimed_by = ${holder}, claimed_until = now() + ${claimMs} * interval '1 millisecond'
      FROM (
        SELECT c.id FROM webhook_deliveries c
        WHERE c.state = 'pending' AND c.next_attempt_at <= now() AND (c.claimed_until IS NULL OR c.claimed_until < now())
          AND NOT EXISTS (
            SELECT 1 FROM webhook_deliveries p
            WHERE p.endpoint_id = c.endpoint_id AND p.subject = c.subject AND p.state = 'pending' AND p.id < c.id
          )
        ORDER BY c.next_attempt_at, c.id
        LIMIT ${batch}
        FOR UPDATE SKIP LOCKED
      ) due, webhook_events e, webhook_endpoints w
      WHERE d.id = due.id AND e.id = d.event_id AND w.id = d.endpoint_id
      RETURNING d.id, d.attempts, d.endpoint_id, w.url, w.secret, e.message_id, e.payload, e.created_at AS event_created_at`.execute(ctx.db);
    return rows;
  }

  async function record(delivery: Claimed, outcome: SendOutcome, durationMs: number): Promise<void> {
    const attempt = delivery.attempts + 1;
    const ok = 'status' in outcome && outcome.status >= 200 && outcome.status < 300;
    const status = 'status' in outcome ? outcome.status : null;
    const error = 'error' in outcome ? outcome.error : ok ? null : `answered ${outcome.status}`;
    const delay = ok ? null : retryDelay(attempt, delays);
    const state = ok ? 'delivered' : delay === null ? 'given_up' : 'pending';
    await ctx.db.transaction().execute(async (tx) => {
      const updated = await tx
        .updateTable('webhook_deliveries')
        .set({
          state,
          attempts: attempt,
          last_status: status,
          last_error: error,
          claimed_by: null,
          claimed_until: null,
          ...(ok && { delivered_at: new Date() }),
          ...(delay !== null && { next_attempt_at: sql<Date>`now() + ${delay} * interval '1 millisecond'` }),
        })
        .where('id', '=', delivery.id)
        .where('claimed_by', '=', holder)
        .executeTakeFirst();
      // A claim that lapsed and was taken by another instance: that one records its own attempt.
      if (Number(updated.numUpdatedRows) === 0) return;
      await tx.insertInto('webhook_attempts').values({ delivery_id: delivery.id, attempt, status_code: status, error, duration_ms: Math.round(durationMs) }).execute();
      await tx
        .updateTable('webhook_endpoints')
        .set(
          ok
            ? { consecutive_failures: 0, failing_since: null }
            : {
                consecutive_failures: sql<number>`consecutive_failures + 1`,
                failing_since: sql<Date | null>`CASE WHEN consecutive_failures + 1 >= ${FAILING_AFTER} THEN coalesce(failing_since, now()) ELSE failing_since END`,
              },
        )
        .where('id', '=', delivery.endpoint_id)
        .execute();
    });
    webhookDeliveries.inc({ outcome: ok ? 'delivered' : state === 'given_up' ? 'given_up' : 'failed' });
    if (ok) webhookLag.observe((Date.now() - new Date(delivery.event_created_at).getTime()) / 1000);
    if (state === 'given_up') log.warn({ delivery: delivery.id, endpoint: delivery.endpoint_id, attempts: attempt, error }, 'webhook delivery given up');
  }

  async function deliver(delivery: Claimed): Promise<void> {
    const started = performance.now();
    let secret: string;
    try {
      secret = openSecret(ctx.config.secretKey, delivery.secret);
    } catch (error) {
      // Logged as a failed attempt, retried like one: the admin sees why on the endpoint's log.
      return record(delivery, { error: (error as Error).message }, 0);
    }
    const outcome = await sendWebhook(
      { url: delivery.url, secret },
      { id: delivery.message_id, payload: delivery.payload },
      { timeoutMs, allowPrivate: ctx.config.webhookAllowPrivateTargets, signal: stopping.signal },
    );
    if (stopping.signal.aborted) return;
    await record(delivery, outcome, performance.now() - started);
  }

  /** Hands back the claims of sends a shutdown cut, so another instance need not wait for them to lapse. */
  async function release(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    await ctx.db.updateTable('webhook_deliveries').set({ claimed_by: null, claimed_until: null }).where('id', 'in', ids).where('claimed_by', '=', holder).execute();
  }

  async function countPending(): Promise<void> {
    const row = await ctx.db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll().as('n')).where('state', '=', 'pending').executeTakeFirstOrThrow();
    webhookPending.set(Number(row.n));
  }

  const loop = (async () => {
    let counted = 0;
    while (!stopping.signal.aborted) {
      try {
        const claimed = await claim();
        if (claimed.length > 0) {
          await Promise.all(claimed.map(deliver));
          if (stopping.signal.aborted) await release(claimed.map((d) => d.id));
        }
        if (claimed.length > 0 || Date.now() - counted > 15_000) {
          counted = Date.now();
          await countPending();
        }
        if (claimed.length < batch) await pause(pollMs);
      } catch (error) {
        if (stopping.signal.aborted) break;
        log.warn({ err: error }, 'webhook delivery round failed; trying again');
        await pause(Math.max(pollMs, 5000));
      }
    }
  })();

  return {
    async stop() {
      stopping.abort();
      wake?.();
      await loop;
    },
  };
}
