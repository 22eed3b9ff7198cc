import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { chooseLocale, DEFAULT_LOCALE, isLocale, LANG_COOKIE, translator, type Locale, type Translate } from '../shared/i18n/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The reader's language (`?lang=`, the `lang` cookie, `Accept-Language`, else English). */
    locale: Locale;
    /** Messages in the reader's language. */
    t: Translate;
  }
}

const LANG_MAX_AGE = 365 * 24 * 3600;

/** Chooses each request's language, and keeps an explicit `?lang=fr|en` in the `lang` cookie. */
export const i18nPlugin = fp(async (app: FastifyInstance) => {
  const secure = app.config.publicBaseUrl.startsWith('https:');
  app.decorateRequest('locale', 'en');
  app.decorateRequest('t', {
    getter(this: { locale: Locale }) {
      return translator(this.locale);
    },
  });
  app.addHook('onRequest', async (request, reply) => {
    const query = (request.query as Record<string, unknown> | undefined)?.lang;
    const cookie = request.cookies[LANG_COOKIE];
    request.locale = chooseLocale({ query, cookie, acceptLanguage: request.headers['accept-language'] });
    if (query === request.locale && cookie !== query) {
      reply.setCookie(LANG_COOKIE, request.locale, { path: '/', sameSite: 'lax', secure, httpOnly: false, maxAge: LANG_MAX_AGE });
    }
  });
});

/**
 * The reader's language and messages, also for a request Fastify refused before any hook ran
 * (a malformed URL): English then.
 */
export function readerOf(request: FastifyRequest): { locale: Locale; t: Translate } {
  const locale = isLocale(request.locale) ? request.locale : DEFAULT_LOCALE;
  return { locale, t: translator(locale) };
}

/** The same page in another language: the path and query with `lang` set (the library's for a URL too long to echo). */
export function urlInLocale(url: string, locale: Locale): string {
  const parsed = new URL(url.length <= 512 ? url : '/', 'http://x');
  parsed.searchParams.set('lang', locale);
  return `${parsed.pathname}${parsed.search}`;
}
