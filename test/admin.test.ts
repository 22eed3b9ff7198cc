/**
 * The users' administration and the status, through the real app over HTTP: an editor is
 * refused, an admin manages users (a disabled user's open session is refused at once, an old
 * password stops working), and the status counts what the records hold and what went wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusView, UserView } from '../src/shared/admin-api.ts';
import type { UploadCreated } from '../src/shared/api.ts';
import { loginAs, startTestApp, TEST_PASSWORD, type Session, type TestApp } from './harness.ts';
import { mediaBytes } from './media-bytes.ts';

describe.each(['pglite', 'postgres'] as const)('administration on %s', (database) => {
  let t: TestApp;
  let admin: Session;
  let editor: Session;
  beforeAll(async () => {
    t = await startTestApp({ database });
    admin = await t.login('chief@example.com', { admin: true });
    editor = await t.login('writer@example.com');
  });
  afterAll(() => t?.close());

  const json = async <T>(res: Response, status: number): Promise<T> => {
    expect(res.status, await res.clone().text()).toBe(status);
    return (await res.json()) as T;
  };

  it('refuses an editor with 403 on users and status', async () => {
    for (const [method, path] of [['GET', '/api/v1/users'], ['POST', '/api/v1/users'], ['PATCH', '/api/v1/users/1'], ['GET', '/api/v1/status'], ['POST', '/api/v1/status/checks']]) {
      const body = await json<{ error: { code: string } }>(await t.request(method!, path!, { session: editor, ...(method !== 'GET' && { json: {} }) }), 403);
      expect(body.error.code).toBe('admin_only');
    }
    expect((await t.request('GET', '/api/v1/users')).status).toBe(401);
  });

  it('lets an admin create an editor, change the role, reset the password, disable the account', async () => {
    const created = await json<UserView>(await t.request('POST', '/api/v1/users', { session: admin, json: { email: 'new@example.com', password: 'first password 1' } }), 201);
    expect(created).toMatchObject({ email: 'new@example.com', role: 'editor', disabled: false });
    const listed = await json<{ users: UserView[] }>(await t.request('GET', '/api/v1/users', { session: admin }), 200);
    expect(listed.users.map((u) => u.email)).toEqual(['chief@example.com', 'writer@example.com', 'new@example.com']);

    const promoted = await json<UserView>(await t.request('PATCH', `/api/v1/users/${created.id}`, { session: admin, json: { role: 'admin' } }), 200);
    expect(promoted.role).toBe('admin');
    await json(await t.request('PATCH', `/api/v1/users/${created.id}`, { session: admin, json: { role: 'editor' } }), 200);

    const session = await loginAs(t.baseUrl, 'new@example.com', 'first password 1');
    await json(await t.request('PATCH', `/api/v1/users/${created.id}`, { session: admin, json: { password: 'second password 2' } }), 200);
    await expect(loginAs(t.baseUrl, 'new@example.com', 'first password 1')).rejects.toThrow(/login failed/);
    expect((await t.request('GET', '/api/v1/videos', { session })).status).toBe(401);
    const fresh = await loginAs(t.baseUrl, 'new@example.com', 'second password 2');
    expect((await t.request('GET', '/api/v1/videos', { session: fresh })).status).toBe(200);

    const disabled = await json<UserView>(await t.request('PATCH', `/api/v1/users/${created.id}`, { session: admin, json: { disabled: true } }), 200);
    expect(disabled.disabled).toBe(true);
    expect((await t.request('GET', '/api/v1/videos', { session: fresh })).status).toBe(401);
    await expect(loginAs(t.baseUrl, 'new@example.com', 'second password 2')).rejects.toThrow(/login failed/);
    await json(await t.request('PATCH', `/api/v1/users/${created.id}`, { session: admin, json: { disabled: false } }), 200);
    await loginAs(t.baseUrl, 'new@example.com', 'second password 2');
  });

  it('refuses to leave no enabled admin, and bad input, with the one error shape', async () => {
    const users = (await json<{ users: UserView[] }>(await t.request('GET', '/api/v1/users', { session: admin }), 200)).users;
    const chief = users.find((u) => u.email === 'chief@example.com')!;
    for (const change of [{ role: 'editor' }, { disabled: true }]) {
      const body = await json<{ error: { code: string; message: string } }>(await t.request('PATCH', `/api/v1/users/${chief.id}`, { session: admin, json: change }), 409);
      expect(body.error).toEqual({ code: 'last_admin', message: 'This is the last enabled admin: make another user an admin first.' });
    }
    expect((await json<{ error: { code: string } }>(await t.request('PATCH', `/api/v1/users/${chief.id}`, { session: admin, json: { password: 'short' } }), 400)).error.code).toBe('weak_password');
    expect((await json<{ error: { code: string } }>(await t.request('PATCH', '/api/v1/users/999999', { session: admin, json: { role: 'admin' } }), 404)).error.code).toBe('user_not_found');
    expect((await json<{ error: { code: string } }>(await t.request('POST', '/api/v1/users', { session: admin, json: { email: 'writer@example.com', password: TEST_PASSWORD } }), 409)).error.code).toBe('email_taken');
    expect((await t.request('PATCH', `/api/v1/users/${chief.id}`, { session: admin, json: {} })).status).toBe(400);
    expect((await json<{ users: UserView[] }>(await t.request('GET', '/api/v1/users', { session: admin }), 200)).users).toHaveLength(3);
  });

  it('counts what the records hold, the uploads of the last day, and a refused complete among the failures', async () => {
    const upload = async (kind: string, filename: string, contentType: string, size: number, bytes = mediaBytes(contentType, size)) => {
      const created = await json<UploadCreated>(await t.request('POST', '/api/v1/uploads', { session: editor, json: { filename, size, content_type: contentType, kind } }), 201);
      expect((await fetch(created.url!, { method: 'PUT', headers: created.headers, body: new Uint8Array(bytes) })).status).toBe(200);
      return created;
    };
    const save = async (path: string, body: Record<string, unknown>) => json(await t.request('POST', path, { session: editor, json: body }), 201);
    for (const [size, coverSize] of [[3000, 700], [5000, 900]] as const) {
      const video = await upload('video', 'clip.mp4', 'video/mp4', size);
      const cover = await upload('cover', 'cover.png', 'image/png', coverSize);
      for (const u of [video, cover]) await json(await t.request('POST', `/api/v1/uploads/${u.id}/complete`, { session: editor, json: { parts: [] } }), 200);
      await save('/api/v1/videos', { title: 'Clip', upload_id: video.id, cover_upload_id: cover.id });
    }
    const photo = await upload('photo', 'shot.jpg', 'image/jpeg', 4000);
    await json(await t.request('POST', `/api/v1/uploads/${photo.id}/complete`, { session: editor, json: { parts: [] } }), 200);
    await save('/api/v1/photos', { title: 'Shot', upload_id: photo.id });
    // Random bytes under a JPEG's name: refused at complete, and recorded with its code.
    const fake = await upload('photo', 'fake.jpg', 'image/jpeg', 2000, Buffer.alloc(2000, 7));
    expect((await json<{ error: { code: string } }>(await t.request('POST', `/api/v1/uploads/${fake.id}/complete`, { session: editor, json: { parts: [] } }), 415)).error.code).toBe('content_mismatch');
    // Left pending: in progress; a cancelled one is a failure too.
    await t.request('POST', '/api/v1/uploads', { session: editor, json: { filename: 'later.mp4', size: 100, content_type: 'video/mp4', kind: 'video' } });
    const cancelled = await upload('video', 'gone.mp4', 'video/mp4', 1000);
    expect((await t.request('DELETE', `/api/v1/uploads/${cancelled.id}`, { session: editor })).status).toBe(204);

    const status = await json<StatusView>(await t.request('GET', '/api/v1/status', { session: admin }), 200);
    const sum = async (table: 'videos' | 'photos') => (await t.app.db.selectFrom(table).select('size').execute()).reduce((n, r) => n + r.size, 0);
    const videos = await t.app.db.selectFrom('videos').select('cover_film').execute();
    const covers = await t.app.db.selectFrom('uploads').select('size').where('key', 'in', videos.map((v) => v.cover_film!)).execute();
    expect(status.storage).toEqual({ driver: 'local', bucket: null });
    expect(status.totals).toEqual({
      video: { count: videos.length, bytes: await sum('videos') },
      photo: { count: 1, bytes: await sum('photos') },
      cover: { count: covers.length, bytes: covers.reduce((n, c) => n + c.size!, 0) },
      thumbnail: { count: 0, bytes: 0 },
    });
    expect(status.totals.video).toEqual({ count: 2, bytes: 8000 });
    expect(status.uploads).toEqual({ in_progress: 1, completed_24h: 5, failed_24h: 2 });
    expect(status.recent_failures.map((f) => [f.code, f.kind, f.filename])).toEqual([
      ['upload_aborted', 'video', 'gone.mp4'],
      ['content_mismatch', 'photo', 'fake.jpg'],
    ]);
    expect(status.recent_failures[1]!.message).toMatch(/deleted; upload a real image\/jpeg file/);
  });

  it.runIf(database === 'pglite')("runs the doctor's checks from the app and answers each verdict", async () => {
    const noToken = await t.request('POST', '/api/v1/status/checks', { session: { ...admin, csrf: 'wrong' }, json: {} });
    expect(noToken.status).toBe(403);
    const { verdicts } = await json<{ verdicts: { status: string; check: string; message: string }[] }>(await t.request('POST', '/api/v1/status/checks', { session: admin, json: {} }), 200);
    expect(verdicts.map((v) => [v.check, v.status])).toEqual([
      ['Configuration', 'pass'],
      ['Database', 'pass'],
      ['Storage', 'pass'],
      ['CORS', 'pass'],
      ['Upload round trip through the running app', 'pass'],
      ['Clock', 'pass'],
    ]);
  });
});
