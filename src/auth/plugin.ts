import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { User } from '../db/schema.ts';
import { forbidden, unauthorized } from '../errors.ts';
import { CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, checkCsrf, isCsrfTokenSigned, newCsrfToken } from './csrf.ts';
import { SESSION_COOKIE, sessionUser } from './sessions.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The logged-in user, or null. */
    user: User | null;
    /** The CSRF token to embed in forms (also in the `csrftoken` cookie). */
    csrfToken: string;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Sessions and CSRF for every route registered after it in the same scope: loads the user
 * from the session cookie, hands out a CSRF cookie, and refuses unsafe methods without the
 * matching token (403).
 */
export const authPlugin = fp(async (app: FastifyInstance) => {
  const { config, db } = app;
  const secure = config.publicBaseUrl.startsWith('https:');
  app.decorateRequest('user', null);
  app.decorateRequest('csrfToken', '');

  app.addHook('onRequest', async (request, reply) => {
    const session = request.cookies[SESSION_COOKIE];
    request.user = session ? await sessionUser(db, session) : null;
    const cookie = request.cookies[CSRF_COOKIE];
    if (isCsrfTokenSigned(config.secretKey, cookie)) {
      request.csrfToken = cookie;
    } else {
      request.csrfToken = newCsrfToken(config.secretKey);
      // Readable by the page's script (the seed's getCSRFToken()), so not httpOnly.
      reply.setCookie(CSRF_COOKIE, request.csrfToken, { path: '/', sameSite: 'lax', secure, httpOnly: false, maxAge: 365 * 24 * 3600 });
    }
  });

  // After body parsing, so the form field is readable.
  app.addHook('preHandler', async (request) => {
    if (SAFE_METHODS.has(request.method)) return;
    const body = request.body as Record<string, unknown> | undefined;
    const submitted = request.headers[CSRF_HEADER] ?? (typeof body?.[CSRF_FIELD] === 'string' ? body[CSRF_FIELD] : undefined);
    if (!checkCsrf(config.secretKey, request.cookies[CSRF_COOKIE], Array.isArray(submitted) ? submitted[0] : submitted)) {
      request.log.warn({ reason: 'csrf' }, 'request refused: missing or wrong CSRF token');
      throw forbidden('CSRF token missing or incorrect: reload the page and try again.', 'csrf_failed');
    }
  });
});

export function sessionCookieOptions(secure: boolean) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure };
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
