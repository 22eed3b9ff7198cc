import type { Kysely } from 'kysely';
import type { DB, User } from '../db/schema.ts';
import { randomToken, sha256 } from './tokens.ts';

export const SESSION_TTL_MS = 14 * 24 * 3600 * 1000;

/** Opens a session and returns the cookie's token; the database keeps only its hash. */
export async function openSession(db: Kysely<DB>, userId: number): Promise<string> {
  const token = randomToken();
  await db
    .insertInto('sessions')
    .values({ id: sha256(token), user_id: userId, expires_at: new Date(Date.now() + SESSION_TTL_MS) })
    .execute();
  return token;
}

export async function sessionUser(db: Kysely<DB>, token: string): Promise<User | null> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .where('sessions.id', '=', sha256(token))
    .where('sessions.expires_at', '>', new Date())
    // A disabled user's sessions are deleted with the disabling; this guards the moment between.
    .where('users.disabled_at', 'is', null)
    .executeTakeFirst();
  return row ?? null;
}

export async function closeSession(db: Kysely<DB>, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', sha256(token)).execute();
}

/** Deletes the sessions that expired before `now` (the sweeper calls it); returns how many. */
export async function deleteExpiredSessions(db: Kysely<DB>, now = new Date()): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
