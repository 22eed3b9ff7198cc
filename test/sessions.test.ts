/**
 * Sessions as an attacker would try them: CSRF tokens from another session or another
 * browser's login page, a session fixed before login, a cookie replayed after logout, and a
 * disabled user's open session. On PostgreSQL, where `airlift user disable` works while the
 * server runs (the embedded database is the server's alone: the command refuses, as
 * `user create` does).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createUser } from '../src/auth/users.ts';
import { main } from '../src/cli.ts';
import { startTestApp, TEST_PASSWORD, type TestApp } from './harness.ts';
import { loginAs, openLoginForm, setCookies, submitLogin } from './login.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ database: 'postgres' });
});
afterAll(() => t?.close());

const newAccount = async () => {
  const email = `s-${Math.random().toString(36).slice(2, 8)}@example.com`;
  await createUser(t.app.db, { email, password: TEST_PASSWORD, role: 'editor' });
  return email;
};

const get = (path: string, cookie: string) => fetch(t.baseUrl + path, { redirect: 'manual', headers: { cookie } });

async function cli(args: string[], env: Record<string, string>) {
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const error = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void err.push(parts.join(' ')));
  try {
    return { code: await main(args, env), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('CSRF bound to the session', () => {
  it('refuses, on the victim’s session, a token and cookie pair from another session', async () => {
    const victim = await loginAs(t.baseUrl, await newAccount(), TEST_PASSWORD);
    const attacker = await loginAs(t.baseUrl, await newAccount(), TEST_PASSWORD);
    const res = await t.request('POST', '/api/v1/uploads', {
      headers: { cookie: `airlift_session=${victim.session}; csrftoken=${attacker.csrf}`, 'x-csrftoken': attacker.csrf },
      json: { filename: 'a.mp4', size: 10, content_type: 'video/mp4', kind: 'video' },
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('csrf_failed');
  });

  it('refuses a login form posted with another browser’s pre-session token', async () => {
    const mine = await openLoginForm(t.baseUrl);
    const theirs = await openLoginForm(t.baseUrl);
    const presession = mine.cookie.split('; ').find((c) => c.startsWith('airlift_presession='))!;
    const res = await submitLogin(t.baseUrl, { cookie: `${presession}; csrftoken=${theirs.csrf}`, csrf: theirs.csrf }, await newAccount(), TEST_PASSWORD);
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie') ?? '').not.toMatch(/airlift_session=[^;]/);
  });
});

describe('login and logout', () => {
  it('opens a new session id at login, closing the one the browser came with, and the pre-session token no longer passes', async () => {
    const email = await newAccount();
    const first = await loginAs(t.baseUrl, email, TEST_PASSWORD);
    const form = await openLoginForm(t.baseUrl);
    // The same browser logs in again carrying its first session (a login tab left open).
    const res = await submitLogin(t.baseUrl, { cookie: first.cookie, csrf: first.csrf }, email, TEST_PASSWORD);
    expect(res.status).toBe(303);
    const cookies = setCookies(res);
    expect(cookies.airlift_session).toBeDefined();
    expect(cookies.airlift_session).not.toBe(first.session);
    expect(cookies.csrftoken).not.toBe(first.csrf);
    expect((await get('/api/v1/videos', `airlift_session=${first.session}`)).status).toBe(401);
    // The new session with the token of the login form (bound to the pre-session) is refused.
    const stale = await t.request('POST', '/logout', { headers: { cookie: `airlift_session=${cookies.airlift_session}; csrftoken=${form.csrf}`, 'x-csrftoken': form.csrf } });
    expect(stale.status).toBe(403);
    const fresh = await t.request('POST', '/logout', { headers: { cookie: `airlift_session=${cookies.airlift_session}; csrftoken=${cookies.csrftoken}`, 'x-csrftoken': cookies.csrftoken! } });
    expect(fresh.status).toBe(303);
  });

  it('deletes the session server-side at logout, and starts a fresh pre-session', async () => {
    const session = await loginAs(t.baseUrl, await newAccount(), TEST_PASSWORD);
    const out = await t.request('POST', '/logout', { session });
    expect(out.status).toBe(303);
    const cookies = setCookies(out);
    expect(cookies.airlift_presession).toMatch(/^[\w-]{43}$/);
    expect(cookies.csrftoken).toBeDefined();
    expect(cookies.csrftoken).not.toBe(session.csrf);
    // The old cookie, replayed as it was, is dead.
    expect((await t.request('GET', '/api/v1/videos', { session })).status).toBe(401);
    expect(await t.app.db.selectFrom('sessions').select('id').where('user_id', '=', (await sessionOwner(session.session)) ?? -1).execute()).toEqual([]);
  });
});

/** The user a session token belonged to, from the login answer's user (null once deleted). */
async function sessionOwner(token: string): Promise<number | null> {
  const { sha256 } = await import('../src/auth/tokens.ts');
  const row = await t.app.db.selectFrom('sessions').select('user_id').where('id', '=', sha256(token)).executeTakeFirst();
  return row?.user_id ?? null;
}

describe('disabling a user', () => {
  it('ends their sessions at once (401 on the API, the login page for pages), refuses their login as a wrong password, and enabling lets them back', async () => {
    const email = await newAccount();
    const session = await loginAs(t.baseUrl, email, TEST_PASSWORD);
    const other = await loginAs(t.baseUrl, await newAccount(), TEST_PASSWORD);
    expect((await t.request('GET', '/api/v1/videos', { session })).status).toBe(200);

    expect(await cli(['user', 'disable', '--email', email.toUpperCase()], { DATA_DIR: t.dataDir, DATABASE_URL: t.config.databaseUrl! })).toMatchObject({ code: 0 });
    expect((await t.request('GET', '/api/v1/videos', { session })).status).toBe(401);
    const page = await t.request('GET', '/videos/new', { session });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/login?next=%2Fvideos%2Fnew');
    expect((await t.request('GET', '/api/v1/videos', { session: other })).status).toBe(200);

    // The right password, even from the browser that logged in before: the same answer as a wrong one.
    const refused = await submitLogin(t.baseUrl, await openLoginForm(t.baseUrl, session.device), email, TEST_PASSWORD);
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain('Wrong email or password.');

    expect(await cli(['user', 'enable', '--email', email], { DATA_DIR: t.dataDir, DATABASE_URL: t.config.databaseUrl! })).toMatchObject({ code: 0 });
    await loginAs(t.baseUrl, email, TEST_PASSWORD, session.device);
  });

  it('says which email is unknown', async () => {
    const result = await cli(['user', 'disable', '--email', 'nobody@example.com'], { DATA_DIR: t.dataDir, DATABASE_URL: t.config.databaseUrl! });
    expect(result).toEqual({ code: 1, stderr: 'airlift user: No user has the email nobody@example.com.' });
  });

  it('is refused on the embedded database while the server holds it, as user create is', async () => {
    const embedded = await startTestApp();
    try {
      const result = await cli(['user', 'disable', '--email', 'a@example.com'], { DATA_DIR: embedded.dataDir });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/in use/);
    } finally {
      await embedded.close();
    }
  });
});

describe('on https', () => {
  it('names the httpOnly cookies with the __Host- prefix (Secure, Path=/, no Domain), and csrftoken as the seed reads it', async () => {
    const https = await startTestApp({ env: { PUBLIC_BASE_URL: 'https://media.example.com' } });
    try {
      const page = await fetch(`${https.baseUrl}/login`);
      const lines = page.headers.getSetCookie();
      expect(lines.find((l) => l.startsWith('__Host-airlift_presession='))).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
      expect(lines.find((l) => l.startsWith('csrftoken='))).toMatch(/Secure/);
      expect(lines.join('\n')).not.toMatch(/Domain=/i);
      const email = 'https@example.com';
      await createUser(https.app.db, { email, password: TEST_PASSWORD, role: 'editor' });
      const session = await loginAs(https.baseUrl, email, TEST_PASSWORD);
      expect(session.cookie).toMatch(/(^|; )__Host-airlift_session=/);
      expect(session.device).toMatch(/^__Host-airlift_device=/);
      expect((await https.request('GET', '/api/v1/videos', { session })).status).toBe(200);
      // The unprefixed name, which a sibling subdomain could set, is not a session.
      expect((await https.request('GET', '/api/v1/videos', { headers: { cookie: `airlift_session=${session.session}` } })).status).toBe(401);
    } finally {
      await https.close();
    }
  });
});
