/** The sweeper: uploads started and never completed leave nothing behind, on both stores. */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UploadCreated } from '../src/shared/api.ts';
import { sweep } from '../src/uploads/sweep.ts';
import { startTestApp, type Session, type TestApp } from './harness.ts';
import { heldBytesOf, StorageError, type StorageDriver } from '../src/storage/driver.ts';
import { sql } from 'kysely';
import type { AppContext } from '../src/context.ts';
import { openDatabase, type Database } from '../src/db/index.ts';
import { releaseLease, renewLease, takeLease } from '../src/db/lease.ts';
import { ITEM_TYPES } from '../src/media/item-types.ts';
import { deleteItem } from '../src/media/service.ts';
import { scheduleSweeps } from '../src/uploads/sweep-schedule.ts';
import { SWEEP_LEASE } from '../src/uploads/sweep.ts';
import { mediaBytes } from './media-bytes.ts';

const PHOTO = ITEM_TYPES.find((type) => type.noun === 'photo')!;

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
    expect(await sweep(t.app)).toMatchObject({ expiredTickets: 0, orphanMultipart: 0, expiredSessions: 0, failedCleanups: 0, stoppedEarly: false });
    await t.app.db.updateTable('uploads').set({ expires_at: new Date(Date.now() - 1000) }).where('id', 'in', [single.id, multi.id, cut.id]).execute();
    const later = new Date(Date.now() + 2 * 3600 * 1000);
    await t.app.db.updateTable('uploads').set({ expires_at: new Date(later.getTime() + 3600 * 1000) }).where('id', '=', live.id).execute();

    const result = await sweep(t.app, later);
    expect(result).toMatchObject({ expiredTickets: 3, orphanMultipart: 1, expiredSessions: 0, failedCleanups: 0, stoppedEarly: false });
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

/** The store, with its `delete` made slow, failing or hanging, and each delete counted by key: a real store, wrapped. */
function wrapStore(store: StorageDriver, behaviour: { delayMs?: number; fail?: boolean; hang?: Promise<void> } = {}) {
  const deleted: string[] = [];
  let entered!: () => void;
  const firstDelete = new Promise<void>((resolve) => (entered = resolve));
  const wrapped = new Proxy(store, {
    get(target, property) {
      if (property === 'delete') {
        return async (key: string) => {
          entered();
          if (behaviour.hang) await behaviour.hang;
          if (behaviour.delayMs) await sleep(behaviour.delayMs);
          if (behaviour.fail) throw new StorageError('unavailable', 'The store is not answering.');
          await target.delete(key);
          deleted.push(key);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: wrapped, deleted, firstDelete };
}

const contextOf = (t: TestApp, overrides: Partial<AppContext> = {}): AppContext => ({ config: t.config, db: t.app.db, storage: t.app.storage, ...overrides });

/** Opens `count` single-PUT tickets whose bytes reached the store, then makes them long expired. */
async function expiredTickets(t: TestApp, session: Session, count: number): Promise<UploadCreated[]> {
  const made: UploadCreated[] = [];
  for (let i = 0; i < count; i++) {
    const res = await t.request('POST', '/api/v1/uploads', { session, json: { filename: `v${i}.mp4`, size: 100, content_type: 'video/mp4', kind: 'video' } });
    const upload = (await res.json()) as UploadCreated;
    expect((await fetch(upload.url!, { method: 'PUT', headers: upload.headers, body: new Uint8Array(mediaBytes('video/mp4', 100)) })).status).toBe(200);
    made.push(upload);
  }
  // Expired, and the last URL it could sign too (UPLOAD_URL_EXPIRES, an hour).
  await t.app.db.updateTable('uploads').set({ expires_at: new Date(Date.now() - 2 * 3600 * 1000) }).where('id', 'in', made.map((u) => u.id)).execute();
  return made;
}

/** A completed upload of a photo (real PNG opening), not saved into a record. */
async function completedPhoto(t: TestApp, session: Session): Promise<UploadCreated> {
  const bytes = new Uint8Array(mediaBytes('image/png', 5000));
  const res = await t.request('POST', '/api/v1/uploads', { session, json: { filename: 'p.png', size: bytes.length, content_type: 'image/png', kind: 'photo' } });
  const upload = (await res.json()) as UploadCreated;
  expect((await fetch(upload.url!, { method: 'PUT', headers: upload.headers, body: bytes })).status).toBe(200);
  const done = await t.request('POST', `/api/v1/uploads/${upload.id}/complete`, { session, json: { parts: [] } });
  expect(done.status, await done.clone().text()).toBe(200);
  return upload;
}

const stateOf = async (t: TestApp, id: string) => t.app.db.selectFrom('uploads').select(['state', 'cleanup_since']).where('id', '=', id).executeTakeFirstOrThrow();

describe.each(['pglite', 'postgres'] as const)('what the sweep removes, on %s', (database) => {
  let t: TestApp;
  let session: Session;
  beforeAll(async () => {
    t = await startTestApp({ database });
    session = await t.login();
  });
  afterAll(() => t?.close());

  it('removes each kind of leftover and nothing else; a swept upload cannot be completed or saved', async () => {
    const [expired] = await expiredTickets(t, session, 1);
    const live = await expiredTickets(t, session, 1).then(async ([u]) => {
      await t.app.db.updateTable('uploads').set({ expires_at: new Date(Date.now() + 3600 * 1000) }).where('id', '=', u!.id).execute();
      return u!;
    });
    // A ticket past its expiry whose last URL could still be in use: kept until that URL expires too.
    const recent = await expiredTickets(t, session, 1).then(async ([u]) => {
      await t.app.db.updateTable('uploads').set({ expires_at: new Date(Date.now() - 60 * 1000) }).where('id', '=', u!.id).execute();
      return u!;
    });
    const unsaved = await completedPhoto(t, session);
    const freshUnsaved = await completedPhoto(t, session);
    const saved = await completedPhoto(t, session);
    expect((await t.request('POST', '/api/v1/photos', { session, json: { title: 'Kept', upload_id: saved.id } })).status).toBe(201);
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    await t.app.db.updateTable('uploads').set({ completed_at: twoDaysAgo, expires_at: twoDaysAgo }).where('id', 'in', [unsaved.id, saved.id]).execute();

    const user = await t.app.db.selectFrom('users').select('id').executeTakeFirstOrThrow();
    const hourAgo = new Date(Date.now() - 3600 * 1000);
    const inAnHour = new Date(Date.now() + 3600 * 1000);
    await t.app.db.insertInto('sessions').values([{ id: 'gone', user_id: user.id, expires_at: hourAgo }, { id: 'kept', user_id: user.id, expires_at: inAnHour }]).execute();
    await t.app.db.insertInto('login_failures').values([{ email: 'old@example.com', ip: '192.0.2.1', at: twoDaysAgo }, { email: 'new@example.com', ip: '192.0.2.1', at: new Date() }]).execute();
    await t.app.db.insertInto('setup_tokens').values([{ token_hash: 'gone', expires_at: hourAgo }, { token_hash: 'kept', expires_at: inAnHour }]).execute();

    const result = await sweep(t.app);
    expect(result).toMatchObject({ expiredTickets: 1, unsavedUploads: 1, finishedCleanups: 0, orphanMultipart: 0, failedCleanups: 0, expiredSessions: 1, expiredSetupTokens: 1, stoppedEarly: false });

    for (const gone of [expired!, unsaved]) {
      expect(await t.app.storage.head(gone.key)).toBeNull();
      expect(await stateOf(t, gone.id)).toEqual({ state: 'aborted', cleanup_since: null });
    }
    for (const kept of [live, recent]) expect((await stateOf(t, kept.id)).state).toBe('pending');
    for (const kept of [freshUnsaved, saved]) {
      expect(await t.app.storage.head(kept.key)).not.toBeNull();
      expect((await stateOf(t, kept.id)).state).toBe('completed');
    }
    expect(await t.app.storage.head(live.key)).not.toBeNull();
    expect((await t.app.db.selectFrom('sessions').select('id').where('id', 'in', ['gone', 'kept']).execute()).map((r) => r.id)).toEqual(['kept']);
    expect((await t.app.db.selectFrom('login_failures').select('email').execute()).map((r) => r.email)).toEqual(['new@example.com']);
    expect((await t.app.db.selectFrom('setup_tokens').select('token_hash').execute()).map((r) => r.token_hash)).toEqual(['kept']);
    // The saved photo is still served; the live upload still answers.
    expect((await t.request('GET', '/api/v1/photos', { session })).status).toBe(200);
    expect((await t.request('GET', `/api/v1/uploads/${live.id}`, { session })).status).toBe(200);

    // A swept upload stays gone: it can be neither completed nor saved, and says why.
    const complete = await t.request('POST', `/api/v1/uploads/${expired!.id}/complete`, { session, json: { parts: [] } });
    expect(complete.status).toBe(409);
    expect(await complete.json()).toEqual({ error: { code: 'upload_expired', message: 'This upload has expired and its file was removed; start a new upload.' } });
    const save = await t.request('POST', '/api/v1/photos', { session, json: { title: 'Late', upload_id: unsaved.id } });
    expect(save.status).toBe(409);
    expect(await save.json()).toEqual({ error: { code: 'upload_expired', message: 'upload_id: this upload has expired and its file was removed; start a new upload.' } });
    expect(await t.app.db.selectFrom('photos').select('title').execute()).toEqual([{ title: 'Kept' }]);
  });

  it('finishes a record delete whose object delete failed: the record is gone at once, its object at the next sweep', async () => {
    const upload = await completedPhoto(t, session);
    const created = (await (await t.request('POST', '/api/v1/photos', { session, json: { title: 'Doomed', upload_id: upload.id } })).json()) as { id: number };
    const user = await t.app.db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    const failing = wrapStore(t.app.storage, { fail: true });
    await expect(deleteItem(contextOf(t, { storage: failing.store }), PHOTO, user, String(created.id))).rejects.toThrow('The store is not answering.');
    expect((await t.request('GET', `/api/v1/photos/${created.id}`, { session })).status).toBe(404);
    expect(await t.app.storage.head(upload.key)).not.toBeNull();
    expect((await stateOf(t, upload.id)).cleanup_since).not.toBeNull();

    // Within the grace a delete may still be at work; after it, the sweep finishes the job.
    expect(await sweep(t.app)).toMatchObject({ finishedCleanups: 0 });
    expect(await sweep(t.app, new Date(Date.now() + 2 * 60 * 1000))).toMatchObject({ finishedCleanups: 1, failedCleanups: 0 });
    expect(await t.app.storage.head(upload.key)).toBeNull();
    expect(await stateOf(t, upload.id)).toEqual({ state: 'aborted', cleanup_since: null });
  });

  it('finishes what a sweeper that died between marking and its store calls left', async () => {
    const tickets = await expiredTickets(t, session, 5);
    let release!: () => void;
    const hang = new Promise<void>((resolve) => (release = resolve));
    const stuck = wrapStore(t.app.storage, { hang });
    const stop = new AbortController();
    // This sweep marks the tickets, then hangs in its first store call: as good as dead, holding no transaction.
    const dead = sweep(contextOf(t, { storage: stuck.store }), new Date(), { signal: stop.signal });
    await stuck.firstDelete;
    for (const u of tickets) expect(await stateOf(t, u.id)).toMatchObject({ state: 'aborted', cleanup_since: expect.any(Date) });
    // Requests are answered meanwhile, and another sweep finds the lease held.
    expect((await t.request('GET', '/api/v1/videos', { session })).status).toBe(200);
    expect(await sweep(t.app)).toBeNull();

    // Its lease runs out (it stopped renewing it); the next sweep takes over and finishes.
    await sql`UPDATE leases SET expires_at = now() - interval '1 second'`.execute(t.app.db);
    const result = await sweep(t.app, new Date(Date.now() + 2 * 60 * 1000));
    expect(result).toMatchObject({ finishedCleanups: 5, expiredTickets: 0, failedCleanups: 0 });
    for (const u of tickets) {
      expect(await t.app.storage.head(u.key)).toBeNull();
      expect(await stateOf(t, u.id)).toEqual({ state: 'aborted', cleanup_since: null });
    }
    stop.abort();
    release();
    expect(await dead).toMatchObject({ stoppedEarly: true });
  });

  it('answers requests while a sweep with slow store calls runs', async () => {
    await expiredTickets(t, session, 40);
    const slow = wrapStore(t.app.storage, { delayMs: 50 });
    let sweeping = true;
    const started = Date.now();
    const running = sweep(contextOf(t, { storage: slow.store })).finally(() => (sweeping = false));
    const waits: number[] = [];
    while (sweeping) {
      const at = Date.now();
      expect((await t.request('GET', '/api/v1/videos', { session })).status).toBe(200);
      if (sweeping) waits.push(Date.now() - at);
    }
    expect(await running).toMatchObject({ expiredTickets: 40 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(40 * 50);
    expect(slow.deleted).toHaveLength(40);
    expect(waits.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...waits)).toBeLessThan(1000);
  });
});

describe('sweepers on several instances (PostgreSQL)', () => {
  let t: TestApp;
  let session: Session;
  let other: Database;
  beforeAll(async () => {
    t = await startTestApp({ database: 'postgres' });
    session = await t.login();
    other = await openDatabase({ databaseUrl: t.config.databaseUrl, dataDir: '', command: 'test' });
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
  });

  it('two instances sweeping at once act once: each object deleted once, the counts add up', async () => {
    const tickets = await expiredTickets(t, session, 30);
    const a = wrapStore(t.app.storage, { delayMs: 20 });
    const b = wrapStore(t.app.storage, { delayMs: 20 });
    const results = await Promise.all([sweep(contextOf(t, { storage: a.store })), sweep(contextOf(t, { db: other.db, storage: b.store }))]);
    expect(results.filter((r) => r === null)).toHaveLength(1);
    expect(results.find((r) => r !== null)).toMatchObject({ expiredTickets: 30, failedCleanups: 0 });
    const deleted = [...a.deleted, ...b.deleted].sort();
    expect(deleted).toEqual(tickets.map((u) => u.key).sort());
    for (const u of tickets) expect(await t.app.storage.head(u.key)).toBeNull();
    // Done, the lease is free at once for the other instance.
    expect(await sweep(contextOf(t, { db: other.db }))).toMatchObject({ expiredTickets: 0 });
  });

  it('takes a lease its dead holder left once it expires, and never before', async () => {
    await sql`INSERT INTO leases (name, holder, expires_at) VALUES (${SWEEP_LEASE}, 'gone-host:1:dead', now() + interval '1500 milliseconds')
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at`.execute(t.app.db);
    expect(await sweep(t.app)).toBeNull();
    expect(await sweep(contextOf(t, { db: other.db }))).toBeNull();
    await sleep(1600);
    expect(await sweep(t.app)).toMatchObject({ stoppedEarly: false });
    expect(await t.app.db.selectFrom('leases').selectAll().execute()).toEqual([]);
  });

  it('stops a sweep that lost its lease to another instance', async () => {
    await expiredTickets(t, session, 30);
    const slow = wrapStore(t.app.storage, { delayMs: 50 });
    const running = sweep(contextOf(t, { storage: slow.store }), new Date(), { ttlMs: 300 });
    await sleep(150);
    // Another instance takes the lease over (as if this one had been too slow to renew it).
    await t.app.db.updateTable('leases').set({ holder: 'other-host:2:abcd' }).where('name', '=', SWEEP_LEASE).execute();
    const result = await running;
    expect(result).toMatchObject({ stoppedEarly: true });
    expect(result!.expiredTickets).toBeLessThan(30);
    // Its lease is not released by the loser: the other holder keeps it.
    expect(await t.app.db.selectFrom('leases').select('holder').execute()).toEqual([{ holder: 'other-host:2:abcd' }]);
  });
});

describe('the lease', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t?.close());

  it('has one holder until it expires or is released; its holder renews it, no one else does', async () => {
    expect(await takeLease(t.app.db, 'job', 'a', 60_000)).toBe(true);
    expect(await takeLease(t.app.db, 'job', 'b', 60_000)).toBe(false);
    expect(await takeLease(t.app.db, 'job', 'a', 60_000)).toBe(true);
    expect(await renewLease(t.app.db, 'job', 'b', 60_000)).toBe(false);
    expect(await renewLease(t.app.db, 'job', 'a', 200)).toBe(true);
    await sleep(250);
    expect(await takeLease(t.app.db, 'job', 'b', 60_000)).toBe(true);
    expect(await renewLease(t.app.db, 'job', 'a', 60_000)).toBe(false);
    await releaseLease(t.app.db, 'job', 'a');
    expect(await takeLease(t.app.db, 'job', 'c', 60_000)).toBe(false);
    await releaseLease(t.app.db, 'job', 'b');
    expect(await takeLease(t.app.db, 'job', 'c', 60_000)).toBe(true);
  });

  it('sweeps on a schedule (SWEEP_INTERVAL), and stops', async () => {
    const session = await t.login();
    const [ticket] = await expiredTickets(t, session, 1);
    const schedule = scheduleSweeps(t.app, t.app.log, 1);
    for (let i = 0; i < 100 && (await stateOf(t, ticket!.id)).state === 'pending'; i++) await sleep(50);
    await schedule.stop();
    expect(await stateOf(t, ticket!.id)).toEqual({ state: 'aborted', cleanup_since: null });
    expect(await t.app.storage.head(ticket!.key)).toBeNull();
  });
});
