/**
 * What the browser measures and makes of a file, as the server takes it: a video's duration,
 * size and cover, a photo's size and thumbnail (uploads of kind `thumbnail`), each checked for
 * range and ownership; a video's cover replaced; every object an item owns deleted with it.
 * On the local store with PGlite, and on the S3 test server with PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhotoItem, UploadCreated, VideoItem } from '../src/shared/api.ts';
import type { MediaKind } from '../src/shared/media-kind.ts';
import { MAX_DIMENSION, MAX_DURATION_SECONDS, MAX_THUMBNAIL_BYTES } from '../src/shared/media-limits.ts';
import { startTestApp, type Session, type TestApp } from './harness.ts';
import { mediaBytes } from './media-bytes.ts';

const FILES: Record<MediaKind, { filename: string; contentType: string }> = {
  video: { filename: 'clip.mp4', contentType: 'video/mp4' },
  photo: { filename: 'picture.jpg', contentType: 'image/jpeg' },
  cover: { filename: 'frame.webp', contentType: 'image/webp' },
  thumbnail: { filename: 'picture.webp', contentType: 'image/webp' },
};

describe.each([
  { storage: 'local', database: 'pglite' },
  { storage: 's3', database: 'postgres' },
] as const)('media details on $storage storage and $database', (setup) => {
  let t: TestApp;
  let alice: Session;
  let bob: Session;

  beforeAll(async () => {
    t = await startTestApp(setup);
    alice = await t.login();
    bob = await t.login();
  });
  afterAll(() => t?.close());

  const call = async <T>(session: Session, method: string, path: string, json?: unknown): Promise<{ status: number; body: T }> => {
    const res = await t.request(method, path, { session, json });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  type Failure = { error: { code: string; message: string } };

  /** Opens, sends and completes an upload of `kind`; returns its ticket. */
  async function upload(session: Session, kind: MediaKind, size = 32 * 1024): Promise<UploadCreated> {
    const { filename, contentType } = FILES[kind];
    const created = await call<UploadCreated>(session, 'POST', '/api/v1/uploads', { filename, size, content_type: contentType, kind });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const put = await fetch(created.body.url!, { method: 'PUT', headers: created.body.headers, body: new Uint8Array(mediaBytes(contentType, size)) });
    expect(put.status).toBe(200);
    const completed = await call(session, 'POST', `/api/v1/uploads/${created.body.id}/complete`, { parts: [] });
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    return created.body;
  }

  /** What the store answers a signed GET of `key`: 200 while the object is there, 404 once it is gone. */
  const storeStatus = async (key: string) => (await fetch(await t.app.storage.presignGet(key, { expiresIn: 60 }))).status;
  /** What the app answers a logged-in reader of one of an item's URLs, following its redirect to the store. */
  async function served(url: string, session: Session): Promise<number> {
    const first = await fetch(new URL(url, t.baseUrl), { headers: { cookie: session.cookie }, redirect: 'manual' });
    return first.status === 302 ? (await fetch(first.headers.get('location')!)).status : first.status;
  }
  const usedBy = async (id: string) => (await t.app.db.selectFrom('uploads').select('used_by').where('id', '=', id).executeTakeFirstOrThrow()).used_by;
  const count = async (table: 'videos' | 'photos') => Number((await t.app.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  /** The item the latest webhook event about it carries. */
  async function lastEvent(subject: string): Promise<{ type: string; data: unknown }> {
    const event = await t.app.db.selectFrom('webhook_events').select('payload').where('subject', '=', subject).orderBy('id', 'desc').executeTakeFirstOrThrow();
    return JSON.parse(event.payload) as { type: string; data: unknown };
  }

  it('takes thumbnail uploads: keys under thumbs/, JPEG, PNG or WebP, at most 2 MiB, content checked', async () => {
    const ticket = await upload(alice, 'thumbnail');
    expect(ticket.key).toMatch(/^thumbs\/[0-9a-f-]{36}\.webp$/);

    const open = (body: object) => call<Failure>(alice, 'POST', '/api/v1/uploads', { filename: 't.webp', size: 1000, content_type: 'image/webp', kind: 'thumbnail', ...body });
    const tooLarge = await open({ size: MAX_THUMBNAIL_BYTES + 1 });
    expect([tooLarge.status, tooLarge.body.error.code]).toEqual([413, 'too_large']);
    const gif = await open({ filename: 't.gif', content_type: 'image/gif' });
    expect([gif.status, gif.body.error.code]).toEqual([415, 'unsupported_type']);
    expect((await open({ size: MAX_THUMBNAIL_BYTES })).status).toBe(201);

    // Bytes that are no WebP are refused at complete, and deleted.
    const created = await open({ size: 2000 });
    const fake = created.body as unknown as UploadCreated;
    await fetch(fake.url!, { method: 'PUT', headers: fake.headers, body: new Uint8Array(mediaBytes('image/png', 2000)) });
    const completed = await call<Failure>(alice, 'POST', `/api/v1/uploads/${fake.id}/complete`, { parts: [] });
    expect([completed.status, completed.body.error.code]).toEqual([415, 'content_mismatch']);
    expect(await t.app.storage.head(fake.key)).toBeNull();
  });

  it('stores and answers a video’s duration, size and cover, and sends the same item to webhooks', async () => {
    const [video, cover] = [await upload(alice, 'video'), await upload(alice, 'cover')];
    const saved = await call<VideoItem>(alice, 'POST', '/api/v1/videos', { title: 'Measured', upload_id: video.id, cover_upload_id: cover.id, duration: 12.48, width: 1920, height: 1080 });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    expect(saved.body).toMatchObject({ duration: 12.48, width: 1920, height: 1080, file_key: video.key });
    expect(saved.body.cover_url).toContain(cover.key);
    const got = await call<VideoItem>(bob, 'GET', `/api/v1/videos/${saved.body.id}`);
    expect(got.body).toEqual(saved.body);
    expect(await served(got.body.cover_url!, bob)).toBe(200);
    const listed = await call<{ items: VideoItem[] }>(alice, 'GET', '/api/v1/videos');
    expect(listed.body.items.find((item) => item.id === saved.body.id)).toEqual(saved.body);
    expect(await lastEvent(`video ${saved.body.id}`)).toMatchObject({ type: 'video.created', data: saved.body });
  });

  it('stores and answers a photo’s size and thumbnail', async () => {
    const [photo, thumbnail] = [await upload(alice, 'photo'), await upload(alice, 'thumbnail')];
    const saved = await call<PhotoItem>(alice, 'POST', '/api/v1/photos', { title: 'Portrait', upload_id: photo.id, thumbnail_upload_id: thumbnail.id, width: 3024, height: 4032 });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    expect(saved.body).toMatchObject({ width: 3024, height: 4032, file_key: photo.key });
    expect(saved.body.thumbnail_url).toContain(thumbnail.key);
    expect((await call<PhotoItem>(bob, 'GET', `/api/v1/photos/${saved.body.id}`)).body).toEqual(saved.body);
    expect(await served(saved.body.thumbnail_url!, bob)).toBe(200);
    expect(await lastEvent(`photo ${saved.body.id}`)).toMatchObject({ type: 'photo.created', data: saved.body });
  });

  it('answers null for what the browser could not read, and for the seed’s records', async () => {
    const video = await call<VideoItem>(alice, 'POST', '/api/v1/videos', { title: 'Unread', upload_id: (await upload(alice, 'video')).id });
    expect(video.body).toMatchObject({ duration: null, width: null, height: null, cover_url: null });
    const photo = await call<PhotoItem>(alice, 'POST', '/api/v1/photos', { title: 'Unread', upload_id: (await upload(alice, 'photo')).id, width: null, height: null, thumbnail_upload_id: null });
    expect(photo.body).toMatchObject({ width: null, height: null, thumbnail_url: null });

    // The seed's flow, unchanged.
    const presigned = (await call<{ presigned_url: string; file_key: string }>(alice, 'GET', '/api/generate-presigned-url/?filename=old.jpg&type=photo')).body;
    expect((await fetch(presigned.presigned_url, { method: 'PUT', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(mediaBytes('image/jpeg', 5000)) })).status).toBe(200);
    const seedSaved = await call<{ success: boolean; photo_id: number }>(alice, 'POST', '/api/save-photo-metadata/', { title: 'Seed', description: '', file_key: presigned.file_key });
    expect(seedSaved.body.success).toBe(true);
    expect((await call<PhotoItem>(alice, 'GET', `/api/v1/photos/${seedSaved.body.photo_id}`)).body).toMatchObject({ width: null, height: null, thumbnail_url: null });
  });

  it('refuses figures out of range, and leaves nothing behind: no record, the uploads free to use', async () => {
    const [video, cover] = [await upload(alice, 'video'), await upload(alice, 'cover')];
    const videos = await count('videos');
    const base = { title: 'Out of range', upload_id: video.id, cover_upload_id: cover.id };
    for (const wrong of [
      { duration: 0 },
      { duration: -3 },
      { duration: MAX_DURATION_SECONDS + 1 },
      { duration: '12' },
      { width: 0 },
      { height: MAX_DIMENSION + 1 },
      { width: 12.5 },
      { thumbnail_upload_id: cover.id },
    ]) {
      const res = await call<Failure>(alice, 'POST', '/api/v1/videos', { ...base, ...wrong });
      expect([res.status, res.body.error.code], JSON.stringify(wrong)).toEqual([400, 'invalid_request']);
    }
    const photo = await upload(alice, 'photo');
    const photos = await count('photos');
    const durationOfPhoto = await call<Failure>(alice, 'POST', '/api/v1/photos', { title: 'x', upload_id: photo.id, duration: 3 });
    expect(durationOfPhoto.status).toBe(400);
    expect([await count('videos'), await count('photos')]).toEqual([videos, photos]);
    expect([await usedBy(video.id), await usedBy(cover.id), await usedBy(photo.id)]).toEqual([null, null, null]);

    const edges = await call<VideoItem>(alice, 'POST', '/api/v1/videos', { ...base, duration: MAX_DURATION_SECONDS, width: MAX_DIMENSION, height: 1 });
    expect(edges.status).toBe(201);
    expect(edges.body).toMatchObject({ duration: MAX_DURATION_SECONDS, width: MAX_DIMENSION, height: 1 });
  });

  it('refuses another user’s upload, one of the wrong kind, or one not complete, and claims none of the others', async () => {
    const video = await upload(alice, 'video');
    const photo = await upload(alice, 'photo');
    const bobsCover = await upload(bob, 'cover');
    const bobsThumbnail = await upload(bob, 'thumbnail');
    const thumbnail = await upload(alice, 'thumbnail');
    const pending = (await call<UploadCreated>(alice, 'POST', '/api/v1/uploads', { filename: 'c.webp', size: 1000, content_type: 'image/webp', kind: 'cover' })).body;
    const [videos, photos] = [await count('videos'), await count('photos')];

    const refusals: [string, object, number, string][] = [
      ['/api/v1/videos', { upload_id: video.id, cover_upload_id: bobsCover.id }, 404, 'not_found'],
      ['/api/v1/videos', { upload_id: video.id, cover_upload_id: thumbnail.id }, 400, 'wrong_kind'],
      ['/api/v1/videos', { upload_id: video.id, cover_upload_id: pending.id }, 409, 'upload_not_completed'],
      ['/api/v1/photos', { upload_id: photo.id, thumbnail_upload_id: bobsThumbnail.id }, 404, 'not_found'],
      ['/api/v1/photos', { upload_id: photo.id, thumbnail_upload_id: video.id }, 400, 'wrong_kind'],
      ['/api/v1/photos', { upload_id: thumbnail.id }, 400, 'wrong_kind'],
    ];
    for (const [path, body, status, code] of refusals) {
      const res = await call<Failure>(alice, 'POST', path, { title: 'Refused', ...body });
      expect([res.status, res.body.error.code], JSON.stringify(body)).toEqual([status, code]);
    }
    expect([await count('videos'), await count('photos')]).toEqual([videos, photos]);
    for (const id of [video.id, photo.id, thumbnail.id, bobsCover.id, bobsThumbnail.id]) expect(await usedBy(id)).toBeNull();
    for (const key of [video.key, photo.key, thumbnail.key, bobsCover.key]) expect(await storeStatus(key)).toBe(200);
  });

  it('replaces a video’s cover: the new one is served, the old object is gone', async () => {
    const [video, first, second] = [await upload(alice, 'video'), await upload(alice, 'cover'), await upload(alice, 'cover')];
    const saved = (await call<VideoItem>(alice, 'POST', '/api/v1/videos', { title: 'Two covers', upload_id: video.id, cover_upload_id: first.id, duration: 4 })).body;

    // Refused edits change nothing: another's item, a cover of the wrong kind.
    const bobs = await call<Failure>(bob, 'PATCH', `/api/v1/videos/${saved.id}`, { cover_upload_id: (await upload(bob, 'cover')).id });
    expect([bobs.status, bobs.body.error.code]).toEqual([403, 'forbidden']);
    const wrong = await call<Failure>(alice, 'PATCH', `/api/v1/videos/${saved.id}`, { cover_upload_id: (await upload(alice, 'thumbnail')).id });
    expect([wrong.status, wrong.body.error.code]).toEqual([400, 'wrong_kind']);
    const photoCover = await call<Failure>(alice, 'PATCH', `/api/v1/photos/1`, { thumbnail_upload_id: first.id });
    expect(photoCover.status).toBe(400);
    expect(await storeStatus(first.key)).toBe(200);

    const edited = await call<VideoItem>(alice, 'PATCH', `/api/v1/videos/${saved.id}`, { cover_upload_id: second.id, title: 'New cover' });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(edited.body).toMatchObject({ title: 'New cover', duration: 4, file_key: video.key });
    expect(edited.body.cover_url).toContain(second.key);
    expect(await served(edited.body.cover_url!, alice)).toBe(200);
    expect(await storeStatus(first.key)).toBe(404);
    expect(await served(saved.cover_url!, alice)).toBe(404);
    expect(await usedBy(second.id)).toBe(`video ${saved.id}`);
    expect(await lastEvent(`video ${saved.id}`)).toMatchObject({ type: 'video.updated', data: edited.body });

    // A video saved without a cover gets its first one the same way.
    const bare = (await call<VideoItem>(alice, 'POST', '/api/v1/videos', { title: 'Bare', upload_id: (await upload(alice, 'video')).id })).body;
    const third = await upload(alice, 'cover');
    expect((await call<VideoItem>(alice, 'PATCH', `/api/v1/videos/${bare.id}`, { cover_upload_id: third.id })).body.cover_url).toContain(third.key);
  });

  it('deletes every object an item owns: the original, the cover, the thumbnail', async () => {
    const [video, cover] = [await upload(alice, 'video'), await upload(alice, 'cover')];
    const savedVideo = (await call<VideoItem>(alice, 'POST', '/api/v1/videos', { title: 'Gone', upload_id: video.id, cover_upload_id: cover.id })).body;
    const [photo, thumbnail] = [await upload(alice, 'photo'), await upload(alice, 'thumbnail')];
    const savedPhoto = (await call<PhotoItem>(alice, 'POST', '/api/v1/photos', { title: 'Gone', upload_id: photo.id, thumbnail_upload_id: thumbnail.id })).body;
    for (const key of [video.key, cover.key, photo.key, thumbnail.key]) expect(await storeStatus(key)).toBe(200);

    expect((await call(alice, 'DELETE', `/api/v1/videos/${savedVideo.id}`)).status).toBe(204);
    expect((await call(alice, 'DELETE', `/api/v1/photos/${savedPhoto.id}`)).status).toBe(204);
    for (const key of [video.key, cover.key, photo.key, thumbnail.key]) expect(await storeStatus(key), key).toBe(404);
    for (const url of [savedVideo.video_url, savedVideo.cover_url!, savedPhoto.image_url, savedPhoto.thumbnail_url!]) expect(await served(url, alice), url).toBe(404);
    expect(await lastEvent(`photo ${savedPhoto.id}`)).toMatchObject({ type: 'photo.deleted', data: savedPhoto });
  });
});
