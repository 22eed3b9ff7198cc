import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';

/**
 * Login throttling that stops guessing without locking anyone out (OWASP's Authentication
 * cheat sheet). Failures live in the database, so every instance behind a load balancer
 * counts the same ones. Four rules, decided by `decide` over the rows one query reads:
 *
 * - pair: 5 failures in a row for one account from one address → that address waits 15
 *   minutes from its last failure (a success from there resets it);
 * - address: 30 failures from one address in 15 minutes, whatever the accounts → it waits
 *   until the oldest of them is 15 minutes old (password spraying);
 * - account: from the 5th failure on an account, from anywhere, a delay of 5 s that doubles
 *   with each further failure, at most 15 minutes after the last one. Attempts refused while
 *   waiting are not failures, so strangers cannot stretch the delay into a lock;
 * - device: a browser with a valid device cookie for the account (it logged in to it before)
 *   is judged by its own failures only (the account rule over them): strangers' failures, on
 *   the account or from its address, never slow it.
 *
 * Failures are remembered for 24 hours.
 */
export const RULES = {
  pairLimit: 5,
  pairWaitMs: 15 * 60 * 1000,
  addressLimit: 30,
  addressWindowMs: 15 * 60 * 1000,
  accountFree: 5,
  accountBaseDelayMs: 5 * 1000,
  accountMaxDelayMs: 15 * 60 * 1000,
  memoryMs: 24 * 3600 * 1000,
};

export interface LoginAttempt {
  /** Lowercased. */
  email: string;
  ip: string;
  /** The device id of a device cookie valid for this account, else null. */
  device: string | null;
}

export interface FailureRow {
  email: string;
  ip: string;
  at: Date;
  device: string | null;
}

export type Rule = 'pair' | 'address' | 'account' | 'device';

export interface Decision {
  /** Seconds to wait before the next attempt; 0 when this one may go ahead. */
  retryAfter: number;
  /** The rule that makes it wait (the longest wait when several do). */
  rule: Rule | null;
}

/** The growing delay after `count` failures: none for the first few, then 5 s doubling up to 15 min. */
export function accountDelayMs(count: number): number {
  if (count < RULES.accountFree) return 0;
  return Math.min(RULES.accountBaseDelayMs * 2 ** (count - RULES.accountFree), RULES.accountMaxDelayMs);
}

/** Whether `attempt` may go ahead at `now`, given the failures for its account or its address. */
export function decide(failures: readonly FailureRow[], attempt: LoginAttempt, now: Date): Decision {
  const t = now.getTime();
  const recent = failures.filter((f) => t - f.at.getTime() < RULES.memoryMs).sort((a, b) => a.at.getTime() - b.at.getTime());
  const account = recent.filter((f) => f.email === attempt.email);
  const waits: [Rule, number][] = [];
  const lastAt = (rows: FailureRow[]) => rows.at(-1)!.at.getTime();

  if (attempt.device !== null) {
    const own = account.filter((f) => f.device === attempt.device);
    if (own.length >= RULES.accountFree) waits.push(['device', lastAt(own) + accountDelayMs(own.length) - t]);
  } else {
    const pair = account.filter((f) => f.ip === attempt.ip);
    if (pair.length >= RULES.pairLimit) waits.push(['pair', lastAt(pair) + RULES.pairWaitMs - t]);
    const address = recent.filter((f) => f.ip === attempt.ip && t - f.at.getTime() < RULES.addressWindowMs);
    if (address.length >= RULES.addressLimit) waits.push(['address', address.at(-RULES.addressLimit)!.at.getTime() + RULES.addressWindowMs - t]);
    if (account.length >= RULES.accountFree) waits.push(['account', lastAt(account) + accountDelayMs(account.length) - t]);
  }
  const [rule, ms] = waits.reduce<[Rule | null, number]>((longest, wait) => (wait[1] > longest[1] ? wait : longest), [null, 0]);
  return ms > 0 ? { retryAfter: Math.ceil(ms / 1000), rule } : { retryAfter: 0, rule: null };
}

// Advisory lock keys (the two-integer form, apart from the sweeper's one-bigint key).
const ACCOUNT_LOCK = 0x4c4f4731; // "LOG1"
const ADDRESS_LOCK = 0x4c4f4732; // "LOG2"

/**
 * Decides on an attempt and, when it may go ahead, records it as a failure before the
 * password is checked: under per-account and per-address advisory locks (always taken in
 * that order), so concurrent guesses each see the ones before them and none slips past a
 * limit. Returns the wait, or the recorded failure's id for `loginSucceeded` to take back.
 * The (slow) password check runs after the transaction, holding no connection.
 */
export async function admitLoginAttempt(db: Kysely<DB>, attempt: LoginAttempt, now: Date): Promise<Decision & { failureId: number | null }> {
  return db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(${ACCOUNT_LOCK}, hashtext(${attempt.email}))`.execute(tx);
    await sql`SELECT pg_advisory_xact_lock(${ADDRESS_LOCK}, hashtext(${attempt.ip}))`.execute(tx);
    const failures = await tx
      .selectFrom('login_failures')
      .select(['email', 'ip', 'at', 'device'])
      .where((eb) =>
        eb.or([
          eb.and([eb('email', '=', attempt.email), eb('at', '>', new Date(now.getTime() - RULES.memoryMs))]),
          eb.and([eb('ip', '=', attempt.ip), eb('at', '>', new Date(now.getTime() - RULES.addressWindowMs))]),
        ]),
      )
      .execute();
    const decision = decide(failures.map((f) => ({ ...f, at: new Date(f.at) })), attempt, now);
    if (decision.retryAfter > 0) return { ...decision, failureId: null };
    const row = await tx
      .insertInto('login_failures')
      .values({ email: attempt.email, ip: attempt.ip, device: attempt.device, at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { ...decision, failureId: row.id };
  });
}

/** The password was right: the attempt was no failure, and the failures in a row from this address (or this device) are reset. */
export async function loginSucceeded(db: Kysely<DB>, attempt: LoginAttempt, failureId: number): Promise<void> {
  await db
    .deleteFrom('login_failures')
    .where((eb) =>
      eb.or([
        eb('id', '=', failureId),
        eb.and([eb('email', '=', attempt.email), attempt.device === null ? eb('ip', '=', attempt.ip) : eb('device', '=', attempt.device)]),
      ]),
    )
    .execute();
}

/** Forgets failures older than the rules remember (the sweeper calls it). */
export async function deleteOldLoginFailures(db: Kysely<DB>, now = new Date()): Promise<void> {
  await db.deleteFrom('login_failures').where('at', '<', new Date(now.getTime() - RULES.memoryMs)).execute();
}
