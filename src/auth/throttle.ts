import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';

/** Failed logins are counted in the database so every instance behind a load balancer sees them. */
const WINDOW_MS = 15 * 60 * 1000;
const MAX_PER_EMAIL = 5;
const MAX_PER_IP = 30;

/** Seconds to wait before the next attempt, or 0 when one is allowed. */
export async function loginRetryAfter(db: Kysely<DB>, email: string, ip: string): Promise<number> {
  const since = new Date(Date.now() - WINDOW_MS);
  const failures = await db
    .selectFrom('login_failures')
    .select(['email', 'ip', 'at'])
    .where('at', '>', since)
    .where((eb) => eb.or([eb('email', '=', email.toLowerCase()), eb('ip', '=', ip)]))
    .orderBy('at', 'asc')
    .execute();
  const byEmail = failures.filter((f) => f.email === email.toLowerCase());
  const byIp = failures.filter((f) => f.ip === ip);
  const blocking = byEmail.length >= MAX_PER_EMAIL ? byEmail.at(-MAX_PER_EMAIL) : byIp.length >= MAX_PER_IP ? byIp.at(-MAX_PER_IP) : undefined;
  if (!blocking) return 0;
  return Math.max(1, Math.ceil((new Date(blocking.at).getTime() + WINDOW_MS - Date.now()) / 1000));
}

export async function recordLoginFailure(db: Kysely<DB>, email: string, ip: string): Promise<void> {
  await db.insertInto('login_failures').values({ email: email.toLowerCase(), ip }).execute();
  await deleteOldLoginFailures(db);
}

/** Forgets failures older than the window, which no longer count (also swept, for when no login fails for a while). */
export async function deleteOldLoginFailures(db: Kysely<DB>, now = new Date()): Promise<void> {
  await db.deleteFrom('login_failures').where('at', '<', new Date(now.getTime() - WINDOW_MS)).execute();
}

export async function clearLoginFailures(db: Kysely<DB>, email: string): Promise<void> {
  await db.deleteFrom('login_failures').where('email', '=', email.toLowerCase()).execute();
}
