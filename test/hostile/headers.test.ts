/**
 * Hostile headers and cookies: every unsafe request without its CSRF token, or with a wrong,
 * forged or another browser's one; forged, expired, replayed and oversized session cookies;
 * requests that are not well-formed HTTP. Each is refused with the right 4xx in the one error
 * shape (an HTML page for the page forms), and writes nothing.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { openSession } from '../../src/auth/sessions.ts';
import { newCsrfToken, sessionBinding } from '../../src/auth/csrf.ts';
import { openLoginForm, submitLogin } from '../login.ts';
import { TEST_PASSWORD } from '../harness.ts';
import { call, expectApiError, expectPageError, useHostileApp, type Fixtures, type Session } from './fixture.ts';

const h = useHostileApp();

interface Unsafe {
  name: string;
  method: string;
  path: (fx: Fixtures) => string;
  /** A body that the endpoint would take: only the CSRF check stands in the way. */
  json?: (fx: Fixtures) => unknown;
  form?: string;
  page?: boolean;
}

const UNSAFE: Unsafe[] = [
  { name: 'POST /api/v1/uploads', method: 'POST', path: () => '/api/v1/uploads', json: () => ({ filename: 'a.mp4', size: 10, content_type: 'video/mp4', kind: 'video' }) },
  { name: 'POST /api/v1/uploads/:id/parts', method: 'POST', path: (fx) => `/api/v1/uploads/${fx.aliceMultipart.id}/parts`, json: () => ({ part_numbers: [1] }) },
  { name: 'POST /api/v1/uploads/:id/complete', method: 'POST', path: (fx) => `/api/v1/uploads/${fx.alicePending.id}/complete`, json: () => ({ parts: [] }) },
  { name: 'DELETE /api/v1/uploads/:id', method: 'DELETE', path: (fx) => `/api/v1/uploads/${fx.alicePending.id}` },
  { name: 'POST /api/v1/videos', method: 'POST', path: () => '/api/v1/videos', json: (fx) => ({ title: 'CSRF', upload_id: fx.aliceVideoUpload.id }) },
  { name: 'PATCH /api/v1/videos/:id', method: 'PATCH', path: (fx) => `/api/v1/videos/${fx.aliceVideo.id}`, json: () => ({ title: 'CSRF' }) },
  { name: 'DELETE /api/v1/videos/:id', method: 'DELETE', path: (fx) => `/api/v1/videos/${fx.aliceVideo.id}` },
  { name: 'POST /api/v1/photos', method: 'POST', path: () => '/api/v1/photos', json: (fx) => ({ title: 'CSRF', upload_id: fx.alicePhotoUpload.id }) },
  { name: 'PATCH /api/v1/photos/:id', method: 'PATCH', path: (fx) => `/api/v1/photos/${fx.alicePhoto.id}`, json: () => ({ title: 'CSRF' }) },
  { name: 'DELETE /api/v1/photos/:id', method: 'DELETE', path: (fx) => `/api/v1/photos/${fx.alicePhoto.id}` },
  { name: 'POST /api/save-video-metadata/', method: 'POST', path: () => '/api/save-video-metadata/', json: (fx) => ({ title: 'CSRF', file_key: fx.aliceSeedVideo.file_key }) },
  { name: 'POST /api/save-photo-metadata/', method: 'POST', path: () => '/api/save-photo-metadata/', json: (fx) => ({ title: 'CSRF', file_key: fx.aliceSeedPhoto.file_key }) },
  { name: 'POST /videos/:id/edit', method: 'POST', path: (fx) => `/videos/${fx.aliceVideo.id}/edit`, form: 'title=CSRF', page: true },
  { name: 'POST /videos/:id/delete', method: 'POST', path: (fx) => `/videos/${fx.aliceVideo.id}/delete`, form: '', page: true },
  { name: 'POST /photos/:id/edit', method: 'POST', path: (fx) => `/photos/${fx.alicePhoto.id}/edit`, form: 'title=CSRF', page: true },
  { name: 'POST /photos/:id/delete', method: 'POST', path: (fx) => `/photos/${fx.alicePhoto.id}/delete`, form: '', page: true },
];

/** How the CSRF token can be wrong: the header (or form field) sent, and the csrftoken cookie sent. */
const CSRF_CASES: { name: string; token: (s: Session, other: Session) => string | null; cookie: (s: Session, other: Session) => string | null; inQuery?: boolean }[] = [
  { name: 'no token', token: () => null, cookie: (s) => s.csrf },
  { name: 'an empty token', token: () => '', cookie: (s) => s.csrf },
  { name: 'a tampered token', token: (s) => s.csrf.slice(0, -3) + 'AAA', cookie: (s) => s.csrf },
  { name: 'the token of another browser', token: (_s, other) => other.csrf, cookie: (s) => s.csrf },
  { name: 'a forged token matching a forged cookie', token: () => 'forged.token', cookie: () => 'forged.token' },
  { name: 'a token without its cookie', token: (s) => s.csrf, cookie: () => null },
  { name: 'a token of 10,000 characters', token: () => 'x'.repeat(10_000), cookie: (s) => s.csrf },
  { name: 'the token in the query string only', token: () => null, cookie: (s) => s.csrf, inQuery: true },
  { name: 'a forged cookie planted before the real one', token: () => 'forged.token', cookie: (s) => `forged.token; csrftoken=${s.csrf}` },
];

function csrfRequest(e: Unsafe, c: (typeof CSRF_CASES)[number], session: Session, other: Session) {
  const token = c.token(session, other);
  const csrfCookie = c.cookie(session, other);
  const headers: Record<string, string> = { cookie: `airlift_session=${session.session}${csrfCookie === null ? '' : `; csrftoken=${csrfCookie}`}` };
  let body: string | undefined;
  let contentType: string | null = null;
  if (e.form !== undefined) {
    body = [e.form, token === null ? '' : `csrf_token=${encodeURIComponent(token)}`].filter(Boolean).join('&');
    contentType = 'application/x-www-form-urlencoded';
  } else {
    if (token !== null) headers['x-csrftoken'] = token;
    if (e.json) {
      body = JSON.stringify(e.json(h.fx));
      contentType = 'application/json';
    }
  }
  const query = c.inQuery ? `?csrf_token=${encodeURIComponent(session.csrf)}` : '';
  return call(h, e.method, e.path(h.fx) + query, { session: null, body, contentType, headers });
}

describe.each(UNSAFE)('$name', (e) => {
  it.each(CSRF_CASES)('refuses $name with 403', async (c) => {
    const res = await csrfRequest(e, c, h.alice, h.bob);
    if (e.page) await expectPageError(res, 403, /CSRF/);
    else await expectApiError(res, 403, 'csrf_failed', /CSRF/);
  });
  // The token is bound to the session: a pair from the attacker's own session, planted in the
  // victim's browser (a sibling subdomain can set cookies), does not pass on the victim's.
  it('refuses a valid token and cookie issued to another session', async () => {
    const res = await csrfRequest(e, { name: 'planted', token: (_s, o) => o.csrf, cookie: (_s, o) => o.csrf }, h.alice, h.bob);
    if (e.page) await expectPageError(res, 403, /CSRF/);
    else await expectApiError(res, 403, 'csrf_failed', /CSRF/);
  });
  it('refuses a valid token and cookie from another browser\'s GET /login', async () => {
    const csrf = /csrftoken=([^;]+)/.exec((await fetch(`${h.t.baseUrl}/login`)).headers.get('set-cookie') ?? '')![1]!;
    const res = await csrfRequest(e, { name: 'login page', token: () => csrf, cookie: () => csrf }, h.alice, h.bob);
    if (e.page) await expectPageError(res, 403, /CSRF/);
    else await expectApiError(res, 403, 'csrf_failed', /CSRF/);
  });
});

describe('POST /logout', () => {
  it.each(CSRF_CASES)('refuses $name with 403, and the session stays open', async (c) => {
    const res = await csrfRequest({ name: 'logout', method: 'POST', path: () => '/logout', form: '' }, c, h.alice, h.bob);
    await expectApiError(res, 403, 'csrf_failed');
    expect((await call(h, 'GET', '/api/v1/videos')).status).toBe(200);
  });
});

describe('POST /login', () => {
  it.each(CSRF_CASES)('refuses $name with a 403 page, and opens no session', async (c) => {
    const { email } = await h.t.app.db.selectFrom('users').select('email').orderBy('id').executeTakeFirstOrThrow();
    const res = await csrfRequest({ name: 'login', method: 'POST', path: () => '/login', form: `email=${encodeURIComponent(email)}&password=x`, page: true }, c, h.alice, h.bob);
    expect(res.headers.get('set-cookie') ?? '').not.toMatch(/airlift_session=[^;]/);
    await expectPageError(res, 403, /CSRF/);
  });
});

// ---- Session cookies -----------------------------------------------------------------

const SESSION_CASES: [name: string, headers: (s: Session) => Record<string, string>][] = [
  ['no cookie at all', () => ({})],
  ['a forged session', () => ({ cookie: 'airlift_session=forgedforgedforgedforgedforgedforgedforged' })],
  ['a session of 10,000 characters', () => ({ cookie: `airlift_session=${'a'.repeat(10_000)}` })],
  ['a session with a NUL', (s) => ({ cookie: `airlift_session=${s.session}%00` })],
  ['a session with malformed percent-encoding', () => ({ cookie: 'airlift_session=%E0%A4%A' })],
  ['a session cookie in upper case', (s) => ({ cookie: `AIRLIFT_SESSION=${s.session}` })],
  ['a cookie header of garbage', () => ({ cookie: ';;;=;=airlift_session;==' })],
  ['the session as a Bearer token', (s) => ({ authorization: `Bearer ${s.session}` })],
  ['a forged Bearer token', () => ({ authorization: 'Bearer forged' })],
  ['Basic credentials', () => ({ authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` })],
];

/** A Bearer token that is no API token is refused as one (`invalid_token`); anything else is no login. */
const refusal = (name: string) => (name.includes('Bearer') ? 'invalid_token' : 'unauthorized');

describe('session cookies', () => {
  it.each(SESSION_CASES)('GET /api/v1/videos refuses %s with 401', async (name, headers) => {
    await expectApiError(await call(h, 'GET', '/api/v1/videos', { session: null, headers: headers(h.alice) }), 401, refusal(name));
  });
  it.each(SESSION_CASES)('POST /api/v1/uploads refuses %s with 401', async (name, headers) => {
    const res = await call(h, 'POST', '/api/v1/uploads', { session: null, headers: { 'x-csrftoken': h.alice.csrf, ...headers(h.alice) }, json: { filename: 'a.mp4', size: 10, content_type: 'video/mp4', kind: 'video' } });
    await expectApiError(res, 401, refusal(name));
  });
  it.each(SESSION_CASES)('GET /videos/new sends %s to the login page', async (_name, headers) => {
    const res = await call(h, 'GET', '/videos/new', { session: null, headers: headers(h.alice) });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/login?next=%2Fvideos%2Fnew');
  });

  it('refuses a session replayed after logout', async () => {
    const userId = (await h.t.app.db.selectFrom('users').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
    const token = await openSession(h.t.app.db, userId);
    const csrf = newCsrfToken(h.t.config.secretKey, sessionBinding(token));
    const session = { cookie: `csrftoken=${csrf}; airlift_session=${token}`, csrf, session: token };
    expect((await call(h, 'GET', '/api/v1/videos', { session })).status).toBe(200);
    expect((await call(h, 'POST', '/logout', { session, body: `csrf_token=${csrf}`, contentType: 'application/x-www-form-urlencoded' })).status).toBe(303);
    await expectApiError(await call(h, 'GET', '/api/v1/videos', { session }), 401, 'unauthorized');
  });

  it('refuses an expired session', async () => {
    const userId = (await h.t.app.db.selectFrom('users').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
    const token = await openSession(h.t.app.db, userId);
    const { sha256 } = await import('../../src/auth/tokens.ts');
    await h.t.app.db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', sha256(token)).execute();
    await expectApiError(await call(h, 'GET', '/api/v1/videos', { session: { cookie: `airlift_session=${token}`, csrf: '', session: token } }), 401, 'unauthorized');
  });

  it('answers JSON to an API call whatever the Accept header asks for', async () => {
    await expectApiError(await call(h, 'GET', '/api/v1/videos', { session: null, headers: { accept: 'text/html' } }), 401, 'unauthorized');
  });
});

// ---- Requests that are not well-formed HTTP ------------------------------------------

/** Sends raw bytes and reads the whole answer (the server closes the connection after a bad request). */
function raw(request: string): Promise<{ status: number; headers: string; body: string }> {
  const url = new URL(h.t.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body: rest.join('\r\n\r\n') });
    });
    socket.setTimeout(5000, () => socket.destroy());
    socket.end(request);
  });
}

describe('requests that are not well-formed HTTP', () => {
  // Node's parser refuses these before Fastify sees a request; the answer is Fastify's client
  // error handler's, so the one shape comes with the error table that covers Fastify's own errors.
  it.each([
    ['a header line without a colon', 400, 'GET /login HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n'],
    ['both Content-Length and Transfer-Encoding', 400, 'POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n'],
    ['a Content-Length that is not a number', 400, 'POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\nConnection: close\r\n\r\n'],
    ['a header of 20 KB', 431, `GET /login HTTP/1.1\r\nHost: x\r\nCookie: a=${'b'.repeat(20_000)}\r\nConnection: close\r\n\r\n`],
    ['a request line with a control character', 400, 'GET /lo\u0001gin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
    // The declared 20 bytes are the request (refused: no session); with Connection: close the rest is never read as a request.
    ['a JSON body longer than its Content-Length', 401, 'POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20\r\nConnection: close\r\n\r\n{"filename":"a.mp4","size":10,"content_type":"video/mp4","kind":"video"}'],
  ] as const)('refuses %s with %i in the one shape', async (_name, status, request) => {
    const res = await raw(request);
    expect(res.status, res.headers).toBe(status);
    const body = JSON.parse(res.body) as { error: { code: string; message: string } };
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error.code).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(body.error.message.length).toBeGreaterThan(5);
  });
});

// ---- Login throttle ------------------------------------------------------------------

describe('login throttle', () => {
  it('ignores X-Forwarded-For without TRUST_PROXY, so rotating it does not reset the throttle', async () => {
    const email = 'nobody-xff@example.com';
    for (let i = 0; i < 5; i++) {
      const res = await submitLogin(h.t.baseUrl, await openLoginForm(h.t.baseUrl), email, 'wrong password!', { 'x-forwarded-for': `203.0.113.${i + 1}` });
      expect(res.status).toBe(401);
      await res.arrayBuffer();
    }
    const sixth = await submitLogin(h.t.baseUrl, await openLoginForm(h.t.baseUrl), email, 'wrong password!', { 'x-forwarded-for': '198.51.100.77' });
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
    await expectPageError(sixth, 429, /Too many failed attempts/);
  });

  it('does not let five wrong passwords from anyone lock the owner out: their browser logs in at once', async () => {
    const { email } = await h.t.app.db.selectFrom('users').select('email').orderBy('id').executeTakeFirstOrThrow();
    for (let i = 0; i < 6; i++) (await submitLogin(h.t.baseUrl, await openLoginForm(h.t.baseUrl), email, 'wrong password!')).body?.cancel();
    const stranger = await submitLogin(h.t.baseUrl, await openLoginForm(h.t.baseUrl), email, TEST_PASSWORD);
    expect(stranger.status).toBe(429);
    await stranger.arrayBuffer();
    // Alice's browser logged in to her account before: it carries her device cookie.
    const owner = await submitLogin(h.t.baseUrl, await openLoginForm(h.t.baseUrl, h.alice.device), email, TEST_PASSWORD);
    expect(owner.status).toBe(303);
    expect(owner.headers.get('set-cookie')).toMatch(/airlift_session=[^;]/);
  });
});
