import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { sql, type Kysely } from 'kysely';
import type { DB } from './schema.ts';

/**
 * A named lease in the database: one holder at a time across every instance on it, for a
 * short time that the holder renews while it works. A holder that dies stops renewing, and
 * the lease is free again once it expires. Times are the database's (`now()`), so the
 * instances' clocks need not agree. Plain statements, no lock held between them: the same on
 * PGlite (one connection, which this never keeps) and PostgreSQL.
 */

/** A new holder's name: which process, plus a random part so two holders in one process differ too. */
export const newHolder = () => `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

/** Takes the lease if it is free, expired, or already `holder`'s; true when `holder` has it now, for `ttlMs`. */
export async function takeLease(db: Kysely<DB>, name: string, holder: string, ttlMs: number): Promise<boolean> {
  const { rows } = await sql<{ holder: string }>`
    INSERT INTO leases (name, holder, expires_at) VALUES (${name}, ${holder}, now() + ${ttlMs} * interval '1 millisecond')
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
    WHERE leases.expires_at < now() OR leases.holder = excluded.holder
    RETURNING holder`.execute(db);
  return rows.length === 1;
}

/** Extends `holder`'s lease by `ttlMs` from now; false when another holder has taken it meanwhile. */
export async function renewLease(db: Kysely<DB>, name: string, holder: string, ttlMs: number): Promise<boolean> {
  const result = await db
    .updateTable('leases')
    .set({ expires_at: sql<Date>`now() + ${ttlMs} * interval '1 millisecond'` })
    .where('name', '=', name)
    .where('holder', '=', holder)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Gives the lease up, if `holder` still has it, so the next taker need not wait for it to expire. */
export async function releaseLease(db: Kysely<DB>, name: string, holder: string): Promise<void> {
  await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
}

/** What work done under a lease asks before each step. */
export interface HeldLease {
  /** False once the lease is lost (taken over, or not confirmed within its time) or the work was asked to stop. */
  held(): boolean;
}

export interface LeaseOptions {
  /** How long the lease lasts unless renewed (default 60 s); it is renewed every third of it. */
  ttlMs?: number;
  /** Asks the work to stop at its next step (a shutdown). */
  signal?: AbortSignal;
}

export const LEASE_TTL_MS = 60_000;

/**
 * Runs `work` while holding the lease `name`, renewing it in the background, and releases it
 * after; null (and no work) when another holder has it. The work must stop at its next step
 * once `held()` answers false: another may have taken over.
 */
export async function withLease<T>(db: Kysely<DB>, name: string, work: (lease: HeldLease) => Promise<T>, options: LeaseOptions = {}): Promise<T | null> {
  const ttlMs = options.ttlMs ?? LEASE_TTL_MS;
  const holder = newHolder();
  // Counted from before the statement that took or renewed it: the database's expiry is later than this.
  let confirmedUntil = Date.now() + ttlMs;
  if (!(await takeLease(db, name, holder, ttlMs))) return null;
  let lost = false;
  const held = () => !lost && !options.signal?.aborted && Date.now() < confirmedUntil;
  const renewer = setInterval(() => {
    const asked = Date.now();
    renewLease(db, name, holder, ttlMs).then(
      (renewed) => {
        if (renewed) confirmedUntil = asked + ttlMs;
        else lost = true;
      },
      // A failed renewal is tried again at the next tick; the lease lapses if none succeeds in time.
      () => undefined,
    );
  }, ttlMs / 3);
  renewer.unref();
  try {
    return await work({ held });
  } finally {
    clearInterval(renewer);
    if (!lost) await releaseLease(db, name, holder).catch(() => undefined);
  }
}
