/**
 * The HTTP API against a running server: the seed's three calls, the versioned upload and
 * media API, and every refusal a user can meet. Run on the embedded defaults (PGlite and the
 * local store) and on PostgreSQL with the S3 driver against the real S3 test server.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeedPresigned, UploadCreated, UploadState, VideoItem } from '../src/shared/api.ts';
import { startTestApp, type Session, type TestApp } from './harness.ts';
import { mediaBytes } from './media-bytes.ts';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
/** Random bytes typed as fetch accepts them. */
/** `size` bytes that open as a file of `contentType` (the content check at complete refuses others). */
const random = (size: number, contentType = 'video/mp4') => new Uint8Array(mediaBytes(contentType, size));

describe.each([
  { storage: 'local', database: 'pglite' },
  { storage: 's3', database: 'postgres' },
] as const)('API on $storage storage and $database', (setup) => {
  let t: TestApp;
  let alice: Session;
  let bob: Session;

  beforeAll(async () => {
    t = await startTestApp(setup);
    alice = await t.login();
    bob = await t.login();
  });
  afterAll(() => t?.close());

  const rowCount = async (table: 'videos' | 'photos') =>
    Number((await t.app.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  async function presign(session: Session, filename: string, type = 'video'): Promise<SeedPresigned> {
    const res = await t.request('GET', `/api/generate-presigned-url/?filename=${encodeURIComponent(filename)}&type=${type}`, { session });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as SeedPresigned;
  }

  /** The seed's XHR PUT: the URL alone, Content-Type = file.type, no cookie, no CSRF token. */
  async function put(url: string, body: Uint8Array<ArrayBuffer>, contentType: string) {
    return fetch(url, { method: 'PUT', headers: { 'content-type': contentType }, body });
  }

  /** Reads a URL from the API as the logged-in browser does, following the redirect to the store. */
  async function download(url: string, session: Session): Promise<Uint8Array> {
    const first = await fetch(new URL(url, t.baseUrl), { headers: { cookie: session.cookie }, redirect: 'manual' });
    const res = first.status === 302 ? await fetch(first.headers.get('location')!) : first;
    expect(res.status).toBe(200);
    return new Uint8Array(await res.arrayBuffer());
  }

  describe('the seed flow', () => {
    it('presigns, takes the PUT, saves the video, and serves the same bytes back', async () => {
      const bytes = random(1024 * 1024 + 17);
      const presigned = await presign(alice, 'Holiday film.mp4');
      expect(presigned.file_key).toMatch(/^videos\/[0-9a-f-]{36}\.mp4$/);
      expect(presigned.content_type).toBe('video/mp4');
      const putResponse = await put(presigned.presigned_url, bytes, 'video/mp4');
      expect(putResponse.status).toBe(200);

      const saved = await t.request('POST', '/api/save-video-metadata/', {
        session: alice,
        json: { title: 'Holiday', description: 'At sea', file_key: presigned.file_key, public_url: 'https://evil.example/x.mp4' },
      });
      expect(saved.status).toBe(200);
      const { success, video_id } = (await saved.json()) as { success: boolean; video_id: number };
      expect(success).toBe(true);

      const item = (await (await t.request('GET', `/api/v1/videos/${video_id}`, { session: alice })).json()) as VideoItem;
      expect(item).toMatchObject({ id: video_id, title: 'Holiday', description: 'At sea', file_key: presigned.file_key, size: bytes.length, content_type: 'video/mp4' });
      expect(item.video_url).not.toContain('evil.example');
      expect(sha256(await download(item.video_url, alice))).toBe(sha256(bytes));
      const row = await t.app.db.selectFrom('videos').selectAll().where('id', '=', video_id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ file_key: presigned.file_key, owner_id: expect.any(Number), size: bytes.length });
    });

    it('saves a photo the same way', async () => {
      const bytes = random(300_000, 'image/jpeg');
      const presigned = await presign(alice, 'portrait.JPG', 'photo');
      expect(presigned.file_key).toMatch(/^photos\/[0-9a-f-]{36}\.jpg$/);
      expect((await put(presigned.presigned_url, bytes, 'image/jpeg')).status).toBe(200);
      const saved = await t.request('POST', '/api/save-photo-metadata/', { session: alice, json: { title: 'Portrait', description: '', file_key: presigned.file_key } });
      expect(saved.status).toBe(200);
      const { photo_id } = (await saved.json()) as { photo_id: number };
      const item = (await (await t.request('GET', `/api/v1/photos/${photo_id}`, { session: alice })).json()) as { image_url: string };
      expect(sha256(await download(item.image_url, alice))).toBe(sha256(bytes));
    });

    it('refuses a PUT of another content type than the one signed, and keeps nothing', async () => {
      const presigned = await presign(alice, 'clip.mp4');
      const res = await put(presigned.presigned_url, random(1000), 'video/webm');
      expect(res.ok).toBe(false);
      expect(await t.app.storage.head(presigned.file_key)).toBeNull();
    });
  });

  describe('refusals', () => {
    async function expectError(res: Response, status: number, message: RegExp) {
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.message).toMatch(message);
      expect(body.error.code).toEqual(expect.any(String));
    }

    it('answers 401 in JSON without a session', async () => {
      await expectError(await t.request('GET', '/api/generate-presigned-url/?filename=a.mp4&type=video'), 401, /log in/i);
      await expectError(await t.request('GET', '/api/v1/videos'), 401, /log in/i);
      await expectError(await t.request('POST', '/api/v1/uploads', { json: {} }), 401, /log in/i);
    });

    it('answers 403 without or with a wrong CSRF token, and writes nothing', async () => {
      const presigned = await presign(alice, 'a.mp4');
      await put(presigned.presigned_url, random(100), 'video/mp4');
      const before = await rowCount('videos');
      const json = { title: 'x', file_key: presigned.file_key };
      await expectError(await t.request('POST', '/api/save-video-metadata/', { session: { ...alice, csrf: '' }, json }), 403, /CSRF/);
      await expectError(await t.request('POST', '/api/save-video-metadata/', { session: { ...alice, csrf: alice.csrf.slice(0, -2) + 'xx' }, json }), 403, /CSRF/);
      // Another browser's valid token does not match this browser's cookie.
      await expectError(await t.request('POST', '/api/save-video-metadata/', { session: { ...alice, csrf: bob.csrf }, json }), 403, /CSRF/);
      expect(await rowCount('videos')).toBe(before);
    });

    it('refuses keys that are not the caller’s own, stored, of the right kind', async () => {
      const before = await rowCount('videos');
      const bobs = await presign(bob, 'b.mp4');
      await put(bobs.presigned_url, random(100), 'video/mp4');
      await expectError(await t.request('POST', '/api/save-video-metadata/', { session: alice, json: { title: 't', file_key: bobs.file_key } }), 404, /no upload .* issued to you/i);
      await expectError(
        await t.request('POST', '/api/save-video-metadata/', { session: alice, json: { title: 't', file_key: 'videos/00000000-0000-0000-0000-000000000000.mp4' } }),
        404,
        /issued to you/,
      );
      const missing = await presign(alice, 'never-sent.mp4');
      await expectError(await t.request('POST', '/api/save-video-metadata/', { session: alice, json: { title: 't', file_key: missing.file_key } }), 409, /not reached the storage/);
      const photo = await presign(alice, 'p.png', 'photo');
      await put(photo.presigned_url, random(100, 'image/png'), 'image/png');
      await expectError(await t.request('POST', '/api/save-video-metadata/', { session: alice, json: { title: 't', file_key: photo.file_key } }), 400, /photo upload, not a video/);
      expect(await rowCount('videos')).toBe(before);
    });

    it('refuses invalid input with 400 and a message', async () => {
      const presigned = await presign(alice, 'ok.mp4');
      await put(presigned.presigned_url, random(100), 'video/mp4');
      const before = await rowCount('videos');
      const save = (body: string) => t.request('POST', '/api/save-video-metadata/', { session: alice, body, headers: { 'content-type': 'application/json' } });
      await expectError(await save('{"title": '), 400, /not valid JSON/);
      await expectError(await save(JSON.stringify({ file_key: presigned.file_key })), 400, /title/);
      await expectError(await save(JSON.stringify({ title: 'x'.repeat(300), file_key: presigned.file_key })), 400, /longer than 255/);
      await expectError(await save(JSON.stringify({ title: 42, file_key: presigned.file_key })), 400, /title/);
      expect(await rowCount('videos')).toBe(before);

      const presignBad = (filename: string) => t.request('GET', `/api/generate-presigned-url/?filename=${encodeURIComponent(filename)}&type=video`, { session: alice });
      await expectError(await presignBad('../../etc/passwd.mp4'), 400, /plain name/);
      await expectError(await presignBad('evil\0.mp4'), 400, /NUL/);
      await expectError(await presignBad('a'.repeat(10_000) + '.mp4'), 400, /longer than 255/);
      await expectError(await presignBad('script.exe'), 415, /not accepted/);
      await expectError(await t.request('GET', '/api/generate-presigned-url/?type=video', { session: alice }), 400, /filename/);
      await expectError(await t.request('GET', '/api/generate-presigned-url/?filename=a.mp4&type=audio', { session: alice }), 400, /video or photo/);
    });
  });

  describe('the upload API', () => {
    async function uploadFile(session: Session, kind: string, filename: string, contentType: string, bytes: Uint8Array<ArrayBuffer>): Promise<UploadCreated> {
      const res = await t.request('POST', '/api/v1/uploads', { session, json: { filename, size: bytes.length, content_type: contentType, kind } });
      expect(res.status, await res.clone().text()).toBe(201);
      const created = (await res.json()) as UploadCreated;
      expect(created.strategy).toBe('single');
      const stored = await fetch(created.url!, { method: 'PUT', headers: created.headers, body: bytes });
      expect(stored.status).toBe(200);
      const done = await t.request('POST', `/api/v1/uploads/${created.id}/complete`, { session, json: { parts: [] } });
      expect(done.status, await done.clone().text()).toBe(200);
      expect(await done.json()).toMatchObject({ id: created.id, key: created.key, size: bytes.length, content_type: contentType, state: 'completed' });
      return created;
    }

    it('creates a video with its cover from completed uploads, lists and pages newest first', async () => {
      const older = await uploadFile(alice, 'video', 'older.mp4', 'video/mp4', random(1000));
      expect((await t.request('POST', '/api/v1/videos', { session: alice, json: { title: 'Older', upload_id: older.id } })).status).toBe(201);
      const video = random(2 * 1024 * 1024, 'video/webm');
      const cover = random(50_000, 'image/png');
      const v = await uploadFile(alice, 'video', 'trip.webm', 'video/webm', video);
      const c = await uploadFile(alice, 'cover', 'trip.png', 'image/png', cover);
      expect(c.key).toMatch(/^films\//);
      const res = await t.request('POST', '/api/v1/videos', { session: alice, json: { title: 'Trip', description: 'x', upload_id: v.id, cover_upload_id: c.id } });
      expect(res.status).toBe(201);
      const item = (await res.json()) as VideoItem;
      expect(item).toMatchObject({ title: 'Trip', file_key: v.key, size: video.length, content_type: 'video/webm' });
      expect(sha256(await download(item.cover_url!, alice))).toBe(sha256(cover));

      // The same upload cannot back two records.
      const again = await t.request('POST', '/api/v1/videos', { session: alice, json: { title: 'Copy', upload_id: v.id } });
      expect(again.status).toBe(409);

      const first = (await (await t.request('GET', '/api/v1/videos?limit=1', { session: bob })).json()) as { items: VideoItem[]; next_cursor: string };
      expect(first.items[0]!.id).toBe(item.id);
      expect(first.next_cursor).toEqual(expect.any(String));
      const second = (await (await t.request('GET', `/api/v1/videos?limit=1&cursor=${first.next_cursor}`, { session: bob })).json()) as { items: VideoItem[] };
      expect(second.items[0]!.id).toBeLessThan(item.id);
    });

    it('keeps uploads private to their owner, and DELETE leaves nothing in the store', async () => {
      const bytes = random(10_000);
      const res = await t.request('POST', '/api/v1/uploads', { session: alice, json: { filename: 'a.mp4', size: bytes.length, content_type: 'video/mp4', kind: 'video' } });
      const created = (await res.json()) as UploadCreated;
      await fetch(created.url!, { method: 'PUT', headers: created.headers, body: bytes });
      expect((await t.request('GET', `/api/v1/uploads/${created.id}`, { session: bob })).status).toBe(404);
      expect((await t.request('DELETE', `/api/v1/uploads/${created.id}`, { session: bob })).status).toBe(404);
      expect((await t.request('POST', `/api/v1/uploads/${created.id}/complete`, { session: bob, json: {} })).status).toBe(404);
      expect(await t.app.storage.head(created.key)).not.toBeNull();
      expect((await t.request('DELETE', `/api/v1/uploads/${created.id}`, { session: alice })).status).toBe(204);
      expect(await t.app.storage.head(created.key)).toBeNull();
      const state = (await (await t.request('GET', `/api/v1/uploads/${created.id}`, { session: alice })).json()) as { state: string };
      expect(state.state).toBe('aborted');
    });

    it('refuses oversize and disallowed files before anything is stored', async () => {
      const before = await t.app.db.selectFrom('uploads').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      const big = await t.request('POST', '/api/v1/uploads', { session: alice, json: { filename: 'big.jpg', size: t.config.maxSize.photo + 1, content_type: 'image/jpeg', kind: 'photo' } });
      expect(big.status).toBe(413);
      expect(((await big.json()) as { error: { message: string } }).error.message).toMatch(/^The photo is \d+\.\d\d MB; the largest allowed is \d+\.\d\d MB\.$/);
      const exe = await t.request('POST', '/api/v1/uploads', { session: alice, json: { filename: 'x.exe', size: 10, content_type: 'application/x-msdownload', kind: 'video' } });
      expect(exe.status).toBe(415);
      const wrongTypes = await t.request('POST', '/api/v1/uploads', { session: alice, json: { filename: 'x.mp4', size: '10', content_type: 'video/mp4', kind: 'video' } });
      expect(wrongTypes.status).toBe(400);
      const after = await t.app.db.selectFrom('uploads').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
    });

    it('deletes an object whose stored size differs from the declared one', async () => {
      const presigned = await presign(alice, 'short.mp4');
      // The seed's URL is bound to a maximum, not an exact size; a declared-size ticket is exact.
      const res = await t.request('POST', '/api/v1/uploads', { session: alice, json: { filename: 'x.mp4', size: 5000, content_type: 'video/mp4', kind: 'video' } });
      const created = (await res.json()) as UploadCreated;
      const short = await fetch(created.url!, { method: 'PUT', headers: created.headers, body: random(4000) });
      expect(short.ok).toBe(false);
      expect(await t.app.storage.head(created.key)).toBeNull();
      expect(presigned.file_key).toBeTruthy();
    });

    it('plans a 1 GiB file by what the store can resume: one continuable PUT on the local store, 64 MiB parts on S3', async () => {
      const GiB = 1024 ** 3;
      const res = await t.request('POST', '/api/v1/uploads', { session: alice, json: { filename: 'film.mp4', size: GiB, content_type: 'video/mp4', kind: 'video' } });
      expect(res.status, await res.clone().text()).toBe(201);
      const created = (await res.json()) as UploadCreated;
      const state = (await (await t.request('GET', `/api/v1/uploads/${created.id}`, { session: alice })).json()) as UploadState;
      if (setup.storage === 'local') {
        expect(created).toMatchObject({ strategy: 'single', part_size: GiB, part_count: 1, resumable_put: true, url: expect.any(String) });
        // Nothing sent yet; the sweep test and the engine's tests cover bytes kept from a cut PUT.
        expect(state).toMatchObject({ strategy: 'single', resumable_put: true, held_bytes: 0, parts: [] });
      } else {
        expect(created).toMatchObject({ strategy: 'multipart', part_size: 64 * 1024 ** 2, part_count: 16, resumable_put: false });
        expect(state).toMatchObject({ strategy: 'multipart', resumable_put: false, held_bytes: 0, parts: [] });
      }
      expect((await t.request('DELETE', `/api/v1/uploads/${created.id}`, { session: alice })).status).toBe(204);
    });

    it('plans by a client’s link hints, clamped to the store’s limits: parts on S3, one continuable PUT on the local store', async () => {
      const MiB = 1024 * 1024;
      const create = async (size: number, hints: Record<string, number>) => {
        const res = await t.request('POST', '/api/v1/uploads', { session: alice, json: { filename: 'hinted.mp4', size, content_type: 'video/mp4', kind: 'video', ...hints } });
        expect(res.status, await res.clone().text()).toBe(201);
        const created = (await res.json()) as UploadCreated;
        expect((await t.request('DELETE', `/api/v1/uploads/${created.id}`, { session: alice })).status).toBe(204);
        return created;
      };
      const slow = await create(20 * MiB, { preferred_part_size: 7 * MiB, single_put_max: 7 * MiB });
      const tiny = await create(20 * MiB, { preferred_part_size: 1, single_put_max: 0 });
      if (setup.storage === 'local') {
        expect(slow).toMatchObject({ strategy: 'single', part_count: 1, resumable_put: true });
        expect(tiny).toMatchObject({ strategy: 'single', part_count: 1, resumable_put: true });
      } else {
        expect(slow).toMatchObject({ strategy: 'multipart', part_size: 7 * MiB, part_count: 3 });
        expect(tiny).toMatchObject({ strategy: 'multipart', part_size: 5 * MiB, part_count: 4 });
      }
      expect((await create(6 * MiB, { preferred_part_size: 7 * MiB, single_put_max: 7 * MiB })).strategy).toBe('single');
      // A hint no link measures (beyond a safe integer, negative, fractional, a string) is refused, naming the field, and opens nothing.
      const before = await t.app.db.selectFrom('uploads').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      for (const single_put_max of [2 ** 53, -1, 1.5, '1e3']) {
        const res = await t.request('POST', '/api/v1/uploads', { session: alice, json: { filename: 'hinted.mp4', size: MiB, content_type: 'video/mp4', kind: 'video', single_put_max } });
        expect(res.status, String(single_put_max)).toBe(400);
        expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^single_put_max: /) });
      }
      const after = await t.app.db.selectFrom('uploads').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
    });

    it('takes a client-chosen part size for a multipart upload, and refuses one the store cannot take', async () => {
      const MiB = 1024 * 1024;
      const bytes = random(11 * MiB);
      const res = await t.request('POST', '/api/v1/uploads', { session: alice, json: { filename: 'own.mp4', size: bytes.length, content_type: 'video/mp4', kind: 'video', part_size: 5 * MiB } });
      expect(res.status, await res.clone().text()).toBe(201);
      const created = (await res.json()) as UploadCreated;
      expect(created).toMatchObject({ strategy: 'multipart', part_size: 5 * MiB, part_count: 3 });
      const signed = (await (await t.request('POST', `/api/v1/uploads/${created.id}/parts`, { session: alice, json: { part_numbers: [1, 2, 3] } })).json()) as {
        parts: { part_number: number; url: string; headers: Record<string, string> }[];
      };
      const parts: { part_number: number; etag: string }[] = [];
      for (const part of signed.parts) {
        const body = bytes.subarray((part.part_number - 1) * 5 * MiB, part.part_number * 5 * MiB);
        const stored = await fetch(part.url, { method: 'PUT', headers: part.headers, body });
        expect(stored.status, await stored.clone().text()).toBe(200);
        parts.push({ part_number: part.part_number, etag: stored.headers.get('etag')! });
      }
      // Two completes at once (a retry whose first answer was lost): both get the completed upload.
      const answers = await Promise.all([1, 2].map(() => t.request('POST', `/api/v1/uploads/${created.id}/complete`, { session: alice, json: { parts } })));
      for (const done of answers) {
        expect(done.status, await done.clone().text()).toBe(200);
        expect(await done.json()).toMatchObject({ size: bytes.length, state: 'completed' });
      }
      expect(sha256(await download((await t.app.storage.presignGet(created.key, { expiresIn: 60 })), alice))).toBe(sha256(bytes));

      const before = await t.app.db.selectFrom('uploads').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      for (const [size, part_size] of [
        [20 * MiB, 4 * MiB], // below S3's 5 MiB floor
        [20 * MiB, 5 * MiB + 0.5], // not whole bytes
        [t.config.maxSize.video, 5 * MiB], // more than 10,000 parts
      ]) {
        const refused = await t.request('POST', '/api/v1/uploads', { session: alice, json: { filename: 'own.mp4', size, content_type: 'video/mp4', kind: 'video', part_size } });
        expect(refused.status, `${size} in parts of ${part_size}`).toBe(400);
      }
      const after = await t.app.db.selectFrom('uploads').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
    });

    it('edits and deletes a record with its objects; only the owner or an admin may', async () => {
      const bytes = random(20_000, 'image/webp');
      const up = await uploadFile(alice, 'photo', 'x.webp', 'image/webp', bytes);
      const created = (await (await t.request('POST', '/api/v1/photos', { session: alice, json: { title: 'Old', upload_id: up.id } })).json()) as { id: number };
      expect((await t.request('PATCH', `/api/v1/photos/${created.id}`, { session: bob, json: { title: 'Hack' } })).status).toBe(403);
      const edited = await t.request('PATCH', `/api/v1/photos/${created.id}`, { session: alice, json: { title: 'New' } });
      expect(((await edited.json()) as { title: string }).title).toBe('New');
      expect((await t.request('DELETE', `/api/v1/photos/${created.id}`, { session: bob })).status).toBe(403);
      expect((await t.request('DELETE', `/api/v1/photos/${created.id}`, { session: alice })).status).toBe(204);
      expect((await t.request('GET', `/api/v1/photos/${created.id}`, { session: alice })).status).toBe(404);
      expect(await t.app.storage.head(up.key)).toBeNull();
    });
  });
});
