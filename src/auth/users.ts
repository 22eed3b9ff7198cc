import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DB, User } from '../db/schema.ts';
import { AppError, badRequest, conflict } from '../errors.ts';
import { textProblem } from '../shared/api.ts';
import type { Role } from '../shared/roles.ts';
import { hashPassword, MIN_PASSWORD_LENGTH } from './passwords.ts';
import { randomToken, sha256 } from './tokens.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function checkNewAccount(email: string, password: string): void {
  if (!EMAIL.test(email) || email.length > 254 || textProblem(email)) throw badRequest('Give a valid email address.', 'invalid_email');
  checkPassword(password);
}

/** A new password's rules: long enough, not absurdly long. */
export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError(400, 'weak_password', `The password must be at least ${MIN_PASSWORD_LENGTH} characters long.`, { params: { count: MIN_PASSWORD_LENGTH } });
  }
  if (password.length > 1024) throw badRequest('The password is longer than 1024 characters.', 'invalid_password');
}

export async function createUser(db: Kysely<DB>, input: { email: string; password: string; role: Role }): Promise<User> {
  const email = input.email.trim();
  checkNewAccount(email, input.password);
  const existing = await findUserByEmail(db, email);
  if (existing) throw conflict(`A user with the email ${email} already exists.`, 'email_taken');
  return db
    .insertInto('users')
    .values({ email, password_hash: await hashPassword(input.password), role: input.role })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export const findUserByEmail = (db: Kysely<DB>, email: string) =>
  db.selectFrom('users').selectAll().where(sql<string>`lower(email)`, '=', email.trim().toLowerCase()).executeTakeFirst();

/**
 * Disables a user: they cannot log in any more, and their sessions are deleted in the same
 * transaction, so every request of theirs after this one is refused. Idempotent.
 */
export async function disableUser(db: Kysely<DB>, email: string, now = new Date()): Promise<User> {
  return db.transaction().execute(async (tx) => {
    const user = await tx
      .updateTable('users')
      .set({ disabled_at: sql<Date>`coalesce(disabled_at, ${now})` })
      .where(sql<string>`lower(email)`, '=', email.trim().toLowerCase())
      .returningAll()
      .executeTakeFirst();
    if (!user) throw new AppError(404, 'user_not_found', `No user has the email ${email.trim()}.`);
    await tx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    return user;
  });
}

/** Lets a disabled user log in again. Idempotent. */
export async function enableUser(db: Kysely<DB>, email: string): Promise<User> {
  const user = await db
    .updateTable('users')
    .set({ disabled_at: null })
    .where(sql<string>`lower(email)`, '=', email.trim().toLowerCase())
    .returningAll()
    .executeTakeFirst();
  if (!user) throw new AppError(404, 'user_not_found', `No user has the email ${email.trim()}.`);
  return user;
}

export async function hasUsers(db: Kysely<DB>): Promise<boolean> {
  return (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
}

const SETUP_TTL_MS = 24 * 3600 * 1000;

/** A one-time link token for creating the first admin; only its hash is stored. */
export async function issueSetupToken(db: Kysely<DB>): Promise<string> {
  const token = randomToken();
  await db.deleteFrom('setup_tokens').where('expires_at', '<', new Date()).execute();
  await db.insertInto('setup_tokens').values({ token_hash: sha256(token), expires_at: new Date(Date.now() + SETUP_TTL_MS) }).execute();
  return token;
}

/** Deletes the setup tokens that expired before `now` (the sweeper calls it; a used one is deleted at once); returns how many. */
export async function deleteExpiredSetupTokens(db: Kysely<DB>, now = new Date()): Promise<number> {
  const result = await db.deleteFrom('setup_tokens').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function isSetupTokenValid(db: Kysely<DB>, token: string): Promise<boolean> {
  const row = await db
    .selectFrom('setup_tokens')
    .select('token_hash')
    .where('token_hash', '=', sha256(token))
    .where('expires_at', '>', new Date())
    .executeTakeFirst();
  return row !== undefined && !(await hasUsers(db));
}

/** Creates the first admin with a setup token, consuming every setup token. */
export async function createFirstAdmin(db: Kysely<DB>, token: string, email: string, password: string): Promise<User | null> {
  if (!(await isSetupTokenValid(db, token))) return null;
  const user = await createUser(db, { email, password, role: 'admin' });
  await db.deleteFrom('setup_tokens').execute();
  return user;
}

/** Every user, oldest first, as the users' administration lists them. */
export const listUsers = (db: Kysely<DB>) => db.selectFrom('users').selectAll().orderBy('id').execute();

export interface UserChange {
  role?: Role;
  disabled?: boolean;
  password?: string;
}

/**
 * An admin's change to a user: role, disabled (which ends the user's sessions at once, as
 * `disableUser`), password (which ends them too: the old one stops working everywhere). Refused
 * (409 `last_admin`) when it would leave no enabled admin.
 */
export async function changeUser(db: Kysely<DB>, id: number, change: UserChange, now = new Date()): Promise<User> {
  if (change.password !== undefined) checkPassword(change.password);
  const passwordHash = change.password === undefined ? undefined : await hashPassword(change.password);
  return db.transaction().execute(async (tx) => {
    const user = await tx.selectFrom('users').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!user) throw new AppError(404, 'user_not_found', 'No such user.');
    const staysAdmin = (change.role ?? user.role) === 'admin' && !(change.disabled ?? user.disabled_at !== null);
    if (user.role === 'admin' && user.disabled_at === null && !staysAdmin) {
      // Locks every admin row, so two admins demoting each other at once cannot both pass.
      const admins = await tx.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled_at', 'is', null).forUpdate().execute();
      if (admins.length <= 1) throw conflict('This is the last enabled admin: make another user an admin first.', 'last_admin');
    }
    const updated = await tx
      .updateTable('users')
      .set({
        ...(change.role !== undefined && { role: change.role }),
        ...(change.disabled !== undefined && { disabled_at: change.disabled ? (user.disabled_at ?? now) : null }),
        ...(passwordHash !== undefined && { password_hash: passwordHash }),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (change.disabled || passwordHash !== undefined) await tx.deleteFrom('sessions').where('user_id', '=', id).execute();
    return updated;
  });
}
