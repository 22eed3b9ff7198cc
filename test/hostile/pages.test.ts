/**
 * Hostile input to the pages and their forms: `next` values that would send a user off the
 * site after login (`//evil`, `/%09/evil`, `\`, CR/LF, schemes), login and setup forms with
 * NUL, control characters, 10,000 characters and duplicate fields, the edit forms with
 * bad text, and `/media/` paths that are not keys anyone may read. Pages answer with an HTML
 * page in the right status; redirects stay on the site and never fail.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD } from '../harness.ts';
import { openLoginForm } from '../login.ts';
import { call, expectApiError, expectPageError, useHostileApp } from './fixture.ts';

const h = useHostileApp();
let email = '';
beforeAll(async () => {
  email = (await h.t.app.db.selectFrom('users').select('email').orderBy('id').executeTakeFirstOrThrow()).email;
});
// Failed logins from this one address would soon throttle every login of the file (another feature's rule).
afterEach(async () => {
  await h.t.app.db.deleteFrom('login_failures').execute();
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const postForm = (path: string, body: string, cookie = h.alice.cookie) =>
  call(h, 'POST', path, { session: null, body, contentType: 'application/x-www-form-urlencoded', headers: { cookie } });
/** A browser that has loaded /login: its pre-session and csrftoken cookies, no session. */
const freshBrowser = () => openLoginForm(h.t.baseUrl);

// ---- Where login sends the user next -----------------------------------------------------

/** `next` values, as they appear in the query string, that must all end on "/". */
const NEXTS: [name: string, encoded: string][] = [
  ['a protocol-relative URL', '%2F%2Fevil.example'],
  ['three slashes', '%2F%2F%2Fevil.example'],
  ['a tab between the slashes', '%2F%09%2Fevil.example'],
  ['a line feed between the slashes', '%2F%0A%2Fevil.example'],
  ['CR/LF and a header', '%2F%0D%0ASet-Cookie%3A%20x%3Dy'],
  ['a backslash after the slash', '%2F%5Cevil.example'],
  ['two backslashes', '%2F%5C%5Cevil.example'],
  ['a backslash further in', '%2Fa%5C..%5C%5Cevil.example'],
  ['a space between the slashes', '%2F%20%2Fevil.example'],
  ['a leading space', '%20%2Fvideos%2Fnew'],
  ['a NUL', '%2Fvideos%00'],
  ['a Unicode line separator', '%2F%E2%80%A8%2Fevil.example'],
  ['a non-ASCII letter', '%2F%C3%A9'],
  ['an absolute URL', 'https%3A%2F%2Fevil.example%2F'],
  ['a scheme without slashes', 'https%3Aevil.example'],
  ['javascript:', 'javascript%3Aalert(1)'],
  ['data:', 'data%3Atext%2Fhtml%2C%3Cscript%3Ealert(1)%3C%2Fscript%3E'],
  ['a relative path', 'evil.example'],
  ['an empty value', ''],
];

describe('GET /login?next=', () => {
  it.each(NEXTS)('when logged in, redirects to / for %s', async (_name, encoded) => {
    const res = await call(h, 'GET', `/login?next=${encoded}`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/');
  });
  it.each(NEXTS)('when logged out, the form carries next=/ for %s', async (_name, encoded) => {
    const res = await call(h, 'GET', `/login?next=${encoded}`, { session: null });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/name="next" value="\/"/);
  });
  it('keeps a path on the site', async () => {
    const res = await call(h, 'GET', '/login?next=%2Fvideos%2Fnew%3Fx%3D1', { session: null });
    expect(await res.text()).toMatch(/name="next" value="\/videos\/new\?x=1"/);
  });
});

describe('POST /login with next', () => {
  it.each(NEXTS)('redirects to / for %s', async (_name, encoded) => {
    const browser = await freshBrowser();
    const res = await postForm('/login', `${form({ email, password: TEST_PASSWORD, csrf_token: browser.csrf })}&next=${encoded}`, browser.cookie);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
  });
});

// ---- The login and setup forms -----------------------------------------------------------

const LOGIN_FIELDS: [name: string, status: number, fields: () => string][] = [
  ['an email with a NUL', 400, () => form({ email: `${email}\u0000`, password: 'x' })],
  ['an email with CR/LF', 400, () => form({ email: `${email}\r\nBcc: x@example.com`, password: 'x' })],
  ['an email with a right-to-left override', 400, () => form({ email: `\u202E${email}`, password: 'x' })],
  ['an email with a bell', 400, () => form({ email: `a\u0007@example.com`, password: 'x' })],
  ['an email of 10,000 characters', 400, () => form({ email: 'a'.repeat(10_000) + '@example.com', password: 'x' })],
  ['a password of 10,000 characters', 400, () => form({ email, password: 'x'.repeat(10_000) })],
  ['the email twice', 400, () => `${form({ email })}&email=b%40example.com&password=x`],
  ['the password twice', 400, () => `${form({ email, password: 'x' })}&password=y`],
  ['a next of 3,000 characters', 400, () => form({ email, password: 'x', next: '/' + 'a'.repeat(3000) })],
  ['an email in malformed percent-encoding (kept as it is)', 401, () => 'email=%E0%A4%A&password=x'],
  ['an email field in upper case', 401, () => form({ EMAIL: email, password: TEST_PASSWORD })],
  ['email[] instead of email', 401, () => form({ 'email[]': email, password: TEST_PASSWORD })],
  ['no fields', 401, () => ''],
  ['a wrong password', 401, () => form({ email, password: 'wrong password' })],
  ['an unknown email', 401, () => form({ email: 'nobody@example.com', password: TEST_PASSWORD })],
];

describe('POST /login', () => {
  it.each(LOGIN_FIELDS)('refuses %s with a %i page, and opens no session', async (_name, status, fields) => {
    const browser = await freshBrowser();
    const body = [fields(), `csrf_token=${encodeURIComponent(browser.csrf)}`].filter(Boolean).join('&');
    const res = await postForm('/login', body, browser.cookie);
    expect(res.headers.get('set-cookie') ?? '').not.toMatch(/airlift_session=[^;]/);
    await expectPageError(res, status);
  });
  it('refuses a body that is not a form with a 400 page', async () => {
    const browser = await freshBrowser();
    const res = await call(h, 'POST', '/login', { session: null, body: `csrf_token=${browser.csrf}`, contentType: 'text/plain', headers: { cookie: browser.cookie, 'x-csrftoken': browser.csrf } });
    await expectPageError(res, 400);
  });
});

describe('/setup/:token', () => {
  it.each([
    ['a NUL', '%00'],
    ['a guessed token', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['2,000 characters', 'a'.repeat(2000)],
    ['an encoded ../', '%2e%2e%2f%2e%2e%2flogin'],
  ])('GET with %s answers a 404 page', async (_name, token) => {
    await expectPageError(await call(h, 'GET', `/setup/${token}`, { session: null }), 404);
  });
  it.each([
    ['a guessed token', 404, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', form({ email: 'boss@example.com', password: TEST_PASSWORD })],
    ['an email with a NUL', 400, 'AAAA', form({ email: 'boss\u0000@example.com', password: TEST_PASSWORD })],
    ['an email of 10,000 characters', 400, 'AAAA', form({ email: 'a'.repeat(10_000), password: TEST_PASSWORD })],
    ['a password of 10,000 characters', 400, 'AAAA', form({ email: 'boss@example.com', password: 'x'.repeat(10_000) })],
  ] as const)('POST with %s answers a %i page, and creates no user', async (_name, status, token, fields) => {
    const browser = await freshBrowser();
    await expectPageError(await postForm(`/setup/${token}`, `${fields}&csrf_token=${encodeURIComponent(browser.csrf)}`, browser.cookie), status);
  });
});

// ---- The edit forms ------------------------------------------------------------------

const EDITS: [name: string, status: number, fields: string][] = [
  ['a title with a NUL', 400, form({ title: 'a\u0000b' })],
  ['a title with CR/LF', 400, form({ title: 'a\r\nb' })],
  ['a title with a right-to-left override', 400, form({ title: 'a\u202Eb' })],
  ['a title with a C1 control', 400, form({ title: 'a\u0085b' })],
  ['an empty title', 400, form({ title: '' })],
  ['a title of only spaces', 400, form({ title: '   ' })],
  ['a title of 256 characters', 400, form({ title: 'x'.repeat(256) })],
  ['a title of 100,000 characters', 400, form({ title: 'x'.repeat(100_000) })],
  ['the title twice', 400, `${form({ title: 'a' })}&title=b`],
  ['a description with a NUL', 400, form({ title: 'ok', description: 'a\u0000b' })],
  ['a description with a bell', 400, form({ title: 'ok', description: 'a\u0007b' })],
  ['a description of 10,001 characters', 400, form({ title: 'ok', description: 'x'.repeat(10_001) })],
  ['an extra field owner_id', 400, form({ title: 'ok', owner_id: '2' })],
  ['an extra field file_key', 400, form({ title: 'ok', file_key: 'videos/x.mp4' })],
];

describe.each([
  ['video', () => `/videos/${h.fx.aliceVideo.id}/edit`],
  ['photo', () => `/photos/${h.fx.alicePhoto.id}/edit`],
])('the %s edit form', (_kind, path) => {
  it.each(EDITS)('refuses %s with a %i page', async (_name, status, fields) => {
    await expectPageError(await postForm(path(), `${fields}&csrf_token=${encodeURIComponent(h.alice.csrf)}`), status);
  });
  it('refuses a JSON body without the form’s csrf_token field with a 400 page', async () => {
    await expectPageError(await call(h, 'POST', path(), { json: { title: 'JSON' } }), 400);
  });
});

// ---- /media/<key> --------------------------------------------------------------------

describe('GET /media/<key>', () => {
  it.each([
    ['a key with a NUL', () => 'videos/x%00.mp4'],
    ['a saved key with a NUL after it', () => `${h.fx.aliceVideo.key}%00`],
    ['a key with CR/LF', () => 'videos/x%0d%0a.mp4'],
    ['no key', () => ''],
    ['an encoded ../', () => '..%2f..%2fsecret.key'],
    ['a key of 2,100 characters', () => 'a'.repeat(2100)],
    ['a guessed key', () => 'videos/7d444840-9dc0-41d1-b245-5ffdce74fad2.mp4'],
    ['another user’s pending upload', () => h.fx.bobSeedVideo.file_key],
    ['a saved key in upper case', () => h.fx.aliceVideo.key.toUpperCase()],
    ['a key of 2,000 characters', () => 'a'.repeat(2000)],
  ])('answers 404 for %s', async (_name, key) => {
    await expectApiError(await call(h, 'GET', `/media/${key()}`), 404, 'not_found');
  });
  it('answers 404 for encoded .. segments', async () => {
    await expectApiError(await call(h, 'GET', '/media/videos/%2e%2e/%2e%2e/secret.key', { verbatim: true }), 404, 'not_found');
  });
  it('answers 401 without a session', async () => {
    await expectApiError(await call(h, 'GET', `/media/${h.fx.aliceVideo.key}`, { session: null }), 401, 'unauthorized');
  });
  // Fastify's own refusals, in the one shape once the error table covers them.
  it.each([
    ['malformed percent-encoding', 400, 'videos/%zz.mp4'],
    ['an encoded lone surrogate (not UTF-8)', 400, 'videos/x%ED%A0%80.mp4'],
  ] as const)('refuses %s with %i', async (_name, status, key) => {
    await expectApiError(await call(h, 'GET', `/media/${key}`), status);
  });
});

describe('pages without a session', () => {
  it.each([
    ['CR/LF in the query', '/videos/new?x=%0d%0aSet-Cookie:%20a=b'],
    ['a tab in the query', '/photos/new?x=%09'],
    ['a quote and markup in the query', '/?videos=%22%3E%3Cscript%3E'],
  ])('send %s to the login page with a next that stays on the site', async (_name, path) => {
    const res = await call(h, 'GET', path, { session: null });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(/^\/login\?next=%2F[\x21-\x7e]*$/);
  });
  it.each([
    ['a protocol-relative path', '//evil.example/'],
    ['a backslash path', '/%5Cevil.example'],
  ])('answer 404 to %s', async (_name, path) => {
    await expectApiError(await call(h, 'GET', path, { session: null }), 404, 'not_found');
  });
});
