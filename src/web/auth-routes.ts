import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { DUMMY_HASH, verifyPassword } from '../auth/passwords.ts';
import { readDeviceCookie } from '../auth/device.ts';
import { endSession, startSession } from '../auth/plugin.ts';
import { admitLoginAttempt, loginSucceeded, type LoginAttempt } from '../auth/throttle.ts';
import { createFirstAdmin, findUserByEmail, isSetupTokenValid } from '../auth/users.ts';
import { validText } from '../shared/api.ts';
import { errorMessage } from '../shared/i18n/error-message.ts';
import { translator, type Translate } from '../shared/i18n/index.ts';
import { renderLogin, renderSetup } from './pages/auth.ts';

const loginForm = z.object({
  email: z.string().trim().max(254).check(validText('email')).default(''),
  password: z.string().max(1024).default(''),
  next: z.string().max(2048).optional(),
});

/**
 * Only paths on this site: `next` must not send the user elsewhere after login. One leading
 * "/" not followed by "/" or "\\" (which browsers read as another host), and printable ASCII
 * only: browsers drop tabs and line breaks ("/\t/evil" is "//evil"), treat "\\" as "/", and a
 * control or non-ASCII character would make the Location header throw.
 */
const safeNext = (next: string | undefined) => (next && /^\/(?![/\\])[\x21-\x5b\x5d-\x7e]*$/.test(next) ? next : '/');

/** The login page's message while an attempt must wait, in seconds or minutes as fits. */
const tooManyAttempts = (t: Translate, seconds: number) =>
  seconds < 90 ? t('common:login.tooManySeconds', { count: seconds }) : t('common:login.tooManyMinutes', { count: Math.ceil(seconds / 60) });

/** An admin exists already or the link expired: how to make an account without it. */
const CREATE_ADMIN = "echo 'a long password' | npx airlift user create --email you@example.com --admin --password-stdin";
const spentSetupLink = () =>
  new AppError(404, 'setup_link_spent', translator('en')('errors:setup_link_spent', { command: CREATE_ADMIN }), { params: { command: CREATE_ADMIN } });

const html = (reply: FastifyReply, status: number, body: string) => reply.status(status).type('text/html; charset=utf-8').send(body);

/** The pages of accounts: `/login`, `/logout` and the first admin's one-time `/setup/<token>`. */
export async function authRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: { next?: string } }>('/login', { config: { page: true } }, async (request, reply) => {
    if (request.user) return reply.redirect(safeNext(request.query.next));
    return html(reply, 200, renderLogin(request, { next: safeNext(request.query.next) }));
  });

  app.post('/login', { config: { page: true } }, async (request, reply) => {
    const form = loginForm.parse(request.body ?? {});
    const next = safeNext(form.next);
    const user = form.email ? await findUserByEmail(app.db, form.email) : undefined;
    const device = readDeviceCookie(app.config.secretKey, request.cookies[app.cookieNames.device]);
    const attempt: LoginAttempt = { email: form.email.toLowerCase(), ip: request.ip, device: user && device?.userId === user.id ? device.id : null };
    const admitted = await admitLoginAttempt(app.db, attempt, app.clock());
    if (admitted.failureId === null) {
      const wait = admitted.retryAfter;
      request.log.warn({ reason: 'throttled', rule: admitted.rule, retryAfter: wait }, 'login refused');
      reply.header('retry-after', String(wait));
      return html(reply, 429, renderLogin(request, { email: form.email, next, error: tooManyAttempts(request.t, wait) }));
    }
    // Verify against a dummy hash for unknown emails, so timing does not reveal which exist.
    const valid = await verifyPassword(user?.password_hash ?? DUMMY_HASH, form.password);
    // A disabled account answers as a wrong password does: a stranger learns nothing of its state.
    if (!user || !valid || user.disabled_at !== null) {
      request.log.info({ reason: user?.disabled_at && valid ? 'disabled' : 'bad_credentials' }, 'login refused');
      return html(reply, 401, renderLogin(request, { email: form.email, next, error: request.t('common:login.wrong') }));
    }
    await loginSucceeded(app.db, attempt, admitted.failureId);
    await startSession(app, request, reply, user.id);
    request.log.info({ user: user.id }, 'logged in');
    return reply.redirect(next, 303);
  });

  app.post('/logout', async (request, reply) => {
    await endSession(app, request, reply);
    return reply.redirect('/login', 303);
  });

  app.get<{ Params: { token: string } }>('/setup/:token', { config: { page: true } }, async (request, reply) => {
    if (!(await isSetupTokenValid(app.db, request.params.token))) {
      throw spentSetupLink();
    }
    return html(reply, 200, renderSetup(request, { token: request.params.token }));
  });

  app.post<{ Params: { token: string } }>('/setup/:token', { config: { page: true } }, async (request, reply) => {
    const form = loginForm.parse(request.body ?? {});
    const token = request.params.token;
    try {
      const user = await createFirstAdmin(app.db, token, form.email, form.password);
      if (!user) throw spentSetupLink();
      await startSession(app, request, reply, user.id);
      request.log.info({ user: user.id }, 'first admin created');
      return reply.redirect('/', 303);
    } catch (error) {
      if (error instanceof AppError && error.status === 400) return html(reply, 400, renderSetup(request, { token, email: form.email, error: errorMessage(request.locale, error) }));
      throw error;
    }
  });
}
