/**
 * The library's lists over HTTP, on PGlite and on PostgreSQL: search that ignores case and
 * accents and takes `%`, `_` and `\` literally, every sort, keyset pages forward and back,
 * the limit's bounds, cursors refused when edited or foreign, and a shared library.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, PhotoItem, VideoItem } from '../src/shared/api.ts';
import { startTestApp, type Session, type TestApp } from './harness.ts';

type Listed = Page<VideoItem>;

describe.each(['pglite', 'postgres'] as const)('library lists on %s', (database) => {
  let t: TestApp;
  let editor: Session;
  let owners: { admin: number; other: number };

  /** Titles, descriptions and times chosen for the cases below; several share a time, two a folded title. */
  const VIDEOS: { title: string; description?: string; at: string }[] = [
    { title: 'Élève au tableau', at: '2026-11-01T08:00:00.000001Z' },
    { title: 'Banane', description: 'Un ÉLÈVE mange', at: '2026-11-01T08:00:00.000001Z' },
    { title: 'Œuvre d’art', at: '2026-11-01T08:00:00.000002Z' },
    { title: '100% sure', at: '2026-11-02T08:00:00Z' },
    { title: '100 sure', at: '2026-11-02T08:00:00Z' },
    { title: 'a_b', at: '2026-11-02T08:00:00Z' },
    { title: 'axb', at: '2026-11-03T08:00:00Z' },
    { title: 'back\\slash', at: '2026-11-03T08:00:00Z' },
    { title: 'eleve', description: 'sans accent', at: '2026-11-04T08:00:00Z' },
    { title: 'Ábaque', at: '2026-11-05T08:00:00Z' },
    { title: 'Zèbre', at: '2026-11-05T08:00:00Z' },
    { title: 'Straße', at: '2026-11-06T08:00:00Z' },
  ];
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    t = await startTestApp({ database });
    await t.login('admin@example.com', { admin: true });
    editor = await t.login('editor@example.com');
    await t.login('other@example.com');
    const user = async (email: string) => (await t.app.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id;
    owners = { admin: await user('admin@example.com'), other: await user('other@example.com') };
    // Everyone's but the editor's: the editor still sees them all.
    for (const [i, video] of VIDEOS.entries()) {
      const row = await t.app.db
        .insertInto('videos')
        .values({ owner_id: i % 2 ? owners.admin : owners.other, title: video.title, description: video.description ?? null, file_key: `videos/${i}.mp4`, size: 1000 + i, content_type: 'video/mp4', created_at: video.at })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids[video.title] = row.id;
    }
    await t.app.db
      .insertInto('photos')
      .values([
        { owner_id: owners.admin, title: 'Conférence de presse', file_key: 'photos/1.jpg', size: 1, content_type: 'image/jpeg' },
        { owner_id: owners.admin, title: null, description: 'Élève sans titre', file_key: 'photos/2.jpg', size: 1, content_type: 'image/jpeg' },
      ])
      .execute();
  });
  afterAll(() => t?.close());

  async function list(path: string, status = 200): Promise<Listed> {
    const res = await t.request('GET', path, { session: editor });
    expect(res.status, await res.clone().text()).toBe(status);
    return (await res.json()) as Listed;
  }
  const titles = (page: Listed) => page.items.map((item) => item.title);
  const search = async (q: string, extra = '') => titles(await list(`/api/v1/videos?q=${encodeURIComponent(q)}&sort=title${extra}`));

  it('finds words whatever their case and accents, in titles and descriptions', async () => {
    expect(await search('eleve')).toEqual(['Banane', 'eleve', 'Élève au tableau']);
    expect(await search('ÉLÈVE')).toEqual(['Banane', 'eleve', 'Élève au tableau']);
    expect(await search('OEUVRE')).toEqual(['Œuvre d’art']);
    expect(await search('œuvre')).toEqual(['Œuvre d’art']);
    expect(await search('strasse')).toEqual(['Straße']);
    expect(await search('abaque')).toEqual(['Ábaque']);
  });

  it('needs every word of the search', async () => {
    expect(await search('eleve tableau')).toEqual(['Élève au tableau']);
    expect(await search('  tableau   élève ')).toEqual(['Élève au tableau']);
    expect(await search('eleve girafe')).toEqual([]);
  });

  it('takes %, _ and \\ as themselves', async () => {
    expect(await search('%')).toEqual(['100% sure']);
    expect(await search('100%')).toEqual(['100% sure']);
    expect(await search('a_b')).toEqual(['a_b']);
    expect(await search('_')).toEqual(['a_b']);
    expect(await search('\\')).toEqual(['back\\slash']);
    expect(await search('k\\s')).toEqual(['back\\slash']);
  });

  it('searches photos too, titled or not', async () => {
    const photos = (await list('/api/v1/photos?q=eleve')) as unknown as Page<PhotoItem>;
    expect(photos.items.map((p) => p.description)).toEqual(['Élève sans titre']);
    expect((await list('/api/v1/photos?q=CONFERENCE')).items).toHaveLength(1);
  });

  /** Every item of the list, walking forward `limit` at a time; checks the cursors at each end. */
  async function walk(query: string, limit: number): Promise<Listed[]> {
    const pages: Listed[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`/api/v1/videos?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(limit);
      pages.push(page);
      cursor = page.next_cursor;
    } while (cursor);
    expect(pages[0]!.prev_cursor).toBeNull();
    return pages;
  }
  const all = (pages: Listed[]) => pages.flatMap((page) => page.items.map((item) => item.title));

  const byTime = [...VIDEOS].sort((a, b) => (a.at === b.at ? ids[a.title]! - ids[b.title]! : a.at < b.at ? -1 : 1)).map((v) => v.title);
  it.each([
    ['newest', () => [...byTime].reverse()],
    ['oldest', () => byTime],
    ['title', () => ['100 sure', '100% sure', 'a_b', 'Ábaque', 'axb', 'back\\slash', 'Banane', 'eleve', 'Élève au tableau', 'Œuvre d’art', 'Straße', 'Zèbre']],
  ])('sorts by %s, ties broken by id, across pages of every size', async (sort, expected) => {
    for (const limit of [1, 2, 5, 12, 100]) expect(all(await walk(`sort=${sort}`, limit)), `limit ${limit}`).toEqual(expected());
  });

  it('defaults to the newest first', async () => {
    expect(titles(await list('/api/v1/videos'))).toEqual([...byTime].reverse());
  });

  it.each(['newest', 'oldest', 'title'])('pages back through %s to the same pages it went forward through', async (sort) => {
    const forward = await walk(`sort=${sort}&q=e`, 2);
    expect(forward.length).toBeGreaterThan(2);
    const back: Listed[] = [forward.at(-1)!];
    while (back.at(-1)!.prev_cursor) back.push(await list(`/api/v1/videos?sort=${sort}&q=e&limit=2&cursor=${back.at(-1)!.prev_cursor}`));
    expect(back.map(titles).reverse()).toEqual(forward.map(titles));
    // Back on the first page: nothing before, and its next page is the second again.
    expect(back.at(-1)!.prev_cursor).toBeNull();
    expect(titles(await list(`/api/v1/videos?sort=${sort}&q=e&limit=2&cursor=${back.at(-1)!.next_cursor}`))).toEqual(titles(forward[1]!));
  });

  it('keeps a page’s place when rows come and go around it', async () => {
    const first = await list('/api/v1/videos?limit=3');
    const added = await t.app.db
      .insertInto('videos')
      .values({ owner_id: owners.admin, title: 'Arrivée tardive', file_key: 'videos/late.mp4', size: 1, content_type: 'video/mp4' })
      .returning('id')
      .executeTakeFirstOrThrow();
    try {
      const second = await list(`/api/v1/videos?limit=3&cursor=${first.next_cursor}`);
      expect(titles(second)).toEqual([...byTime].reverse().slice(3, 6));
    } finally {
      await t.app.db.deleteFrom('videos').where('id', '=', added.id).execute();
    }
  });

  it('takes a limit from 1 to 100, 24 by default', async () => {
    await t.app.db
      .insertInto('photos')
      .values(Array.from({ length: 120 }, (_, i) => ({ owner_id: owners.other, title: `Filler ${i}`, file_key: `photos/filler-${i}.jpg`, size: 1, content_type: 'image/jpeg' })))
      .execute();
    expect((await list('/api/v1/photos')).items).toHaveLength(24);
    expect((await list('/api/v1/photos?limit=1')).items).toHaveLength(1);
    expect((await list('/api/v1/photos?limit=100')).items).toHaveLength(100);
    for (const limit of ['0', '101', '-1', '2.5', 'ten', '']) {
      const res = await t.request('GET', `/api/v1/photos?limit=${limit}`, { session: editor });
      expect(res.status, `limit=${limit}`).toBe(400);
    }
  });

  it('refuses a sort it does not know, and a search with a NUL', async () => {
    expect((await (await t.request('GET', '/api/v1/videos?sort=size', { session: editor })).json()).error.code).toBe('invalid_request');
    expect((await t.request('GET', '/api/v1/videos?q=a%00b', { session: editor })).status).toBe(400);
  });

  /** A cursor the server gave, taken apart as the client could do. */
  const fields = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('refuses a cursor that was edited (400 invalid_cursor) or given for another list or sort (400 cursor_mismatch)', async () => {
    const { next_cursor: cursor } = await list('/api/v1/videos?limit=2');
    const given = fields(cursor!);
    const expectCode = async (path: string, code: string) => {
      const res = await t.request('GET', path, { session: editor });
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code, path).toBe(code);
    };
    for (const bad of ['garbage!', 'A'.repeat(101), encode('5'), encode([...given.slice(0, 4), 'yesterday', given[5]]), encode([...given.slice(0, 5), 0]), encode([...given.slice(0, 5), 2 ** 31]), encode([2, ...given.slice(1)]), encode([...given.slice(0, 3), 'sideways', ...given.slice(4)]), encode(given.slice(0, 5))]) {
      await expectCode(`/api/v1/videos?cursor=${bad}`, 'invalid_cursor');
    }
    await expectCode(`/api/v1/photos?cursor=${cursor}`, 'cursor_mismatch');
    await expectCode(`/api/v1/videos?sort=title&cursor=${cursor}`, 'cursor_mismatch');
    await expectCode(`/api/v1/videos?sort=oldest&cursor=${encode([given[0], 'videos', 'title', ...given.slice(3)])}`, 'cursor_mismatch');
    // As given, it works.
    expect((await list(`/api/v1/videos?limit=2&cursor=${cursor}`)).items).toHaveLength(2);
  });

  it('shows an editor everyone’s items', async () => {
    const everyone = all(await walk('sort=oldest', 100));
    expect(everyone).toHaveLength(VIDEOS.length);
    const owned = await t.app.db.selectFrom('videos').select('owner_id').distinct().execute();
    expect(owned.map((row) => row.owner_id).sort()).toEqual([owners.admin, owners.other].sort());
  });
});
