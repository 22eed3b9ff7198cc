/**
 * The names and options of the app's httpOnly cookies. On https they carry the `__Host-`
 * prefix, which a browser accepts only from this very host, with `Secure` and `Path=/` and
 * no `Domain`: a sibling subdomain can then neither plant nor overwrite them. `csrftoken`
 * keeps its plain name (the seed's getCSRFToken() reads it), and needs no prefix: a planted
 * token is refused because it is bound to the session or pre-session (see csrf.ts).
 */
export interface CookieNames {
  /** The logged-in session's token. */
  session: string;
  /** A random id for a browser not logged in, which its CSRF token is bound to. */
  presession: string;
  /** The signed device cookie of a browser that has logged in to an account before. */
  device: string;
}

export function cookieNames(secure: boolean): CookieNames {
  const prefix = secure ? '__Host-' : '';
  return { session: `${prefix}airlift_session`, presession: `${prefix}airlift_presession`, device: `${prefix}airlift_device` };
}

export function httpOnlyCookie(secure: boolean) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure };
}

/** The device cookie lives a year: it only says "this browser has logged in here before". */
export const DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600;
