/** The sweeper: uploads started and never completed leave nothing behind, on both stores. */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UploadCreated } from '../src/shared/api.ts';
import { sweep } from '../src/uploads/sweep.ts';
import { startTestApp, type Session, type TestApp } from './harness.ts';
import { heldBytesOf } from '../src/storage/driver.ts';
import { mediaBytes } from './media-bytes.ts';

const MiB = 1024 * 1024;

describe.each(['local', 's3'] as const)('sweep on %s storage', (storage) => {
  let t: TestApp;
  let session: Session;
  beforeAll(async () => {
    t = await startTestApp({ storage });
    session = await t.login();
  });
  afterAll(() => t?.close());

  async function create(size: number, part_size?: number): Promise<UploadCreated> {
    const res = await t.request('POST', '/api/v1/uploads', { session, json: { filename: 'v.mp4', size, content_type: 'video/mp4', kind: 'video', part_size } });
    expect(res.status).toBe(201);
    return (await res.json()) as UploadCreated;
  }

  /** Sends half of the upload's single PUT, waits until the store has it, and drops the connection. */
  async function cutHalfWay(upload: UploadCreated): Promise<void> {
    const url = new URL(upload.url!);
    const size = upload.part_size;
    const req = httpRequest({ host: url.hostname, port: url.port, method: 'PUT', path: url.pathname + url.search, headers: { ...upload.headers, 'Content-Length': size } });
    req.on('error', () => undefined);
    req.write(randomBytes(size / 2));
    // The store has seen the half once it holds it (local), or after a moment (S3, which shows nothing).
    for (let i = 0; i < 50 && (await heldBytesOf(t.app.storage, upload.key)) < size / 2; i++) await sleep(20);
    req.destroy();
    await sleep(200);
  }

  it('aborts expired tickets and orphan multipart uploads, and keeps what is live or saved', async () => {
    // An abandoned single PUT whose bytes arrived, and an abandoned multipart upload with one part stored.
    const single = await create(1000);
    await fetch(single.url!, { method: 'PUT', headers: single.headers, body: new Uint8Array(randomBytes(1000)) });
    const multi = await create(300 * MiB, 64 * MiB);
    expect(multi.strategy).toBe('multipart');
    // A single PUT cut half-way: the local store keeps its bytes for a continuation, S3 drops them.
    const cut = await create(8 * MiB);
    await cutHalfWay(cut);
    expect(await heldBytesOf(t.app.storage, cut.key)).toBe(storage === 'local' ? 4 * MiB : 0);
    expect(await t.app.storage.head(cut.key)).toBeNull(); // a cut PUT stores no object
    const signed = (await (await t.request('POST', `/api/v1/uploads/${multi.id}/parts`, { session, json: { part_numbers: [1] } })).json()) as { parts: { url: string; headers: Record<string, string> }[] };
    const part = await fetch(signed.parts[0]!.url, { method: 'PUT', headers: signed.parts[0]!.headers, body: new Uint8Array(multi.part_size) });
    expect(part.status).toBe(200);
    // A multipart upload the store holds but no ticket knows (its ticket row was lost).
    const orphanKey = `videos/${crypto.randomUUID()}.mp4`;
    const orphanId = await t.app.storage.createMultipart(orphanKey, { contentType: 'video/mp4' });
    // A live upload, which must survive.
    const live = await create(300 * MiB, 64 * MiB);

    // Nothing has expired yet: the sweep keeps everything.
    expect(await sweep(t.app)).toEqual({ expiredTickets: 0, orphanMultipart: 0, expiredSessions: 0 });
    await t.app.db.updateTable('uploads').set({ expires_at: new Date(Date.now() - 1000) }).where('id', 'in', [single.id, multi.id, cut.id]).execute();
    const later = new Date(Date.now() + 2 * 3600 * 1000);
    await t.app.db.updateTable('uploads').set({ expires_at: new Date(later.getTime() + 3600 * 1000) }).where('id', '=', live.id).execute();

    const result = await sweep(t.app, later);
    expect(result).toEqual({ expiredTickets: 3, orphanMultipart: 1, expiredSessions: 0 });
    expect(await t.app.storage.head(single.key)).toBeNull();
    expect(await heldBytesOf(t.app.storage, cut.key)).toBe(0);
    const states = await t.app.db.selectFrom('uploads').select(['id', 'state']).where('id', 'in', [single.id, multi.id, live.id]).execute();
    expect(Object.fromEntries(states.map((s) => [s.id, s.state]))).toEqual({ [single.id]: 'aborted', [multi.id]: 'aborted', [live.id]: 'pending' });
    const left = (await t.app.storage.listIncompleteMultipart(later)).map((u) => u.key);
    expect(left).toEqual([live.key]);
    expect(left).not.toContain(orphanKey);
    await expect(t.app.storage.listParts(orphanKey, orphanId)).rejects.toThrow();
  });

  it('deletes again, once its last URL has expired, the key an aborted upload’s URL wrote afterwards', async () => {
    const upload = await create(1000);
    expect((await t.request('DELETE', `/api/v1/uploads/${upload.id}`, { session })).status).toBe(204);
    const row = await t.app.db.selectFrom('uploads').select('void_until').where('id', '=', upload.id).executeTakeFirstOrThrow();
    expect(row.void_until!.getTime()).toBeGreaterThan(Date.now() + (t.config.uploadUrlExpires - 60) * 1000);
    // The old URL after the abort: the local store refuses it; S3 has no object under the key, so If-None-Match lets it create one.
    const late = await fetch(upload.url!, { method: 'PUT', headers: upload.headers, body: new Uint8Array(mediaBytes('video/mp4', 1000)) });
    expect(late.status).toBe(storage === 'local' ? 403 : 200);
    // Before the URL's expiry the sweep leaves the key (the URL could write it again); after, it deletes it.
    await sweep(t.app);
    expect((await t.app.storage.head(upload.key)) !== null).toBe(storage === 's3');
    await sweep(t.app, new Date(row.void_until!.getTime() + 1000));
    expect(await t.app.storage.head(upload.key)).toBeNull();
    const after = await t.app.db.selectFrom('uploads').select(['state', 'void_until']).where('id', '=', upload.id).executeTakeFirstOrThrow();
    expect(after).toEqual({ state: 'aborted', void_until: null });
  });

  it('deletes expired sessions and keeps live ones', async () => {
    const user = await t.app.db.selectFrom('users').select('id').executeTakeFirstOrThrow();
    const expired = `expired-${crypto.randomUUID()}`;
    const live = `live-${crypto.randomUUID()}`;
    await t.app.db
      .insertInto('sessions')
      .values([
        { id: expired, user_id: user.id, expires_at: new Date(Date.now() - 1000) },
        { id: live, user_id: user.id, expires_at: new Date(Date.now() + 3600 * 1000) },
      ])
      .execute();

    expect(await sweep(t.app)).toMatchObject({ expiredSessions: 1 });
    const left = (await t.app.db.selectFrom('sessions').select('id').where('id', 'in', [expired, live]).execute()).map((s) => s.id);
    expect(left).toEqual([live]);
    // The test's own session is live too: it still works.
    expect((await t.request('GET', '/api/v1/videos', { session })).status).toBe(200);
  });
});
