/**
 * The library page and the item pages as an attacker sends them (no browser): hostile
 * search text, a cursor from another sort or forged, unknown sorts and types, another
 * user's delete page. Each gets a clear page in the reader's language and a 4xx, never a 500,
 * and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type Session, type TestApp } from './harness.ts';

let t: TestApp;
let editor: Session;
let other: Session;
let firstId: number;

beforeAll(async () => {
  t = await startTestApp();
  editor = await t.login('lib-editor@example.com');
  other = await t.login('lib-other@example.com');
  const ownerId = (await t.app.db.selectFrom('users').select('id').where('email', '=', 'lib-editor@example.com').executeTakeFirstOrThrow()).id;
  const rows = Array.from({ length: 30 }, (_, i) => ({
    owner_id: ownerId,
    title: `Reportage ${String(i).padStart(2, '0')}`,
    description: null,
    file_key: `videos/attack-${i}.mp4`,
    size: 1000 + i,
    content_type: 'video/mp4',
    created_at: new Date(Date.UTC(2026, 10, 1, 8, i)).toISOString(),
  }));
  const inserted = await t.app.db.insertInto('videos').values(rows).returning('id').execute();
  firstId = inserted[0]!.id;
});
afterAll(() => t?.close());

/** The library page as the editor asks it, in French. */
async function library(query: string, session = editor): Promise<{ status: number; html: string }> {
  const response = await t.request('GET', `/?${query}`, { session, headers: { 'Accept-Language': 'fr' } });
  return { status: response.status, html: await response.text() };
}

/** The `videos` cursor of the library's next-page link. */
function nextCursor(html: string): string {
  const href = /href="([^"]*[?&]videos=[^"]+)"/.exec(html)?.[1];
  if (!href) throw new Error('No next-page link for the videos');
  return new URL(href.replace(/&amp;/g, '&'), 'http://x').searchParams.get('videos')!;
}

describe('the library page, attacked', () => {
  it('refuses a search of 10,000 characters with the reason, in French, and lists nothing', async () => {
    const { status, html } = await library(`q=${'a'.repeat(10_000)}`);
    expect(status).toBe(400);
    expect(html).toContain('<html lang="fr"');
    // The form's field stops at 200 characters; only a forged address gets here.
    expect(html).toContain('La requête n’est pas valide.');
    expect(html).not.toContain('Reportage 00');
    // 10,000 accented letters make a 60 KB address: refused before any route, by the HTTP parser.
    expect((await library(`q=${'é'.repeat(10_000)}`)).status).toBe(431);
  });

  it.each([
    ['a NUL byte', 'q=ab%00cd', 'La requête n’est pas valide.'],
    ['an unknown sort', 'sort=id;DROP%20TABLE%20videos', 'La requête n’est pas valide.'],
    ['an unknown type', 'type=users', 'La requête n’est pas valide.'],
    ['a forged cursor', 'videos=eyJpZCI6MX0', 'Ce lien de page n’est plus valable'],
    ['a cursor of 3,000 characters', `videos=${'A'.repeat(3000)}`, 'La requête n’est pas valide.'],
  ])('answers %s with a 400 page that says so, not a 500', async (_, query, said) => {
    const { status, html } = await library(query);
    expect(status).toBe(400);
    expect(html).toContain('<html lang="fr"');
    expect(html).toContain(said);
    const { n } = await t.app.db.selectFrom('videos').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(n)).toBe(30);
  });

  it('refuses a next-page cursor replayed with another sort, or on the photos, and says so in French', async () => {
    const first = await library('sort=newest');
    expect(first.status).toBe(200);
    const cursor = nextCursor(first.html);
    // The same cursor, the same sort: the next page.
    expect((await library(`sort=newest&videos=${encodeURIComponent(cursor)}`)).status).toBe(200);
    for (const replay of [`sort=title&videos=${encodeURIComponent(cursor)}`, `sort=oldest&videos=${encodeURIComponent(cursor)}`, `sort=newest&photos=${encodeURIComponent(cursor)}`]) {
      const replayed = await library(replay);
      expect(replayed.status).toBe(400);
      expect(replayed.html).toContain('<html lang="fr"');
      expect(replayed.html).toContain('appartient à une autre liste ou à un autre ordre');
      expect(replayed.html).not.toContain('Reportage 00');
    }
  });

  it('keeps another user’s item: its delete page is refused, and its delete form without the owner’s rights deletes nothing', async () => {
    const page = await t.request('GET', `/videos/${firstId}/delete`, { session: other, headers: { 'Accept-Language': 'fr' } });
    expect(page.status).toBe(403);
    const posted = await t.request('POST', `/videos/${firstId}/delete`, {
      session: other,
      body: `csrf_token=${encodeURIComponent(other.csrf)}`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Accept-Language': 'fr' },
    });
    expect(posted.status).toBe(403);
    expect(await t.app.db.selectFrom('videos').select('id').where('id', '=', firstId).executeTakeFirst()).toEqual({ id: firstId });
  });
});
