/** The CLI's commands for other systems: API tokens and webhook endpoints. */
import { createApiToken, listApiTokens, revokeApiToken } from './auth/api-tokens.ts';
import { findUserByEmail } from './auth/users.ts';
import type { Command } from './cli-args.ts';
import { withDatabase } from './cli-context.ts';
import { parseId } from './db/ids.ts';
import { AppError } from './errors.ts';
import { addEndpoint, listEndpoints, removeEndpoint } from './webhooks/endpoints.ts';
import { WEBHOOK_EVENTS } from './webhooks/events.ts';

const SERVER_STOPPED = 'On the embedded database, stop the server first.';

/** A date as a list shows it: to the minute, UTC. */
const shownDate = (date: Date | string | null) => (date ? new Date(date).toISOString().slice(0, 16).replace('T', ' ') : '-');

/** An id given on the command line: a whole number, else a clear refusal. */
function idArgument(raw: string | true | undefined, what: string): number {
  const text = String(raw);
  const id = parseId(text);
  if (id === null) throw new AppError(400, 'invalid_id', `The ${what} id must be a whole number such as 12, got "${text}".`);
  return id;
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
  {
    words: ['webhook', 'add'],
    summary: 'send events to a URL, signed; prints the whsec_ secret',
    description:
      `Adds a webhook endpoint: every change to a video or photo (or only the events given) is POSTed to URL as {type, timestamp, data}, signed as the Standard Webhooks specification says, and retried with growing waits for more than 24 hours until it is answered 2xx. Prints the whsec_ secret the receiver verifies signatures with. A URL that resolves to a loopback, private or link-local address is refused unless WEBHOOK_ALLOW_PRIVATE_TARGETS=true. ${SERVER_STOPPED}`,
    argument: { key: 'url', value: 'URL', description: 'where to POST the events (https://…)' },
    options: { events: { type: 'string', value: 'LIST', description: `comma-separated, among ${WEBHOOK_EVENTS.join(', ')}; all when absent` } },
    async run(values, config) {
      const endpoint = await withDatabase(config, 'airlift webhook add', ({ db }) =>
        addEndpoint(db, config, { url: String(values.url), events: values.events === undefined ? undefined : String(values.events) }),
      );
      console.log(
        `Added webhook ${endpoint.id} to ${endpoint.url} for ${endpoint.events?.join(', ') ?? 'every event'}. Its signing secret (the receiver verifies with it):\n\n  ${endpoint.secret}\n`,
      );
      return 0;
    },
  },
  {
    words: ['webhook', 'list'],
    summary: 'list webhook endpoints, their events and how their deliveries stand',
    description: `Lists the webhook endpoints: id, URL, events, deliveries pending, delivered and given up, and since when an endpoint has been failing. ${SERVER_STOPPED}`,
    options: {},
    async run(_values, config) {
      const endpoints = await withDatabase(config, 'airlift webhook list', ({ db }) => listEndpoints(db));
      if (endpoints.length === 0) {
        console.log('No webhook endpoints.');
        return 0;
      }
      const rows = endpoints.map((e) => [String(e.id), e.url, e.events?.join(',') ?? 'all', String(e.pending), String(e.delivered), String(e.given_up), e.failing_since ? shownDate(e.failing_since) : '-']);
      console.log(table(['ID', 'URL', 'EVENTS', 'PENDING', 'DELIVERED', 'GIVEN UP', 'FAILING SINCE'], rows));
      return 0;
    },
  },
  {
    words: ['webhook', 'remove'],
    summary: 'stop sending to a webhook endpoint',
    description: `Removes the webhook endpoint with this id (see "airlift webhook list"), with its deliveries not yet made and its log. ${SERVER_STOPPED}`,
    argument: { key: 'id', value: 'ID', description: 'the id "airlift webhook list" shows' },
    options: {},
    async run(values, config) {
      const id = idArgument(values.id, 'webhook');
      const endpoint = await withDatabase(config, 'airlift webhook remove', ({ db }) => removeEndpoint(db, id));
      console.log(`Removed webhook ${endpoint.id} (${endpoint.url}).`);
      return 0;
    },
  },
];
