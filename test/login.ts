/** Logging in over HTTP as a browser does, for tests and the benchmark (no test runner needed). */

export interface Session {
  /** The Cookie header a logged-in client sends. */
  cookie: string;
  csrf: string;
  /** The session cookie's value alone (for a browser's cookie jar). */
  session: string;
}

/** Logs in through the login form, as a browser does: GET for the CSRF cookie, then POST. */
export async function loginAs(baseUrl: string, email: string, password: string): Promise<Session> {
  const page = await fetch(`${baseUrl}/login`);
  const csrf = /csrftoken=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')?.[1];
  if (!csrf) throw new Error('GET /login set no csrftoken cookie');
  const response = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `csrftoken=${csrf}` },
    body: new URLSearchParams({ email, password, csrf_token: csrf }).toString(),
  });
  const session = /airlift_session=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
  if (response.status !== 303 || !session) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  return { cookie: `csrftoken=${csrf}; airlift_session=${session}`, csrf, session };
}
