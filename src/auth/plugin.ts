import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { TokenScope, User } from '../db/schema.ts';
import { AppError, forbidden, unauthorized } from '../errors.ts';
import { tokenUser } from './api-tokens.ts';
import { cookieNames, DEVICE_COOKIE_MAX_AGE, httpOnlyCookie, type CookieNames } from './cookies.ts';
import { CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, checkCsrf, isCsrfTokenFor, isRandomToken, newCsrfToken, newPresession, presessionBinding, sessionBinding } from './csrf.ts';
import { newDeviceCookie } from './device.ts';
import { closeSession, openSession, SESSION_TTL_MS, sessionUser } from './sessions.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The names of the httpOnly cookies (`__Host-` prefixed on https). */
    cookieNames: CookieNames;
  }
  interface FastifyRequest {
    /** The logged-in user, or null. */
    user: User | null;
    /** The CSRF token to embed in forms (also in the `csrftoken` cookie). */
    csrfToken: string;
    /** What this request's CSRF token must be bound to: its session, else its pre-session. */
    csrfBinding: string;
    /** Set when the request authenticated with an API token (Bearer): its scope. No cookie, no CSRF then. */
    tokenScope: TokenScope | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** What a `read` token may do. */
const READ_METHODS = new Set(['GET', 'HEAD']);
const CSRF_MAX_AGE = 365 * 24 * 3600;

const isSecure = (app: FastifyInstance) => app.config.publicBaseUrl.startsWith('https:');

/**
 * Sessions and CSRF for every route registered after it in the same scope: loads the user
 * from the session cookie, gives a browser without a session a pre-session cookie, hands out
 * a CSRF cookie bound to the one or the other, and refuses unsafe methods without the
 * matching token (403). On `/api/v1/*` a Bearer API token stands instead: no cookie is read or
 * set and no CSRF token asked (a token is not sent by a browser on its own, so CSRF cannot use
 * it); a wrong one is a 401 at once, and a `read` token only GETs (403 otherwise).
 */
export const authPlugin = fp(async (app: FastifyInstance) => {
  const { config, db } = app;
  const secure = isSecure(app);
  const names = cookieNames(secure);
  app.decorate('cookieNames', names);
  app.decorateRequest('user', null);
  app.decorateRequest('csrfToken', '');
  app.decorateRequest('csrfBinding', '');
  app.decorateRequest('tokenScope', null);

  app.addHook('onRequest', async (request, reply) => {
    const bearer = apiBearer(request);
    if (bearer !== undefined) {
      const found = await tokenUser(db, bearer);
      if (!found) {
        reply.header('www-authenticate', 'Bearer error="invalid_token"');
        throw new AppError(401, 'invalid_token', 'The API token is wrong or has been revoked.');
      }
      request.user = found.user;
      request.tokenScope = found.scope;
      return;
    }
    const session = request.cookies[names.session];
    request.user = session ? await sessionUser(db, session) : null;
    if (request.user) {
      request.csrfBinding = sessionBinding(session!);
    } else {
      let presession = request.cookies[names.presession];
      if (!isRandomToken(presession)) {
        presession = newPresession();
        reply.setCookie(names.presession, presession, httpOnlyCookie(secure));
      }
      request.csrfBinding = presessionBinding(presession);
    }
    const cookie = request.cookies[CSRF_COOKIE];
    if (isCsrfTokenFor(config.secretKey, request.csrfBinding, cookie)) request.csrfToken = cookie;
    else issueCsrfToken(app, reply, request, request.csrfBinding);
  });

  // After body parsing, so the form field is readable.
  app.addHook('preHandler', async (request) => {
    if (request.tokenScope) {
      if (request.tokenScope === 'read' && !READ_METHODS.has(request.method)) {
        throw forbidden('This API token has the read scope: it can only GET. Use a token with the write scope.', 'insufficient_scope');
      }
      return;
    }
    if (SAFE_METHODS.has(request.method)) return;
    const body = request.body as Record<string, unknown> | undefined;
    const submitted = request.headers[CSRF_HEADER] ?? (typeof body?.[CSRF_FIELD] === 'string' ? body[CSRF_FIELD] : undefined);
    if (!checkCsrf(config.secretKey, request.csrfBinding, request.cookies[CSRF_COOKIE], Array.isArray(submitted) ? submitted[0] : submitted)) {
      request.log.warn({ reason: 'csrf' }, 'request refused: missing or wrong CSRF token');
      throw forbidden('CSRF token missing or incorrect: reload the page and try again.', 'csrf_failed');
    }
  });
});

/** The Bearer token of a request to `/api/v1/*` (a route of it, matched), if it sends one; the other paths take sessions only. */
function apiBearer(request: FastifyRequest): string | undefined {
  if (!request.routeOptions.url?.startsWith('/api/v1/')) return undefined;
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

function issueCsrfToken(app: FastifyInstance, reply: FastifyReply, request: FastifyRequest, binding: string): void {
  request.csrfBinding = binding;
  request.csrfToken = newCsrfToken(app.config.secretKey, binding);
  // Readable by the page's script (the seed's getCSRFToken()), so not httpOnly.
  reply.setCookie(CSRF_COOKIE, request.csrfToken, { path: '/', sameSite: 'lax', secure: isSecure(app), httpOnly: false, maxAge: CSRF_MAX_AGE });
}

/**
 * Logs the browser in as `userId` with a new session id (a session fixed in advance is
 * useless): closes the session its cookie named, if any, opens a new one, sets a CSRF token
 * bound to it (the pre-session's no longer passes) and drops the pre-session, and marks the
 * browser as a device that has logged in to this account.
 */
export async function startSession(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, userId: number): Promise<void> {
  const secure = isSecure(app);
  const names = app.cookieNames;
  const previous = request.cookies[names.session];
  if (previous) await closeSession(app.db, previous);
  const token = await openSession(app.db, userId);
  reply.setCookie(names.session, token, { ...httpOnlyCookie(secure), maxAge: SESSION_TTL_MS / 1000 });
  reply.clearCookie(names.presession, httpOnlyCookie(secure));
  reply.setCookie(names.device, newDeviceCookie(app.config.secretKey, userId), { ...httpOnlyCookie(secure), maxAge: DEVICE_COOKIE_MAX_AGE });
  issueCsrfToken(app, reply, request, sessionBinding(token));
}

/** Logs the browser out: deletes the session server-side and starts a fresh pre-session with its own CSRF token. */
export async function endSession(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const secure = isSecure(app);
  const names = app.cookieNames;
  const token = request.cookies[names.session];
  if (token) await closeSession(app.db, token);
  reply.clearCookie(names.session, httpOnlyCookie(secure));
  const presession = newPresession();
  reply.setCookie(names.presession, presession, httpOnlyCookie(secure));
  issueCsrfToken(app, reply, request, presessionBinding(presession));
}

/** onRequest hook for API routes: a JSON 401 without a session, before any other check. */
export async function requireUser(request: FastifyRequest): Promise<void> {
  if (!request.user) throw unauthorized();
}

/** onRequest hook for pages: a redirect to the login page without a session. */
export async function requirePageUser(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!request.user) {
    const next = encodeURIComponent(request.url);
    return reply.redirect(`/login?next=${next}`);
  }
}

/** The signed-in user, for handlers behind `requireUser`. */
export function currentUser(request: FastifyRequest): User {
  if (!request.user) throw unauthorized();
  return request.user;
}
