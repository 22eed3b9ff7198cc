/** The CLI's commands for other systems: API tokens (and, below, webhooks). */
import { createApiToken, listApiTokens, revokeApiToken } from './auth/api-tokens.ts';
import { findUserByEmail } from './auth/users.ts';
import type { Command } from './cli-args.ts';
import { withDatabase } from './cli-context.ts';
import { AppError } from './errors.ts';

const SERVER_STOPPED = 'On the embedded database, stop the server first.';

/** A date as a list shows it: to the minute, UTC. */
const shownDate = (date: Date | string | null) => (date ? new Date(date).toISOString().slice(0, 16).replace('T', ' ') : '-');

/** An id given on the command line: a whole number, else a clear refusal. */
function idArgument(raw: string | true | undefined, what: string): number {
  const text = String(raw);
  if (!/^[1-9]\d{0,9}$/.test(text)) throw new AppError(400, 'invalid_id', `The ${what} id must be a whole number such as 12, got "${text}".`);
  return Number(text);
}

/** Rows as aligned columns under a header. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export const INTEGRATION_COMMANDS: Command[] = [
  {
    words: ['token', 'create'],
    summary: 'create an API token for a user; it is printed once',
    description:
      `Creates an API token that authenticates /api/v1 as the user (Authorization: Bearer <token>), with no cookie and no CSRF token: read scope only GETs, write scope does all the user may do. The token is printed once; only its hash is kept. ${SERVER_STOPPED}`,
    options: {
      email: { type: 'string', value: 'E', required: true, description: 'the email address of the user the token acts as' },
      name: { type: 'string', value: 'N', required: true, description: 'what the token is for, such as "CMS import"' },
      scope: { type: 'string', value: 'read|write', required: true, description: 'read: GET only; write: also create, edit and delete' },
    },
    async run(values, config) {
      const email = String(values.email);
      const { token, row } = await withDatabase(config, 'airlift token create', async ({ db }) => {
        const user = await findUserByEmail(db, email);
        if (!user) throw new AppError(404, 'user_not_found', `No user has the email ${email.trim()}.`);
        return createApiToken(db, { userId: user.id, name: String(values.name), scope: String(values.scope) });
      });
      console.log(`Created API token ${row.id} "${row.name}" (${row.scope}) for ${email.trim()}. It is shown this once; keep it secret:\n\n  ${token}\n`);
      return 0;
    },
  },
  {
    words: ['token', 'list'],
    summary: 'list API tokens, their scope and when each was last used',
    description: `Lists the API tokens (or one user's): id, the token's first characters, name, scope, user, created, last used and revoked. ${SERVER_STOPPED}`,
    options: { email: { type: 'string', value: 'E', description: "only this user's tokens" } },
    async run(values, config) {
      const tokens = await withDatabase(config, 'airlift token list', async ({ db }) => {
        if (values.email === undefined) return listApiTokens(db);
        const user = await findUserByEmail(db, String(values.email));
        if (!user) throw new AppError(404, 'user_not_found', `No user has the email ${String(values.email).trim()}.`);
        return listApiTokens(db, user.id);
      });
      if (tokens.length === 0) {
        console.log('No API tokens.');
        return 0;
      }
      const rows = tokens.map((t) => [String(t.id), `${t.prefix}…`, t.name, t.scope, t.email, shownDate(t.created_at), shownDate(t.last_used_at), shownDate(t.revoked_at)]);
      console.log(table(['ID', 'TOKEN', 'NAME', 'SCOPE', 'USER', 'CREATED', 'LAST USED', 'REVOKED'], rows));
      return 0;
    },
  },
  {
    words: ['token', 'revoke'],
    summary: 'revoke an API token: refused from its next request on',
    description: `Revokes the API token with this id (see "airlift token list"): every request with it from now on gets 401. ${SERVER_STOPPED}`,
    argument: { key: 'id', value: 'ID', description: 'the id "airlift token list" shows' },
    options: {},
    async run(values, config) {
      const id = idArgument(values.id, 'token');
      const row = await withDatabase(config, 'airlift token revoke', ({ db }) => revokeApiToken(db, id));
      console.log(`Revoked API token ${row.id} "${row.name}".`);
      return 0;
    },
  },
];
