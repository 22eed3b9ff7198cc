/**
 * Hostile path and query parameters: upload ids that are not uuids (36 dashes, 36 zeros),
 * media ids beyond a 32-bit integer, other users' ids, malformed percent-encoding, `../`,
 * paths longer than the router takes, duplicate and mixed-case query parameters, forged
 * cursors. Each is refused with the right 4xx in the one error shape, and writes nothing.
 */
import { describe, it } from 'vitest';
import { call, expectApiError, expectPageError, useHostileApp, type Fixtures } from './fixture.ts';

const h = useHostileApp();

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const GUESSED_UUID = '7d444840-9dc0-41d1-b245-5ffdce74fad2';

// ---- Upload ids ----------------------------------------------------------------------

type IdCase = [name: string, id: (fx: Fixtures) => string, status: number];

const UPLOAD_IDS: IdCase[] = [
  ['36 dashes', () => '-'.repeat(36), 404],
  ['36 zeros', () => '0'.repeat(36), 404],
  ['36 f’s', () => 'f'.repeat(36), 404],
  ['a word', () => 'not-a-uuid', 404],
  ['the nil uuid', () => '00000000-0000-0000-0000-000000000000', 404],
  ['a guessed uuid', () => GUESSED_UUID, 404],
  ['another user’s upload', (fx) => fx.bobVideoUpload.id, 404],
  ['a uuid with a NUL after it', (fx) => `${fx.alicePending.id}%00`, 404],
  ['a uuid with a space after it', (fx) => `${fx.alicePending.id}%20`, 404],
  ['a uuid in braces', (fx) => `%7B${fx.alicePending.id}%7D`, 404],
  ['a uuid without its dashes', (fx) => fx.alicePending.id.replaceAll('-', ''), 404],
  ['a uuid with dashes moved', (fx) => fx.alicePending.id.replaceAll('-', '').replace(/^(.{4})(.{4})/, '$1-$2-') + '--', 404],
  ['%2e%2e%2f (encoded ../)', () => '%2e%2e%2f%2e%2e%2fvideos', 404],
  ['2,000 characters', () => 'a'.repeat(2000), 404],
  // Fastify's own refusals, in the one shape once the error table covers them.
  ['2,100 characters', () => 'a'.repeat(2100), 414],
  ['a lone %', () => '%', 400],
  ['malformed percent-encoding', () => '%zz' + 'a'.repeat(33), 400],
  ['an overlong UTF-8 encoding of /', () => '%C0%AF', 400],
];

const UPLOAD_ROUTES: { name: string; method: string; path: (id: string) => string; json?: unknown }[] = [
  { name: 'GET /api/v1/uploads/:id', method: 'GET', path: (id) => `/api/v1/uploads/${id}` },
  { name: 'POST /api/v1/uploads/:id/parts', method: 'POST', path: (id) => `/api/v1/uploads/${id}/parts`, json: { part_numbers: [1] } },
  { name: 'POST /api/v1/uploads/:id/complete', method: 'POST', path: (id) => `/api/v1/uploads/${id}/complete`, json: { parts: [] } },
  { name: 'DELETE /api/v1/uploads/:id', method: 'DELETE', path: (id) => `/api/v1/uploads/${id}` },
];

describe.each(UPLOAD_ROUTES)('$name', (route) => {
  it.each(UPLOAD_IDS)('refuses an id of %s', async (_name, id, status) => {
    await expectApiError(await call(h, route.method, route.path(id(h.fx)), { json: route.json }), status);
  });
});

// ---- Media ids -----------------------------------------------------------------------

const MEDIA_IDS: IdCase[] = [
  ['2147483648 (one past int32)', () => '2147483648', 404],
  ['9999999999', () => '9999999999', 404],
  ['20 digits', () => '99999999999999999999', 404],
  ['0', () => '0', 404],
  ['-1', () => '-1', 404],
  ['1.5', () => '1.5', 404],
  ['1e3', () => '1e3', 404],
  ['0x10', () => '0x10', 404],
  ['a leading zero (an alias of a real id)', (fx) => `0${fx.bobVideo.id}`, 404],
  ['a leading space', (fx) => `%20${fx.bobVideo.id}`, 404],
  ['a fullwidth digit', () => '%EF%BC%91', 404],
  ['an id with a NUL after it', (fx) => `${fx.bobVideo.id}%00`, 404],
  ['NaN', () => 'NaN', 404],
  ['Infinity', () => 'Infinity', 404],
];
/** Fastify's own refusals, in the one shape once the error table covers them. */
const MEDIA_IDS_ROUTER: IdCase[] = [
  ['2,100 characters', () => '1'.repeat(2100), 414],
  ['malformed percent-encoding', () => '%zz', 400],
];

const API_MEDIA_ROUTES: { name: string; method: string; path: (id: string) => string; json?: unknown }[] = [
  { name: 'GET /api/v1/videos/:id', method: 'GET', path: (id) => `/api/v1/videos/${id}` },
  { name: 'PATCH /api/v1/videos/:id', method: 'PATCH', path: (id) => `/api/v1/videos/${id}`, json: { title: 'Changed' } },
  { name: 'DELETE /api/v1/videos/:id', method: 'DELETE', path: (id) => `/api/v1/videos/${id}` },
  { name: 'GET /api/v1/photos/:id', method: 'GET', path: (id) => `/api/v1/photos/${id}` },
  { name: 'PATCH /api/v1/photos/:id', method: 'PATCH', path: (id) => `/api/v1/photos/${id}`, json: { title: 'Changed' } },
  { name: 'DELETE /api/v1/photos/:id', method: 'DELETE', path: (id) => `/api/v1/photos/${id}` },
];

describe.each(API_MEDIA_ROUTES)('$name', (route) => {
  it.each([...MEDIA_IDS, ...MEDIA_IDS_ROUTER])('refuses an id of %s', async (_name, id, status) => {
    await expectApiError(await call(h, route.method, route.path(id(h.fx)), { json: route.json }), status);
  });
});

describe('another user’s item', () => {
  it.each([
    ['PATCH', '/api/v1/videos', { title: 'Mine now' }],
    ['DELETE', '/api/v1/videos', undefined],
  ] as const)('%s %s/:id of Bob’s video by Alice is forbidden', async (method, base, json) => {
    await expectApiError(await call(h, method, `${base}/${h.fx.bobVideo.id}`, { json }), 403, 'forbidden');
  });
  it.each([
    ['POST', '/videos/:id/edit', 'title=Mine+now'],
    ['POST', '/videos/:id/delete', ''],
  ] as const)('the page form %s %s of Bob’s video by Alice is forbidden', async (method, path, fields) => {
    const body = `csrf_token=${encodeURIComponent(h.alice.csrf)}${fields ? '&' + fields : ''}`;
    const res = await call(h, method, path.replace(':id', String(h.fx.bobVideo.id)), { body, contentType: 'application/x-www-form-urlencoded' });
    await expectPageError(res, 403);
  });
});

const PAGE_MEDIA_ROUTES: { name: string; method: string; path: (id: string) => string; form?: string }[] = [
  { name: 'GET /videos/:id', method: 'GET', path: (id) => `/videos/${id}` },
  { name: 'GET /photos/:id', method: 'GET', path: (id) => `/photos/${id}` },
  { name: 'POST /videos/:id/edit', method: 'POST', path: (id) => `/videos/${id}/edit`, form: 'title=Changed' },
  { name: 'POST /photos/:id/edit', method: 'POST', path: (id) => `/photos/${id}/edit`, form: 'title=Changed' },
  { name: 'POST /videos/:id/delete', method: 'POST', path: (id) => `/videos/${id}/delete`, form: '' },
  { name: 'POST /photos/:id/delete', method: 'POST', path: (id) => `/photos/${id}/delete`, form: '' },
];

describe.each(PAGE_MEDIA_ROUTES)('page $name', (route) => {
  it.each(MEDIA_IDS)('answers a 404 page for an id of %s', async (_name, id, status) => {
    const body = route.form === undefined ? undefined : `csrf_token=${encodeURIComponent(h.alice.csrf)}${route.form ? '&' + route.form : ''}`;
    const res = await call(h, route.method, route.path(id(h.fx)), { body, contentType: body === undefined ? null : 'application/x-www-form-urlencoded' });
    await expectPageError(res, status);
  });
});

// ---- Query parameters ----------------------------------------------------------------

const PRESIGN_QUERIES: [name: string, query: string, status: number][] = [
  ['no parameters', '', 400],
  ['an empty filename', 'filename=&type=video', 400],
  ['an unknown type', 'filename=a.mp4&type=audio', 400],
  ['a type in upper case', 'filename=a.mp4&type=VIDEO', 400],
  ['type=thumbnail', 'filename=a.jpg&type=thumbnail', 400],
  ['a type with a NUL', 'filename=a.mp4&type=video%00', 400],
  ['the type twice', 'filename=a.mp4&type=video&type=photo', 400],
  ['the filename twice', 'filename=a.mp4&filename=b.mp4&type=video', 400],
  ['the filename in mixed case', 'Filename=a.mp4&type=video', 400],
  ['the filename in upper case', 'FILENAME=a.mp4&type=video', 400],
  ['a photo’s name as a video', 'filename=a.jpg&type=video', 415],
  ['a video’s name as a photo', 'filename=a.mp4&type=photo', 415],
  ['a filename of 10,000 characters', `filename=${'a'.repeat(10_000)}.mp4&type=video`, 400],
];

describe('GET /api/generate-presigned-url/', () => {
  it.each(PRESIGN_QUERIES)('refuses %s', async (_name, query, status) => {
    await expectApiError(await call(h, 'GET', `/api/generate-presigned-url/?${query}`), status);
  });
});

const LIST_QUERIES: [name: string, query: string][] = [
  ['limit 0', 'limit=0'],
  ['limit 101', 'limit=101'],
  ['limit -1', 'limit=-1'],
  ['limit 1.5', 'limit=1.5'],
  ['limit a word', 'limit=ten'],
  ['limit 1e999', 'limit=1e999'],
  ['limit beyond 2^53', 'limit=9007199254740993'],
  ['limit empty', 'limit='],
  ['limit a NUL', 'limit=%00'],
  ['limit twice', 'limit=1&limit=2'],
  ['a cursor of garbage', 'cursor=garbage'],
  ['a cursor past int32', `cursor=${b64('2147483648')}`],
  ['a cursor of ten nines', `cursor=${b64('9999999999')}`],
  ['a cursor of 0', `cursor=${b64('0')}`],
  ['a negative cursor', `cursor=${b64('-5')}`],
  ['a fractional cursor', `cursor=${b64('1.5')}`],
  ['a cursor in exponent form', `cursor=${b64('1e3')}`],
  ['a cursor of 101 characters', `cursor=${'A'.repeat(101)}`],
  ['a cursor with a NUL', 'cursor=%00'],
  ['the cursor twice', `cursor=${b64('5')}&cursor=${b64('6')}`],
];

describe.each(['/api/v1/videos', '/api/v1/photos'])('GET %s', (list) => {
  it.each(LIST_QUERIES)('refuses %s', async (_name, query) => {
    await expectApiError(await call(h, 'GET', `${list}?${query}`), 400);
  });
});

describe('GET / (the library page)', () => {
  it.each([
    ['a cursor of garbage', 'videos=garbage'],
    ['a cursor past int32', `videos=${b64('2147483648')}`],
    ['a photos cursor of ten nines', `photos=${b64('9999999999')}`],
    ['a cursor of 101 characters', `photos=${'A'.repeat(101)}`],
    ['the cursor twice', `videos=${b64('5')}&videos=${b64('6')}`],
    ['a cursor with a NUL', 'videos=%00'],
  ])('answers a 400 page for %s', async (_name, query) => {
    await expectPageError(await call(h, 'GET', `/?${query}`), 400);
  });
});
