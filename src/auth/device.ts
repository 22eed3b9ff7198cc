import { hmac, randomToken, safeEqual } from './tokens.ts';

/**
 * The device cookie (OWASP's "device cookies" against lockout): set when a browser logs in,
 * `userId.nonce.mac`. A browser that carries one for an account is judged by the failures it
 * made itself, so strangers guessing that account's password never slow its owner down.
 */
export interface Device {
  userId: number;
  /** The nonce: identifies this browser in `login_failures.device`. */
  id: string;
}

const mac = (secret: string, userId: number, nonce: string) => hmac(secret, `device:${userId}.${nonce}`);

export function newDeviceCookie(secret: string, userId: number): string {
  const nonce = randomToken();
  return `${userId}.${nonce}.${mac(secret, userId, nonce)}`;
}

/** The device a cookie names, if this server signed it. */
export function readDeviceCookie(secret: string, value: string | undefined): Device | null {
  if (!value || value.length > 200) return null;
  const [id, nonce, signature, extra] = value.split('.');
  if (!id || !/^\d{1,10}$/.test(id) || !nonce || !signature || extra !== undefined) return null;
  const userId = Number(id);
  return safeEqual(signature, mac(secret, userId, nonce)) ? { userId, id: nonce } : null;
}
