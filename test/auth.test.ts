/** Accounts through the pages, as a browser uses them: setup link, login, throttling, logout. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, issueSetupToken } from '../src/auth/users.ts';
import { loginAs, startTestApp, TEST_PASSWORD, type TestApp } from './harness.ts';
import { openLoginForm, type LoginForm } from './login.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

/** A fresh browser's login form: its pre-session and CSRF cookies. */
const loginForm = () => openLoginForm(t.baseUrl);

async function postForm(path: string, fields: Record<string, string>, form: LoginForm) {
  return fetch(t.baseUrl + path, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
    body: new URLSearchParams(fields).toString(),
  });
}

describe('first admin', () => {
  it('creates the admin once through the one-time setup link', async () => {
    const token = await issueSetupToken(t.app.db);
    const page = await fetch(`${t.baseUrl}/setup/${token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Create the admin account');
    const form = await loginForm();
    const weak = await postForm(`/setup/${token}`, { email: 'boss@example.com', password: 'short', csrf_token: form.csrf }, form);
    expect(weak.status).toBe(400);
    expect(await weak.text()).toContain('at least 10 characters');
    const created = await postForm(`/setup/${token}`, { email: 'boss@example.com', password: TEST_PASSWORD, csrf_token: form.csrf }, form);
    expect(created.status).toBe(303);
    expect(created.headers.get('set-cookie')).toMatch(/airlift_session=[^;]+;.*HttpOnly.*SameSite=Lax/i);
    const admin = await t.app.db.selectFrom('users').selectAll().where('email', '=', 'boss@example.com').executeTakeFirstOrThrow();
    expect(admin.role).toBe('admin');
    // The link is spent; the page tells how to make an account instead, with a command that works.
    const spent = await fetch(`${t.baseUrl}/setup/${token}`);
    expect(spent.status).toBe(404);
    expect(await spent.text()).toContain('npx airlift user create --email you@example.com --admin --password-stdin');
    const replay = await postForm(`/setup/${token}`, { email: 'second@example.com', password: TEST_PASSWORD, csrf_token: form.csrf }, form);
    expect(replay.status).toBe(404);
    expect(await t.app.db.selectFrom('users').selectAll().where('email', '=', 'second@example.com').executeTakeFirst()).toBeUndefined();
  });
});

describe('login and logout', () => {
  beforeAll(async () => {
    await createUser(t.app.db, { email: 'editor@example.com', password: TEST_PASSWORD, role: 'editor' });
  });

  it('sends pages to the login form and back after logging in', async () => {
    const res = await fetch(`${t.baseUrl}/videos/new`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/login?next=%2Fvideos%2Fnew');
    const form = await loginForm();
    const login = await postForm('/login', { email: 'EDITOR@example.com', password: TEST_PASSWORD, csrf_token: form.csrf, next: '/videos/new' }, form);
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/videos/new');
  });

  it('never redirects off the site after login', async () => {
    const form = await loginForm();
    const login = await postForm('/login', { email: 'editor@example.com', password: TEST_PASSWORD, csrf_token: form.csrf, next: '//evil.example/' }, form);
    expect(login.headers.get('location')).toBe('/');
  });

  it('refuses a login form without its CSRF token', async () => {
    const form = await loginForm();
    const res = await postForm('/login', { email: 'editor@example.com', password: TEST_PASSWORD }, form);
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie') ?? '').not.toContain('airlift_session');
  });

  it('slows down repeated failures: 429 after five, even with the right password', async () => {
    await createUser(t.app.db, { email: 'target@example.com', password: TEST_PASSWORD, role: 'editor' });
    const form = await loginForm();
    for (let i = 0; i < 5; i++) {
      const wrong = await postForm('/login', { email: 'target@example.com', password: 'wrong password!', csrf_token: form.csrf }, form);
      expect(wrong.status).toBe(401);
      expect(await wrong.text()).toContain('Wrong email or password.');
    }
    const blocked = await postForm('/login', { email: 'target@example.com', password: TEST_PASSWORD, csrf_token: form.csrf }, form);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await blocked.text()).toContain('Too many failed attempts');
  });

  it('ends the session on logout', async () => {
    const session = await loginAs(t.baseUrl, 'editor@example.com', TEST_PASSWORD);
    expect((await t.request('GET', '/api/v1/videos', { session })).status).toBe(200);
    const out = await t.request('POST', '/logout', { session, body: `csrf_token=${session.csrf}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(out.status).toBe(303);
    expect((await t.request('GET', '/api/v1/videos', { session })).status).toBe(401);
  });
});
