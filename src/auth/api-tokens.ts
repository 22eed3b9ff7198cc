import { sql, type Kysely } from 'kysely';
import type { ApiToken, DB, TokenScope, User } from '../db/schema.ts';
import { AppError, badRequest } from '../errors.ts';
import { textProblem } from '../shared/api.ts';
import { randomToken, sha256 } from './tokens.ts';

/**
 * API tokens: a user's credential for `/api/v1/*` (`Authorization: Bearer …`), within a scope
 * (`read`: GET only; `write`: everything the user may do). The token is shown once; only its
 * sha-256 is kept (a token has 256 random bits: a fast hash is enough, unlike a password).
 */

/** Every token starts so: a secret scanner (and a person) can tell what it is. */
export const TOKEN_PREFIX = 'alt_';
const SHOWN_CHARACTERS = TOKEN_PREFIX.length + 6;
export const TOKEN_SCOPES: readonly TokenScope[] = ['read', 'write'];
const NAME_MAX = 100;

/** The last-used time is written at most this often per token: a request is not a write each time. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function checkTokenInput(name: string, scope: string): asserts scope is TokenScope {
  if (!name.trim() || name.length > NAME_MAX || textProblem(name)) throw badRequest(`Give the token a name of 1 to ${NAME_MAX} plain characters.`, 'invalid_name');
  if (!TOKEN_SCOPES.includes(scope as TokenScope)) throw badRequest(`The scope must be read or write, not "${scope}".`, 'invalid_scope');
}

/** Creates a token for `userId`; returns it in clear, once, with its row. */
export async function createApiToken(db: Kysely<DB>, input: { userId: number; name: string; scope: string }): Promise<{ token: string; row: ApiToken }> {
  checkTokenInput(input.name, input.scope);
  const token = `${TOKEN_PREFIX}${randomToken()}`;
  const row = await db
    .insertInto('api_tokens')
    .values({ user_id: input.userId, name: input.name.trim(), scope: input.scope, token_hash: sha256(token), prefix: token.slice(0, SHOWN_CHARACTERS) })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { token, row };
}

export type ListedToken = ApiToken & { email: string };

/** Every token (or one user's), newest first, with its owner's email; revoked ones too, marked. */
export async function listApiTokens(db: Kysely<DB>, userId?: number): Promise<ListedToken[]> {
  let query = db.selectFrom('api_tokens').innerJoin('users', 'users.id', 'api_tokens.user_id').selectAll('api_tokens').select('users.email').orderBy('api_tokens.id', 'desc');
  if (userId !== undefined) query = query.where('api_tokens.user_id', '=', userId);
  return query.execute();
}

/** Revokes a token: every request with it from now on is refused (401). Idempotent. */
export async function revokeApiToken(db: Kysely<DB>, id: number): Promise<ApiToken> {
  const row = await db
    .updateTable('api_tokens')
    .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new AppError(404, 'token_not_found', `No API token has the id ${id}.`);
  return row;
}

/**
 * The user a Bearer token stands for, and its scope; null for a wrong, revoked or malformed
 * token, or one whose user is disabled (checked on every request, so disabling stops it at once).
 */
export async function tokenUser(db: Kysely<DB>, token: string): Promise<{ user: User; scope: TokenScope } | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const found = await db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .selectAll('users')
    .select(['api_tokens.id as token_id', 'api_tokens.scope', 'api_tokens.last_used_at'])
    .where('api_tokens.token_hash', '=', sha256(token))
    .where('api_tokens.revoked_at', 'is', null)
    .where('users.disabled_at', 'is', null)
    .executeTakeFirst();
  if (!found) return null;
  const { token_id, scope, last_used_at, ...user } = found;
  if (!last_used_at || Date.now() - new Date(last_used_at).getTime() > LAST_USED_RESOLUTION_MS) {
    await db.updateTable('api_tokens').set({ last_used_at: new Date() }).where('id', '=', token_id).execute();
  }
  return { user, scope };
}
