import { hmac, randomToken, safeEqual, sha256 } from './tokens.ts';

/**
 * Django-style double-submit CSRF token: readable from the `csrftoken` cookie, sent back in
 * the `X-CSRFToken` header or the `csrf_token` form field. The token is `nonce.mac`, where
 * the mac signs the nonce *and the browser's session* (or, before login, its pre-session
 * cookie). A sibling domain can plant cookies, and anyone can get a validly signed token
 * from GET /login; but a token issued to another session or pre-session does not verify
 * against the victim's, so a planted pair is refused.
 */
export const CSRF_COOKIE = 'csrftoken';
export const CSRF_HEADER = 'x-csrftoken';
export const CSRF_FIELD = 'csrf_token';

/** What a token is bound to: the hash of the session token, or of the pre-session cookie. */
export const sessionBinding = (sessionToken: string) => `session:${sha256(sessionToken)}`;
export const presessionBinding = (presession: string) => `presession:${sha256(presession)}`;

const mac = (secret: string, binding: string, nonce: string) => hmac(secret, `csrf:${binding}:${nonce}`);

export function newCsrfToken(secret: string, binding: string): string {
  const nonce = randomToken();
  return `${nonce}.${mac(secret, binding, nonce)}`;
}

/** True when this server signed the token for this binding. */
export function isCsrfTokenFor(secret: string, binding: string, token: string | undefined): token is string {
  if (!token || token.length > 200) return false;
  const [nonce, signature, extra] = token.split('.');
  return !!nonce && !!signature && extra === undefined && safeEqual(signature, mac(secret, binding, nonce));
}

/** True when the submitted token matches the cookie and the cookie is one this server signed for this binding. */
export function checkCsrf(secret: string, binding: string, cookie: string | undefined, submitted: string | undefined): boolean {
  return isCsrfTokenFor(secret, binding, cookie) && typeof submitted === 'string' && safeEqual(submitted, cookie);
}

/** A random value shaped like the tokens this server hands out (the pre-session cookie). */
export const isRandomToken = (value: string | undefined): value is string => !!value && /^[A-Za-z0-9_-]{43}$/.test(value);
export const newPresession = randomToken;
