/**
 * Hostile use of the store's signed URLs: forged, tampered, expired and replayed URLs, URLs
 * bent to another key, method, type, length or part, bodies of the wrong size, type or
 * digest, and keys that climb out of the store. On the local store (the app serves these
 * URLs: each refusal in the one error shape) and on the S3 test server (the bucket answers in
 * its own XML; what matters there is the status and that nothing is stored), plus the app's
 * own calls to the store with hostile input. Nothing is written and no object is stored.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { SeedPresigned, UploadCreated } from '../../src/shared/api.ts';
import { verifyStoredObject } from '../../src/uploads/service.ts';
import { mediaBytes } from '../media-bytes.ts';
import { call, expectApiError, sendVerbatim, useHostileApp, type Hostile } from './fixture.ts';

const MiB = 1024 * 1024;
const bytes = (size: number) => new Uint8Array(size).fill(1);
/** A body that opens as a real file of `contentType`. */
const media = (contentType: string, size: number) => new Uint8Array(mediaBytes(contentType, size));
const html = (size: number) => new Uint8Array(Buffer.from('<!doctype html><html><body><script>window.ran = true</script></body></html>'.padEnd(size, ' ')));
const svg = (size: number) => new Uint8Array(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>window.ran = true</script></svg>'.padEnd(size, ' ')));

/** Checks a seed ticket's stored object as a save does (records its ETag), without saving. */
async function completeSeed(h: Hostile, fileKey: string): Promise<void> {
  const upload = await h.t.app.db.selectFrom('uploads').selectAll().where('key', '=', fileKey).executeTakeFirstOrThrow();
  await verifyStoredObject(h.t.app, upload);
}

/** A fresh ticket of Alice's; the case's snapshot is taken after it. */
async function ticket(h: Hostile, options: { size?: number; part_size?: number; contentType?: string; filename?: string } = {}): Promise<UploadCreated> {
  const { size = 2000, part_size, contentType = 'video/mp4', filename = 'clip.mp4' } = options;
  const res = await call(h, 'POST', '/api/v1/uploads', { json: { filename, size, content_type: contentType, kind: contentType.startsWith('image/') ? 'photo' : 'video', part_size } });
  expect(res.status, await res.clone().text()).toBe(201);
  const created = (await res.json()) as UploadCreated;
  await h.mark();
  return created;
}

async function partUrl(h: Hostile, upload: UploadCreated, partNumber: number): Promise<string> {
  const res = await call(h, 'POST', `/api/v1/uploads/${upload.id}/parts`, { json: { part_numbers: [partNumber] } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { parts: { url: string }[] }).parts[0]!.url;
}

/** The URL with one query parameter set, removed (null), or its value changed by `change`. */
function withParam(url: string, name: string, value: string | null | ((old: string) => string)): string {
  const u = new URL(url);
  if (value === null) u.searchParams.delete(name);
  else u.searchParams.set(name, typeof value === 'function' ? value(u.searchParams.get(name) ?? '') : value);
  return u.toString();
}

const flipLast = (s: string) => s.slice(0, -1) + (s.endsWith('A') ? 'B' : 'A');

const put = (url: string, body: Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}) => fetch(url, { method: 'PUT', headers, body });

async function expectNothingStored(h: Hostile, key: string): Promise<void> {
  expect(await h.t.app.storage.head(key), `an object was stored under ${key}`).toBeNull();
}

// ---- The local store ---------------------------------------------------------------------

describe('the local store', () => {
  const h = useHostileApp({ storage: 'local' });

  /** Bent URLs for a single PUT: each is refused with `status` and `code`. */
  const BENT_PUTS: [name: string, bend: (url: string, other: UploadCreated) => string, status: number, code: string][] = [
    ['no query string', (url) => url.split('?')[0]!, 403, 'access_denied'],
    ['no signature', (url) => withParam(url, 'signature', null), 403, 'access_denied'],
    ['no expiry', (url) => withParam(url, 'expires', null), 403, 'access_denied'],
    ['a tampered signature', (url) => withParam(url, 'signature', flipLast), 403, 'signature_mismatch'],
    ['an empty signature', (url) => withParam(url, 'signature', ''), 403, 'access_denied'],
    ['a signature with a NUL', (url) => withParam(url, 'signature', (s) => s + '\u0000'), 403, 'signature_mismatch'],
    ['the signature of another URL', (url, other) => withParam(url, 'signature', new URL(other.url!).searchParams.get('signature')!), 403, 'signature_mismatch'],
    ['an expiry pushed back an hour', (url) => withParam(url, 'expires', (e) => String(Number(e) + 3600)), 403, 'signature_mismatch'],
    ['an expiry that is not a number', (url) => withParam(url, 'expires', 'tomorrow'), 403, 'access_denied'],
    ['an expiry of 17 digits', (url) => withParam(url, 'expires', '1'.repeat(17)), 403, 'access_denied'],
    ['a negative expiry', (url) => withParam(url, 'expires', '-1'), 403, 'access_denied'],
    ['a length made larger', (url) => withParam(url, 'length', '999999999'), 403, 'signature_mismatch'],
    ['the length removed', (url) => withParam(url, 'length', null), 403, 'signature_mismatch'],
    ['a type made text/html', (url) => withParam(url, 'type', 'text/html'), 403, 'signature_mismatch'],
    ['a filename added', (url) => withParam(url, 'filename', 'x.html'), 403, 'signature_mismatch'],
    ['a duplicate type placed first', (url) => url.replace('?', '?type=text%2Fhtml&'), 403, 'signature_mismatch'],
    ['parameter names in upper case', (url) => url.replace('expires=', 'EXPIRES=').replace('signature=', 'SIGNATURE='), 403, 'access_denied'],
    ['the key of another ticket', (url, other) => url.replace(/\/store\/[^?]+/, new URL(other.url!).pathname), 403, 'signature_mismatch'],
    ['the key in upper case', (url) => url.replace(/\/store\/[^?]+/, (p) => p.toUpperCase().replace('/STORE/', '/store/')), 403, 'signature_mismatch'],
    ['a key outside the store (../)', (url) => url.replace(/\/store\/[^?]+/, '/store/..%2f..%2fsecret.key'), 400, 'invalid_key'],
    ['a key in the store’s own folder', (url) => url.replace(/\/store\/[^?]+/, '/store/.airlift/meta/x.json'), 400, 'invalid_key'],
    ['a key with a NUL', (url) => url.replace(/\/store\/[^?]+/, '/store/videos/x%00.mp4'), 400, 'invalid_key'],
    ['a key with a backslash', (url) => url.replace(/\/store\/[^?]+/, '/store/videos%5c..%5c..%5csecret.key'), 400, 'invalid_key'],
    ['a key with an empty segment', (url) => url.replace(/\/store\/[^?]+/, '/store/videos//x.mp4'), 400, 'invalid_key'],
    ['a key of 1,100 bytes', (url) => url.replace(/\/store\/[^?]+/, `/store/videos/${'a'.repeat(1100)}`), 400, 'invalid_key'],
  ];

  describe('PUT of a single-PUT URL', () => {
    it.each(BENT_PUTS)('refuses %s', async (_name, bend, status, code) => {
      const upload = await ticket(h);
      const other = await ticket(h);
      const res = await put(bend(upload.url!, other), bytes(2000), upload.headers);
      await expectApiError(res, status, code);
      await expectNothingStored(h, upload.key);
      await expectNothingStored(h, other.key);
    });

    it.each([
      ['another content type', { 'content-type': 'video/webm' }, 2000, 415, 'content_type_mismatch'],
      ['no content type', {}, 2000, 415, 'content_type_mismatch'],
      ['the content type with a charset', { 'content-type': 'video/mp4; charset=utf-8' }, 2000, 415, 'content_type_mismatch'],
      ['text/html', { 'content-type': 'text/html' }, 2000, 415, 'content_type_mismatch'],
      ['a body longer than signed', { 'content-type': 'video/mp4' }, 3000, 413, 'too_large'],
      ['a body shorter than signed', { 'content-type': 'video/mp4' }, 1000, 400, 'incomplete_body'],
      ['an empty body', { 'content-type': 'video/mp4' }, 0, 400, 'incomplete_body'],
      ['a wrong Content-MD5', { 'content-type': 'video/mp4', 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' }, 2000, 400, 'bad_digest'],
      ['a malformed Content-Range', { 'content-type': 'video/mp4', 'content-range': 'bytes=0-10' }, 2000, 400, 'invalid_range'],
      ['a Content-Range past the signed length', { 'content-type': 'video/mp4', 'content-range': 'bytes 0-2999/3000' }, 2000, 400, 'invalid_range'],
      ['a Content-Range with a gap', { 'content-type': 'video/mp4', 'content-range': 'bytes 1000-1999/2000' }, 1000, 409, 'offset_mismatch'],
    ] as const)('refuses a PUT with %s', async (_name, headers, size, status, code) => {
      const upload = await ticket(h);
      await expectApiError(await put(upload.url!, bytes(size), { ...headers }), status, code);
      await expectNothingStored(h, upload.key);
    });

    it('refuses a GET with a PUT URL', async () => {
      const upload = await ticket(h);
      await expectApiError(await fetch(upload.url!), 403, 'signature_mismatch');
    });

    it('refuses an expired URL', async () => {
      const upload = await ticket(h);
      const short = await h.t.app.storage.presignPut(upload.key, { contentType: 'video/mp4', contentLength: 2000, expiresIn: 1 });
      await sleep(2100);
      await expectApiError(await put(short.url, bytes(2000), short.headers), 403, 'url_expired', /expired/);
      await expectNothingStored(h, upload.key);
    });

    it('refuses a PUT of another user’s saved object with a URL of one’s own', async () => {
      const upload = await ticket(h);
      const res = await put(upload.url!.replace(/\/store\/[^?]+/, `/store/${h.fx.bobVideo.key}`), bytes(2000), upload.headers);
      await expectApiError(res, 403, 'signature_mismatch');
      expect((await h.t.app.storage.head(h.fx.bobVideo.key))?.size).toBe(1000);
    });

    it.each([
      ['POST', 404],
      ['DELETE', 404],
      ['PATCH', 404],
    ])('answers %s on a store URL with %i', async (method, status) => {
      const upload = await ticket(h);
      await expectApiError(await fetch(upload.url!, { method, headers: upload.headers, body: method === 'DELETE' ? undefined : bytes(10) }), status, 'not_found');
    });

    it('refuses a key of 2,100 characters', async () => {
      const upload = await ticket(h);
      await expectApiError(await put(upload.url!.replace(/\/store\/[^?]+/, `/store/${'a'.repeat(2100)}`), bytes(2000), upload.headers), 400, 'invalid_key');
    });

    it('refuses a key with encoded .. segments', async () => {
      const upload = await ticket(h);
      const url = upload.url!.replace(/\/store\/[^?]+/, '/store/videos/%2e%2e/%2e%2e/secret.key');
      await expectApiError(await sendVerbatim(url, 'PUT', upload.headers, bytes(2000)), 400, 'invalid_key');
    });

    // Fastify's own refusal, in the one shape once the error table covers it.
    it('refuses a key with malformed percent-encoding', async () => {
      const upload = await ticket(h);
      await expectApiError(await put(upload.url!.replace(/\/store\/[^?]+/, '/store/videos/%zz.mp4'), bytes(2000), upload.headers), 400);
    });

    it('refuses the URL once the upload is complete (412), and the object keeps its bytes', async () => {
      const upload = await ticket(h);
      const body = media('video/mp4', 2000);
      expect((await put(upload.url!, body, upload.headers)).status).toBe(200);
      expect((await call(h, 'POST', `/api/v1/uploads/${upload.id}/complete`, { json: { parts: [] } })).status).toBe(200);
      await h.mark();
      await expectApiError(await put(upload.url!, media('video/mp4', 2000), upload.headers), 412, 'precondition_failed', /already stored/);
      expect(Buffer.from((await h.t.app.storage.readStart(upload.key, 4000))!).equals(body)).toBe(true);
    });

    it('refuses the URL of a saved photo, which keeps its bytes under its record', async () => {
      const upload = await ticket(h, { contentType: 'image/png', filename: 'p.png' });
      const body = media('image/png', 2000);
      expect((await put(upload.url!, body, upload.headers)).status).toBe(200);
      expect((await call(h, 'POST', `/api/v1/uploads/${upload.id}/complete`, { json: { parts: [] } })).status).toBe(200);
      expect((await call(h, 'POST', '/api/v1/photos', { json: { title: 'Kept', upload_id: upload.id } })).status).toBe(201);
      await h.mark();
      await expectApiError(await put(upload.url!, media('image/png', 2000), upload.headers), 412, 'precondition_failed');
      expect(Buffer.from((await h.t.app.storage.readStart(upload.key, 4000))!).equals(body)).toBe(true);
    });

    it('refuses the URL of an aborted upload (403 url_voided), and stores nothing', async () => {
      const upload = await ticket(h);
      expect((await call(h, 'DELETE', `/api/v1/uploads/${upload.id}`)).status).toBe(204);
      await h.mark();
      await expectApiError(await put(upload.url!, media('video/mp4', 2000), upload.headers), 403, 'url_voided', /cancelled or its file deleted/);
      await expectNothingStored(h, upload.key);
    });

    it.each([
      ['a PNG declared as an MP4 video', 'video/mp4', 'clip.mp4', () => media('image/png', 2000), /not an MP4 video \(they look like a PNG image\)/],
      ['random bytes declared as an MP4 video', 'video/mp4', 'clip.mp4', () => new Uint8Array(randomBytes(2000)), /not an MP4 video \(no known file format/],
      ['an HTML page declared as a PNG photo', 'image/png', 'p.png', () => html(2000), /not a PNG image/],
      ['an SVG with script declared as a JPEG photo', 'image/jpeg', 'p.jpg', () => svg(2000), /not a JPEG image/],
      ['a JPEG declared as a PNG photo', 'image/png', 'p.png', () => media('image/jpeg', 2000), /not a PNG image \(they look like a JPEG image\)/],
    ])('refuses at complete %s (415), deleting the object and aborting the ticket', async (_name, contentType, filename, body, message) => {
      const upload = await ticket(h, { contentType, filename });
      expect((await put(upload.url!, body(), upload.headers)).status).toBe(200);
      await expectApiError(await call(h, 'POST', `/api/v1/uploads/${upload.id}/complete`, { json: { parts: [] } }), 415, 'content_mismatch', message);
      await expectNothingStored(h, upload.key);
      const state = (await (await call(h, 'GET', `/api/v1/uploads/${upload.id}`)).json()) as { state: string };
      expect(state.state).toBe('aborted');
      await expectApiError(await call(h, 'POST', contentType.startsWith('image/') ? '/api/v1/photos' : '/api/v1/videos', { json: { title: 'x', upload_id: upload.id } }), 409, 'upload_aborted');
      await h.mark(); // the ticket's abort is the one change
    });

    it('refuses at the seed save a file whose contents are not its type (415), leaving no record and no object', async () => {
      const res = await call(h, 'GET', '/api/generate-presigned-url/?filename=fake.mp4&type=video');
      const presigned = (await res.json()) as SeedPresigned;
      await h.mark();
      expect((await put(presigned.presigned_url, media('image/png', 3000), { 'content-type': presigned.content_type })).status).toBe(200);
      const save = await call(h, 'POST', '/api/save-video-metadata/', { json: { title: 'Fake', description: '', file_key: presigned.file_key, public_url: presigned.public_url } });
      await expectApiError(save, 415, 'content_mismatch', /not an MP4 video/);
      await expectNothingStored(h, presigned.file_key);
      await h.mark();
    });

    it('refuses a second write with the seed’s URL once its object is saved', async () => {
      const res = await call(h, 'GET', '/api/generate-presigned-url/?filename=once.mp4&type=video');
      const presigned = (await res.json()) as SeedPresigned;
      const body = media('video/mp4', 3000);
      expect((await put(presigned.presigned_url, body, { 'content-type': presigned.content_type })).status).toBe(200);
      const save = await call(h, 'POST', '/api/save-video-metadata/', { json: { title: 'Once', description: '', file_key: presigned.file_key, public_url: presigned.public_url } });
      expect(save.status).toBe(200);
      await h.mark();
      await expectApiError(await put(presigned.presigned_url, media('video/mp4', 3000), { 'content-type': presigned.content_type }), 412, 'precondition_failed');
      expect(Buffer.from((await h.t.app.storage.readStart(presigned.file_key, 4000))!).equals(body)).toBe(true);
    });
  });

  describe('PUT of a part URL', () => {
    it.each([
      ['another part number', (url: string) => withParam(url, 'part', '2'), 403, 'signature_mismatch'],
      ['part number 0', (url: string) => withParam(url, 'part', '0'), 403, 'signature_mismatch'],
      ['another upload id', (url: string) => withParam(url, 'upload', 'f'.repeat(32)), 403, 'signature_mismatch'],
      ['the upload id removed (a single PUT)', (url: string) => withParam(url, 'upload', null), 403, 'signature_mismatch'],
      ['the part number removed', (url: string) => withParam(url, 'part', null), 403, 'signature_mismatch'],
      ['a tampered signature', (url: string) => withParam(url, 'signature', flipLast), 403, 'signature_mismatch'],
    ] as const)('refuses %s', async (_name, bend, status, code) => {
      const upload = await ticket(h, { size: 15 * MiB, part_size: 5 * MiB });
      const url = await partUrl(h, upload, 1);
      await expectApiError(await put(bend(url), bytes(5 * MiB)), status, code);
      const parts = (await (await call(h, 'GET', `/api/v1/uploads/${upload.id}`)).json()) as { parts: unknown[] };
      expect(parts.parts).toEqual([]);
    });

    it('refuses a part larger than signed', async () => {
      const upload = await ticket(h, { size: 15 * MiB, part_size: 5 * MiB });
      await expectApiError(await put(await partUrl(h, upload, 1), bytes(5 * MiB + 1)), 413, 'too_large');
    });

    it('refuses a part URL once its upload was aborted, and stores nothing', async () => {
      const upload = await ticket(h, { size: 15 * MiB, part_size: 5 * MiB });
      const url = await partUrl(h, upload, 1);
      expect((await call(h, 'DELETE', `/api/v1/uploads/${upload.id}`)).status).toBe(204);
      await h.mark();
      await expectApiError(await put(url, bytes(5 * MiB)), 404, 'no_such_upload');
      await expectNothingStored(h, upload.key);
    });
  });

  describe('GET of a read URL', () => {
    const readUrl = (h: Hostile, key: string, expiresIn = 60) => h.t.app.storage.presignGet(key, { expiresIn });

    it.each([
      ['a tampered signature', (url: string) => withParam(url, 'signature', flipLast), 403, 'signature_mismatch'],
      ['an expiry pushed back', (url: string) => withParam(url, 'expires', (e) => String(Number(e) + 3600)), 403, 'signature_mismatch'],
      ['a filename added', (url: string) => withParam(url, 'filename', 'evil.html'), 403, 'signature_mismatch'],
      ['no signature', (url: string) => withParam(url, 'signature', null), 403, 'access_denied'],
      ['another user’s key', (url: string) => url.replace(/\/store\/[^?]+/, '/store/videos/other.mp4'), 403, 'signature_mismatch'],
    ] as const)('refuses %s', async (_name, bend, status, code) => {
      await expectApiError(await fetch(bend(await readUrl(h, h.fx.aliceVideo.key))), status, code);
    });

    it('refuses an expired read URL', async () => {
      const url = await readUrl(h, h.fx.aliceVideo.key, 1);
      await sleep(2100);
      await expectApiError(await fetch(url), 403, 'url_expired');
    });

    it('refuses a HEAD with a tampered signature', async () => {
      const res = await fetch(withParam(await readUrl(h, h.fx.aliceVideo.key), 'signature', flipLast), { method: 'HEAD' });
      expect(res.status).toBe(403);
    });

    it('refuses a PUT with a read URL, and the object stays', async () => {
      await expectApiError(await put(await readUrl(h, h.fx.aliceVideo.key), bytes(10), { 'content-type': 'video/mp4' }), 403, 'signature_mismatch');
      expect((await h.t.app.storage.head(h.fx.aliceVideo.key))?.size).toBe(1000);
    });

    it('answers a range past the end with 416', async () => {
      await expectApiError(await fetch(await readUrl(h, h.fx.aliceVideo.key), { headers: { range: 'bytes=5000-' } }), 416, 'range_not_satisfiable');
    });

    it('answers 404 for a read URL of a deleted object', async () => {
      const url = await readUrl(h, h.fx.aliceVideoUpload.key);
      expect((await call(h, 'DELETE', `/api/v1/uploads/${h.fx.aliceVideoUpload.id}`)).status).toBe(204);
      await h.mark();
      await expectApiError(await fetch(url), 404, 'no_such_key');
    });
  });
});

// ---- The S3 test server --------------------------------------------------------------------

describe('the S3 test server', () => {
  const h = useHostileApp({ storage: 's3' });

  /** The bucket answers in its own XML: only the status is checked, and that nothing is stored. */
  async function expectBucketRefusal(res: Response, status: number): Promise<void> {
    const text = await res.text();
    expect(res.status, text.slice(0, 300)).toBe(status);
  }

  describe('PUT of a single-PUT URL', () => {
    it.each([
      ['a tampered signature', (url: string) => withParam(url, 'X-Amz-Signature', (s) => s.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')))],
      ['an expiry pushed back', (url: string) => withParam(url, 'X-Amz-Expires', '604800')],
      ['a date moved', (url: string) => withParam(url, 'X-Amz-Date', (d) => d.replace(/^\d{4}/, '2099'))],
      ['the key of another ticket', (url: string, other: UploadCreated) => url.replace(/\/videos\/[^?]+/, `/${other.key}`)],
      ['the signature removed', (url: string) => withParam(url, 'X-Amz-Signature', null)],
    ])('refuses %s with 403', async (_name, bend) => {
      const upload = await ticket(h);
      const other = await ticket(h);
      await expectBucketRefusal(await put(bend(upload.url!, other), bytes(2000), upload.headers), 403);
      await expectNothingStored(h, upload.key);
      await expectNothingStored(h, other.key);
    });

    it.each([
      ['another content type', { 'content-type': 'video/webm' }, 2000, 403],
      ['a body longer than signed', { 'content-type': 'video/mp4' }, 3000, 403],
      ['a body shorter than signed', { 'content-type': 'video/mp4' }, 1000, 403],
    ] as const)('refuses a PUT with %s', async (_name, headers, size, status) => {
      const upload = await ticket(h);
      await expectBucketRefusal(await put(upload.url!, bytes(size), { ...headers }), status);
      await expectNothingStored(h, upload.key);
    });

    it('refuses an expired URL', async () => {
      const upload = await ticket(h);
      const short = await h.t.app.storage.presignPut(upload.key, { contentType: 'video/mp4', contentLength: 2000, expiresIn: 1 });
      await sleep(2100);
      await expectBucketRefusal(await put(short.url, bytes(2000), short.headers), 403);
      await expectNothingStored(h, upload.key);
    });

    it('refuses the URL once the upload is complete (412: it carries If-None-Match), and the object keeps its bytes', async () => {
      const upload = await ticket(h);
      expect(upload.headers).toMatchObject({ 'If-None-Match': '*' });
      const body = media('video/mp4', 2000);
      expect((await put(upload.url!, body, upload.headers)).status).toBe(200);
      expect((await call(h, 'POST', `/api/v1/uploads/${upload.id}/complete`, { json: { parts: [] } })).status).toBe(200);
      await h.mark();
      await expectBucketRefusal(await put(upload.url!, media('video/mp4', 2000), upload.headers), 412);
      // Without the condition the signature does not hold.
      await expectBucketRefusal(await put(upload.url!, media('video/mp4', 2000), { 'Content-Type': 'video/mp4' }), 403);
      expect(Buffer.from((await h.t.app.storage.readStart(upload.key, 4000))!).equals(body)).toBe(true);
    });

    it('refuses at complete a PNG declared as an MP4 video (415), deleting it', async () => {
      const upload = await ticket(h);
      expect((await put(upload.url!, media('image/png', 2000), upload.headers)).status).toBe(200);
      await expectApiError(await call(h, 'POST', `/api/v1/uploads/${upload.id}/complete`, { json: { parts: [] } }), 415, 'content_mismatch', /look like a PNG image/);
      await expectNothingStored(h, upload.key);
      await h.mark();
    });

    it('gives the seed a URL without the condition, and refuses to save an object replaced after its check (409 object_replaced)', async () => {
      const res = await call(h, 'GET', '/api/generate-presigned-url/?filename=twice.mp4&type=video');
      const presigned = (await res.json()) as SeedPresigned;
      expect(Object.keys(presigned.headers ?? {}).map((name) => name.toLowerCase())).toEqual(['content-type']);
      const headers = { 'content-type': presigned.content_type };
      expect((await put(presigned.presigned_url, media('video/mp4', 3000), headers)).status).toBe(200);
      // The upload is checked (its ETag kept), then the same URL replaces the object before the save.
      await completeSeed(h, presigned.file_key);
      expect((await put(presigned.presigned_url, media('video/mp4', 3000), headers)).status).toBe(200);
      const save = await call(h, 'POST', '/api/save-video-metadata/', { json: { title: 'Twice', description: '', file_key: presigned.file_key, public_url: presigned.public_url } });
      await expectApiError(save, 409, 'object_replaced', /replaced after its upload was complete/);
      await expectNothingStored(h, presigned.file_key);
      await h.mark();
    });

    it('does not serve a saved seed object that its URL replaced afterwards (409 object_replaced)', async () => {
      const res = await call(h, 'GET', '/api/generate-presigned-url/?filename=later.mp4&type=video');
      const presigned = (await res.json()) as SeedPresigned;
      const headers = { 'content-type': presigned.content_type };
      expect((await put(presigned.presigned_url, media('video/mp4', 3000), headers)).status).toBe(200);
      const save = await call(h, 'POST', '/api/save-video-metadata/', { json: { title: 'Later', description: '', file_key: presigned.file_key, public_url: presigned.public_url } });
      expect(save.status).toBe(200);
      expect((await call(h, 'GET', `/media/${presigned.file_key}`)).status).toBe(302);
      expect((await put(presigned.presigned_url, media('video/mp4', 3000), headers)).status).toBe(200);
      await h.mark();
      await expectApiError(await call(h, 'GET', `/media/${presigned.file_key}`), 409, 'object_replaced', /Upload the file again/);
    });
  });

  describe('a part URL', () => {
    it('is refused once its upload was aborted, and stores nothing', async () => {
      const upload = await ticket(h, { size: 15 * MiB, part_size: 5 * MiB });
      const url = await partUrl(h, upload, 1);
      expect((await call(h, 'DELETE', `/api/v1/uploads/${upload.id}`)).status).toBe(204);
      await h.mark();
      await expectBucketRefusal(await put(url, bytes(5 * MiB)), 404);
      await expectNothingStored(h, upload.key);
    });

    it('is refused with another part number', async () => {
      const upload = await ticket(h, { size: 15 * MiB, part_size: 5 * MiB });
      await expectBucketRefusal(await put(withParam(await partUrl(h, upload, 1), 'partNumber', '2'), bytes(5 * MiB)), 403);
    });
  });

  describe('the app’s calls to the bucket with hostile input', () => {
    it.each([
      ['ETags never stored', '"0123456789abcdef0123456789abcdef"', 400],
      ['XML in the ETags', '"</ETag></Part><Part><PartNumber>1</PartNumber><ETag>x"', 400],
      ['ampersands and quotes in the ETags', '"&amp;&lt;\'"', 400],
      ['a NUL in the ETags', '"abc\u0000"', 400],
      ['a lone surrogate in the ETags', '"abc\uD800"', 400],
    ])('complete refuses %s', async (_name, etag, status) => {
      const upload = await ticket(h, { size: 15 * MiB, part_size: 5 * MiB });
      const res = await call(h, 'POST', `/api/v1/uploads/${upload.id}/complete`, { json: { parts: [1, 2, 3].map((n) => ({ part_number: n, etag })) } });
      await expectApiError(res, status);
      await expectNothingStored(h, upload.key);
    });

    it('refuses to sign parts of an aborted upload', async () => {
      const upload = await ticket(h, { size: 15 * MiB, part_size: 5 * MiB });
      expect((await call(h, 'DELETE', `/api/v1/uploads/${upload.id}`)).status).toBe(204);
      await h.mark();
      await expectApiError(await call(h, 'POST', `/api/v1/uploads/${upload.id}/parts`, { json: { part_numbers: [1] } }), 409, 'upload_aborted');
    });

    it('refuses to complete a single PUT whose object never came', async () => {
      const upload = await ticket(h);
      await expectApiError(await call(h, 'POST', `/api/v1/uploads/${upload.id}/complete`, { json: { parts: [] } }), 409, 'object_missing');
    });

    it.each([
      ['a NUL', 'videos/x%00.mp4'],
      ['a guessed key', 'videos/7d444840-9dc0-41d1-b245-5ffdce74fad2.mp4'],
      ['another user’s pending upload', ''],
    ])('/media/ answers 404 for %s', async (_name, key) => {
      const target = key || h.fx.bobSeedVideo.file_key;
      await expectApiError(await call(h, 'GET', `/media/${target}`), 404, 'not_found');
    });
  });
});
