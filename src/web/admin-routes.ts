import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { readStatus, runStatusChecks } from '../admin/status.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../auth/api-tokens.ts';
import { MIN_PASSWORD_LENGTH } from '../auth/passwords.ts';
import { currentUser, requirePageUser } from '../auth/plugin.ts';
import { requireAdmin } from '../auth/roles.ts';
import { changeUser, createUser, listUsers } from '../auth/users.ts';
import { parseId } from '../db/ids.ts';
import { AppError } from '../errors.ts';
import { translator } from '../shared/i18n/index.ts';
import { ROLES } from '../shared/roles.ts';
import { addEndpoint, deliveryAttempts, deliveryLog, findEndpoint, listEndpoints, removeEndpoint, resendDelivery } from '../webhooks/endpoints.ts';
import type { FieldErrors, Outcome } from './pages/admin/parts.ts';
import { renderStatus } from './pages/admin/status.ts';
import { renderNewToken, renderTokens, type NewTokenInput } from './pages/admin/tokens.ts';
import { renderUsers, type NewUserInput } from './pages/admin/users.ts';
import { renderDeliveryLog, renderNewEndpoint, renderWebhooks, type NewEndpointInput } from './pages/admin/webhooks.ts';

/**
 * The admins' pages: `/admin/users`, `/admin/tokens`, `/admin/webhooks` and `/status`, over the
 * same service functions as the API. Forms post with the CSRF field; a done action redirects
 * (303) to the list with `?done=`, a refused one renders the page again with the message at
 * the field and nothing changed; a secret (a new token, a webhook's) is shown once, on the answer.
 */

const page = { config: { page: true }, onRequest: requirePageUser, preHandler: requireAdmin };
type IdParams = { Params: { id: string } };

const send = (reply: FastifyReply, body: string, status = 200) =>
  reply.status(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);

/**
 * An id in a path, else the 404 the service gives for a missing one (`user_not_found`, …), so
 * that both read alike; the error page says them in the reader's language.
 */
function pathId(raw: string, code: 'user_not_found' | 'token_not_found' | 'webhook_not_found' | 'delivery_not_found'): number {
  const id = parseId(raw);
  if (id === null) throw new AppError(404, code, translator('en')(`errors:${code}`));
  return id;
}

type Refusals = Record<string, readonly [field: string, message: string, params?: Record<string, unknown>]>;

/** A service's refusal, in the reader's language at the field it is about; anything else goes on up. */
function refusal(request: FastifyRequest, error: unknown, fields: Refusals): { status: number; errors: FieldErrors } {
  if (!(error instanceof AppError) || !fields[error.code]) throw error;
  const [field, message, params] = fields[error.code]!;
  return { status: error.status, errors: { [field]: request.t(message, params) } };
}

const checkbox = z.enum(['on', 'true']).optional();
const doneQuery = z.object({ done: z.string().max(20).optional(), id: z.string().max(12).optional() });

const newUserForm = z.object({ email: z.string().max(1000).default(''), password: z.string().max(2000).default(''), role: z.enum(ROLES).default('editor') });
const userForm = z.object({ role: z.enum(ROLES), disabled: checkbox });
const passwordForm = z.object({ password: z.string().max(2000).default('') });
const newTokenForm = z.object({ name: z.string().max(1000).default(''), owner: z.coerce.number().int().default(0), scope: z.string().max(20).default('read') });
const newEndpointForm = z.object({ url: z.string().max(4000).default(''), events: z.union([z.string(), z.array(z.string())]).default([]).transform((e) => [e].flat()) });

const PASSWORD_REFUSALS = (field: string): Refusals => ({
  weak_password: [field, 'admin:users.error.weakPassword', { count: MIN_PASSWORD_LENGTH }],
  invalid_password: [field, 'admin:users.error.longPassword'],
});

export async function adminPageRoutes(app: FastifyInstance): Promise<void> {
  userPages(app);
  tokenPages(app);
  webhookPages(app);
  app.get('/status', page, async (request, reply) => send(reply, renderStatus(request, await readStatus(app))));
  app.post('/status/checks', page, async (request, reply) => {
    const [verdicts, status] = await Promise.all([runStatusChecks(app), readStatus(app)]);
    return send(reply, renderStatus(request, status, verdicts));
  });
}

function userPages(app: FastifyInstance): void {
  const show = async (request: FastifyRequest, reply: FastifyReply, outcome?: Outcome & { status?: number }, input?: NewUserInput) =>
    send(reply, renderUsers(request, await listUsers(app.db), outcome, input), outcome?.status);

  app.get('/admin/users', page, async (request, reply) => {
    const { done, id } = doneQuery.parse(request.query);
    const users = await listUsers(app.db);
    const user = users.find((u) => String(u.id) === id);
    const key = user && { created: 'admin:users.done.created', changed: 'admin:users.done.changed', disabled: 'admin:users.done.disabled', password: 'admin:users.done.password' }[done ?? ''];
    return send(reply, renderUsers(request, users, key ? { notice: request.t(key, { email: user.email }) } : undefined));
  });

  app.post('/admin/users', page, async (request, reply) => {
    const form = newUserForm.parse(request.body);
    try {
      const user = await createUser(app.db, form);
      request.log.info({ user: user.id, role: user.role, by: currentUser(request).id }, 'user created');
      return reply.redirect(`/admin/users?done=created&id=${user.id}`, 303);
    } catch (error) {
      const refused = refusal(request, error, {
        invalid_email: ['new-email', 'admin:users.error.invalidEmail'],
        email_taken: ['new-email', 'admin:users.error.emailTaken', { email: form.email.trim() }],
        ...PASSWORD_REFUSALS('new-password'),
      });
      return show(request, reply, refused, { email: form.email, role: form.role });
    }
  });

  app.post<IdParams>('/admin/users/:id', page, async (request, reply) => {
    const id = pathId(request.params.id, 'user_not_found');
    const form = userForm.parse(request.body);
    const disabled = form.disabled !== undefined;
    const now = new Date();
    try {
      const user = await changeUser(app.db, id, { role: form.role, disabled }, now);
      request.log.info({ user: id, role: form.role, disabled, by: currentUser(request).id }, 'user changed');
      // A user disabled before keeps their first disabled_at: only one disabled now has this one.
      const justDisabled = user.disabled_at?.getTime() === now.getTime();
      return reply.redirect(`/admin/users?done=${justDisabled ? 'disabled' : 'changed'}&id=${id}`, 303);
    } catch (error) {
      return show(request, reply, refusal(request, error, { last_admin: [disabled ? `disabled-${id}` : `role-${id}`, 'admin:users.error.lastAdmin'] }));
    }
  });

  app.post<IdParams>('/admin/users/:id/password', page, async (request, reply) => {
    const id = pathId(request.params.id, 'user_not_found');
    const { password } = passwordForm.parse(request.body);
    try {
      await changeUser(app.db, id, { password });
      request.log.info({ user: id, password: true, by: currentUser(request).id }, 'user changed');
      return reply.redirect(`/admin/users?done=password&id=${id}`, 303);
    } catch (error) {
      return show(request, reply, refusal(request, error, PASSWORD_REFUSALS(`password-${id}`)));
    }
  });
}

function tokenPages(app: FastifyInstance): void {
  const owners = async () => (await listUsers(app.db)).filter((u) => u.disabled_at === null);
  const show = async (request: FastifyRequest, reply: FastifyReply, outcome?: Outcome & { status?: number }, input?: NewTokenInput) =>
    send(reply, renderTokens(request, await listApiTokens(app.db), await owners(), outcome, input), outcome?.status);

  app.get('/admin/tokens', page, async (request, reply) => {
    const { done, id } = doneQuery.parse(request.query);
    const tokens = await listApiTokens(app.db);
    const token = done === 'revoked' ? tokens.find((row) => String(row.id) === id) : undefined;
    return send(reply, renderTokens(request, tokens, await owners(), token ? { notice: request.t('admin:tokens.done.revoked', { name: token.name }) } : undefined));
  });

  app.post('/admin/tokens', page, async (request, reply) => {
    const form = newTokenForm.parse(request.body);
    const input = { name: form.name, owner: form.owner, scope: form.scope === 'write' ? 'write' : 'read' } as const;
    const owner = (await owners()).find((u) => u.id === form.owner);
    if (!owner) return show(request, reply, { status: 400, errors: { 'token-owner': request.t('admin:tokens.error.owner') } }, input);
    try {
      const { token, row } = await createApiToken(app.db, { userId: owner.id, name: form.name, scope: form.scope });
      request.log.info({ token: row.id, user: owner.id, scope: row.scope, by: currentUser(request).id }, 'api token created');
      return send(reply, renderNewToken(request, token, row, owner.email), 201);
    } catch (error) {
      const refused = refusal(request, error, { invalid_name: ['token-name', 'admin:tokens.error.name'], invalid_scope: ['token-scope', 'admin:tokens.error.scope'] });
      return show(request, reply, refused, input);
    }
  });

  app.post<IdParams>('/admin/tokens/:id/revoke', page, async (request, reply) => {
    const id = pathId(request.params.id, 'token_not_found');
    await revokeApiToken(app.db, id);
    request.log.info({ token: id, by: currentUser(request).id }, 'api token revoked');
    return reply.redirect(`/admin/tokens?done=revoked&id=${id}`, 303);
  });
}

function webhookPages(app: FastifyInstance): void {
  const show = async (request: FastifyRequest, reply: FastifyReply, outcome?: Outcome & { status?: number }, input?: NewEndpointInput) =>
    send(reply, renderWebhooks(request, await listEndpoints(app.db), outcome, input), outcome?.status);
  const endpoint = (request: FastifyRequest<IdParams>) => findEndpoint(app.db, pathId(request.params.id, 'webhook_not_found'));

  app.get('/admin/webhooks', page, async (request, reply) => {
    const { done } = doneQuery.parse(request.query);
    return show(request, reply, done === 'removed' ? { notice: request.t('admin:webhooks.done.removed') } : undefined);
  });

  app.post('/admin/webhooks', page, async (request, reply) => {
    const form = newEndpointForm.parse(request.body);
    try {
      const row = await addEndpoint(app.db, app.config, { url: form.url, events: form.events.join(',') });
      request.log.info({ endpoint: row.id, by: currentUser(request).id }, 'webhook endpoint added');
      return send(reply, renderNewEndpoint(request, row), 201);
    } catch (error) {
      const target = error instanceof AppError ? error.params : undefined;
      const refused = refusal(request, error, {
        invalid_webhook_url: ['webhook-url', 'admin:webhooks.error.url'],
        webhook_target_refused: ['webhook-url', target?.reason === 'unresolved' ? 'admin:webhooks.error.unresolved' : 'admin:webhooks.error.refused', target],
        invalid_events: ['webhook-events', 'admin:webhooks.error.events'],
      });
      return show(request, reply, refused, form);
    }
  });

  app.post<IdParams>('/admin/webhooks/:id/remove', page, async (request, reply) => {
    const row = await removeEndpoint(app.db, (await endpoint(request)).id);
    request.log.info({ endpoint: row.id, by: currentUser(request).id }, 'webhook endpoint removed');
    return reply.redirect('/admin/webhooks?done=removed', 303);
  });

  app.get<IdParams>('/admin/webhooks/:id', page, async (request, reply) => {
    const found = await endpoint(request);
    const deliveries = await deliveryLog(app.db, found.id);
    const attempts = await deliveryAttempts(app.db, deliveries.map((d) => d.id));
    const log = deliveries.map((delivery) => ({ delivery, attempts: attempts.get(delivery.id)! }));
    const { done } = doneQuery.parse(request.query);
    return send(reply, renderDeliveryLog(request, found, log, done === 'resent' ? { notice: request.t('admin:webhooks.done.resent') } : undefined));
  });

  app.post<{ Params: { id: string; delivery: string } }>('/admin/webhooks/:id/deliveries/:delivery/resend', page, async (request, reply) => {
    const found = await endpoint(request);
    const deliveryId = pathId(request.params.delivery, 'delivery_not_found');
    const resent = await resendDelivery(app.db, deliveryId, found.id);
    request.log.info({ endpoint: found.id, delivery: deliveryId, resent, by: currentUser(request).id }, 'webhook delivery queued again');
    return reply.redirect(`/admin/webhooks/${found.id}?done=resent`, 303);
  });
}
