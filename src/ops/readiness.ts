import { sql } from 'kysely';
import type { AppContext } from '../context.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { StorageError } from '../storage/driver.ts';

/** One dependency's answer: ok, or what is wrong with it in the operator's words. */
export type Check = { ok: true } | { ok: false; message: string };

export interface Readiness {
  ready: boolean;
  checks: { database: Check; storage: Check };
  /** What was thrown, for the log only (the probe's answer says no more than which and why, to anyone who asks). */
  errors: unknown[];
}

/** A key no upload can have (keys the server makes start with a kind's folder): asking for it is a round trip that changes nothing. */
const PROBE_KEY = 'airlift-readiness-probe';

/**
 * Whether this instance can serve: the database answers a query and the store a HEAD, asked at
 * once, each within the deadline its calls already have (PostgreSQL's 10 s query timeout, the
 * store's 8 s per call), so a silent one is named within seconds rather than hanging the probe.
 */
export async function readiness(ctx: AppContext): Promise<Readiness> {
  const errors: unknown[] = [];
  const check = async (probe: () => Promise<unknown>, describe: (error: unknown) => string): Promise<Check> => {
    try {
      await probe();
      return { ok: true };
    } catch (error) {
      errors.push(error);
      return { ok: false, message: describe(error) };
    }
  };
  const [database, storage] = await Promise.all([
    check(() => sql`SELECT 1`.execute(ctx.db), (error) => (isDatabaseUnavailable(error) ? 'the database is not answering' : 'the database refused a query')),
    check(() => ctx.storage.head(PROBE_KEY), (error) =>
      error instanceof StorageError && error.code === 'unavailable' ? 'the store is not answering' : `the store failed (${error instanceof StorageError ? error.code : 'error'})`,
    ),
  ]);
  return { ready: database.ok && storage.ok, checks: { database, storage }, errors };
}

/** The 503's message: each failing check's own, which names it ("the store is not answering"). */
export function notReadyMessage(result: Readiness): string {
  return `Not ready: ${Object.values(result.checks).flatMap((c) => (c.ok ? [] : [c.message])).join('; ')}.`;
}
