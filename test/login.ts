/** Logging in over HTTP as a browser does, for tests and the benchmark (no test runner needed). */

export interface Session {
  /** The Cookie header a logged-in client sends. */
  cookie: string;
  /** The CSRF token bound to this session (the csrftoken cookie the login answer set). */
  csrf: string;
  /** The session cookie's value alone (for a browser's cookie jar). */
  session: string;
  /** The signed device cookie the login answer set, as a Cookie header carries it (`airlift_device=…`). */
  device?: string;
}

/** Every cookie a response sets, by name (an emptied cookie is left out). */
export function setCookies(response: Response): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const line of response.headers.getSetCookie()) {
    const [pair = ''] = line.split(';');
    const at = pair.indexOf('=');
    if (at > 0 && at < pair.length - 1) cookies[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return cookies;
}

const named = (cookies: Record<string, string>, name: string) => Object.entries(cookies).find(([key]) => key.replace(/^__Host-/, '') === name);

/** A browser's login form: the Cookie header it sends (pre-session, CSRF and whatever it had) and the CSRF token. */
export interface LoginForm {
  cookie: string;
  csrf: string;
}

const cookieHeader = (cookies: Record<string, string>) => Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; ');

function parseCookieHeader(header: string): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const pair of header.split(/;\s*/)) {
    const at = pair.indexOf('=');
    if (at > 0) cookies[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return cookies;
}

/** GET /login as a browser holding `cookie` (e.g. a device cookie): the pre-session and CSRF cookies it then has. */
export async function openLoginForm(baseUrl: string, cookie = '', headers: Record<string, string> = {}): Promise<LoginForm> {
  const response = await fetch(`${baseUrl}/login`, { headers: { ...headers, ...(cookie && { cookie }) } });
  await response.arrayBuffer();
  const cookies = { ...parseCookieHeader(cookie), ...setCookies(response) };
  const csrf = named(cookies, 'csrftoken')?.[1];
  if (!csrf) throw new Error('GET /login set no csrftoken cookie');
  return { cookie: cookieHeader(cookies), csrf };
}

/** POSTs the login form from a browser that opened it. */
export function submitLogin(baseUrl: string, form: LoginForm, email: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
    body: new URLSearchParams({ email, password, csrf_token: form.csrf }).toString(),
  });
}

/**
 * Logs in through the login form, as a browser does: GET for the pre-session and its CSRF
 * cookie, then POST; the session and a new CSRF token bound to it come with the answer.
 * `cookie` is what the browser held before (a device cookie, say).
 */
export async function loginAs(baseUrl: string, email: string, password: string, cookie = ''): Promise<Session> {
  const response = await submitLogin(baseUrl, await openLoginForm(baseUrl, cookie), email, password);
  const answer = setCookies(response);
  const session = named(answer, 'airlift_session');
  const newCsrf = named(answer, 'csrftoken')?.[1];
  const device = named(answer, 'airlift_device');
  if (response.status !== 303 || !session || !newCsrf || !device) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  return { cookie: `csrftoken=${newCsrf}; ${session[0]}=${session[1]}; ${device[0]}=${device[1]}`, csrf: newCsrf, session: session[1], device: `${device[0]}=${device[1]}` };
}
