/**
 * The database suite, run on both engines Airlift supports: PGlite (embedded) and the
 * PostgreSQL service. Same migrations, same queries, same constraints.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, findUserByEmail } from '../src/auth/users.ts';
import { closeSession, openSession, sessionUser } from '../src/auth/sessions.ts';
import { MIGRATION_NAMES, MIGRATIONS, migrate, openDatabase, type Database } from '../src/db/index.ts';
import { freshPostgres } from './harness.ts';

describe.each(['pglite', 'postgres'] as const)('database on %s', (engine) => {
  let database: Database;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    if (engine === 'postgres') {
      const postgres = await freshPostgres();
      cleanups.push(postgres.drop);
      database = await openDatabase({ databaseUrl: postgres.url, dataDir: '', command: 'test' });
    } else {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-db-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      database = await openDatabase({ databaseUrl: null, dataDir: dir, command: 'test' });
    }
    expect(MIGRATION_NAMES).toContain('2026-12-03-roles');
    expect(await migrate(database.db)).toEqual(MIGRATION_NAMES);
  });
  afterAll(async () => {
    await database?.close();
    for (const cleanup of cleanups) await cleanup();
  });

  it('migrates once: a second run applies nothing', async () => {
    expect(await migrate(database.db)).toEqual([]);
  });

  it('brings a database migrated by an earlier release up to date, though later migrations sort between its own', async () => {
    const earlier = await (engine === 'postgres' ? freshPostgres() : null);
    const dir = earlier ? '' : await mkdtemp(path.join(os.tmpdir(), 'airlift-db-earlier-'));
    const old = await openDatabase({ databaseUrl: earlier?.url ?? null, dataDir: dir, command: 'test' });
    try {
      // What the release before the library's search and the media details had.
      const released = Object.fromEntries(Object.entries(MIGRATIONS).filter(([name]) => !['2026-12-03-media-details', '2026-12-03-search'].includes(name)));
      await migrate(old.db, released);
      const owner = await createUser(old.db, { email: 'old@example.com', password: 'a long enough password', role: 'editor' });
      await old.db.insertInto('videos').values({ owner_id: owner.id, title: 'Élève', file_key: 'videos/old.mp4', size: 1, content_type: 'video/mp4' }).execute();
      expect(await migrate(old.db)).toEqual(['2026-12-03-media-details', '2026-12-03-search']);
      const video = await old.db.selectFrom('videos').select(['search_text', 'duration']).executeTakeFirstOrThrow();
      expect(video).toEqual({ search_text: expect.stringContaining('eleve'), duration: null });
    } finally {
      await old.close();
      await earlier?.drop();
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  it('stores users with unique, case-insensitive emails and argon2id hashes', async () => {
    const user = await createUser(database.db, { email: 'Editor@Example.com', password: 'a long enough password', role: 'editor' });
    expect(user.password_hash).toMatch(/^\$argon2id\$/);
    expect((await findUserByEmail(database.db, 'editor@example.COM'))?.id).toBe(user.id);
    await expect(createUser(database.db, { email: 'editor@example.com', password: 'another password', role: 'editor' })).rejects.toThrow(/already exists/);
  });

  it('keeps sessions by hash and forgets them on logout', async () => {
    const user = await createUser(database.db, { email: 'session@example.com', password: 'a long enough password', role: 'editor' });
    const token = await openSession(database.db, user.id);
    const stored = await database.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(stored.id).not.toBe(token);
    expect((await sessionUser(database.db, token))?.email).toBe('session@example.com');
    await closeSession(database.db, token);
    expect(await sessionUser(database.db, token)).toBeNull();
  });

  it('stores upload tickets with sizes beyond 2^32 and rejects bad kinds and states', async () => {
    const user = await createUser(database.db, { email: 'tickets@example.com', password: 'a long enough password', role: 'editor' });
    const size = 20 * 1024 ** 3;
    await database.db
      .insertInto('uploads')
      .values({ id: crypto.randomUUID(), owner_id: user.id, kind: 'video', key: 'videos/big.mp4', filename: 'big.mp4', content_type: 'video/mp4', size, strategy: 'multipart', part_size: 64 * 1024 ** 2, part_count: 320, multipart_id: 'm', expires_at: new Date(Date.now() + 1000) })
      .execute();
    const row = await database.db.selectFrom('uploads').selectAll().where('key', '=', 'videos/big.mp4').executeTakeFirstOrThrow();
    expect(row.size).toBe(size);
    expect(row.state).toBe('pending');
    await expect(sql`INSERT INTO uploads (id, owner_id, kind, key, filename, content_type, strategy, expires_at) VALUES (${crypto.randomUUID()}, ${user.id}, 'audio', 'k', 'f', 't', 'single', now())`.execute(database.db)).rejects.toThrow(/check/i);
    await expect(
      database.db.insertInto('uploads').values({ id: crypto.randomUUID(), owner_id: user.id, kind: 'video', key: 'videos/big.mp4', filename: 'f', content_type: 't', strategy: 'single', expires_at: new Date() }).execute(),
    ).rejects.toThrow(/duplicate|unique/i);
  });

  it('rolls a failed transaction back whole', async () => {
    const user = await createUser(database.db, { email: 'tx@example.com', password: 'a long enough password', role: 'editor' });
    await expect(
      database.db.transaction().execute(async (tx) => {
        await tx.insertInto('photos').values({ owner_id: user.id, title: 'kept?', file_key: 'photos/a.jpg', size: 1, content_type: 'image/jpeg' }).execute();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await database.db.selectFrom('photos').selectAll().where('file_key', '=', 'photos/a.jpg').execute()).toEqual([]);
  });

  it('keeps the seed’s columns for videos and photos', async () => {
    const user = await createUser(database.db, { email: 'seed@example.com', password: 'a long enough password', role: 'editor' });
    const video = await database.db
      .insertInto('videos')
      .values({ owner_id: user.id, title: 'T', description: null, cover_film: 'films/c.jpg', video: null, video_url: '/media/videos/v.mp4', file_key: 'videos/v.mp4', size: 5, content_type: 'video/mp4' })
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(video).toMatchObject({ title: 'T', cover_film: 'films/c.jpg', video: null, video_url: '/media/videos/v.mp4', file_key: 'videos/v.mp4' });
    const photo = await database.db
      .insertInto('photos')
      .values({ owner_id: user.id, title: null, image: null, image_url: '/media/photos/p.jpg', file_key: 'photos/p.jpg', size: 5, content_type: 'image/jpeg' })
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(photo).toMatchObject({ title: null, image: null, image_url: '/media/photos/p.jpg' });
  });
});

describe('the embedded database lock', () => {
  it('refuses a second opener while the first holds DATA_DIR, and names the holder', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-lock-'));
    const first = await openDatabase({ databaseUrl: null, dataDir: dir, command: 'airlift serve' });
    try {
      await expect(openDatabase({ databaseUrl: null, dataDir: dir, command: 'airlift user create' })).rejects.toThrow(
        new RegExp(`in use by "airlift serve" \\(process ${process.pid}`),
      );
    } finally {
      await first.close();
    }
    const again = await openDatabase({ databaseUrl: null, dataDir: dir, command: 'airlift migrate' });
    await again.close();
    await rm(dir, { recursive: true, force: true });
  });
});
