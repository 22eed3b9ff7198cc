import { hmac, randomToken, safeEqual } from './tokens.ts';

/**
 * Django-style double-submit CSRF token: readable from the `csrftoken` cookie, sent back in
 * the `X-CSRFToken` header or the `csrf_token` form field. The cookie's value is signed
 * (`nonce.hmac`) so a cookie planted from a sibling domain, which lacks the secret, is refused.
 */
export const CSRF_COOKIE = 'csrftoken';
export const CSRF_HEADER = 'x-csrftoken';
export const CSRF_FIELD = 'csrf_token';

export function newCsrfToken(secret: string): string {
  const nonce = randomToken();
  return `${nonce}.${hmac(secret, 'csrf:' + nonce)}`;
}

export function isCsrfTokenSigned(secret: string, token: string | undefined): token is string {
  if (!token) return false;
  const [nonce, mac, extra] = token.split('.');
  return !!nonce && !!mac && extra === undefined && safeEqual(mac, hmac(secret, 'csrf:' + nonce));
}

/** True when the submitted token matches the cookie and the cookie is one this server signed. */
export function checkCsrf(secret: string, cookie: string | undefined, submitted: string | undefined): boolean {
  return isCsrfTokenSigned(secret, cookie) && typeof submitted === 'string' && safeEqual(submitted, cookie);
}
