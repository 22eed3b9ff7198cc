/**
 * The library page in Chromium, in French and in English: the search form finds `Élève` from
 * `eleve`, the sort reorders, pages go forward and back to the same tiles, and an item is
 * deleted only after its confirmation page — by keyboard alone — with every object it owned
 * gone from the store.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VideoItem } from '../src/shared/api.ts';
import { LOCALES } from '../src/shared/i18n/index.ts';
import { apiClient, uploadFile } from './api-flow.ts';
import { launchChromium, logInPage, type Browser } from './chromium.ts';
import { startTestApp, TEST_PASSWORD, type Session, type TestApp } from './harness.ts';

let t: TestApp;
let browser: Browser;
let page: Page;
let editor: Session;
let editorId: number;

const titles = (list: 'video' | 'photo') => page.locator(`#${list}List .tile-title`).allTextContents();

beforeAll(async () => {
  t = await startTestApp();
  editor = await t.login('editor@example.com');
  editorId = (await t.app.db.selectFrom('users').select('id').where('email', '=', 'editor@example.com').executeTakeFirstOrThrow()).id;
  const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 8, minute)).toISOString();
  const rows = [
    { title: 'Élève au tableau', description: 'Rentrée', at: at(0) },
    { title: 'Banane', description: 'Le marché', at: at(1) },
    { title: 'Zèbre tri', at: at(2) },
    { title: 'Ábaque tri', at: at(3) },
    { title: 'Mouette tri', at: at(4) },
    ...Array.from({ length: 30 }, (_, i) => ({ title: `Filler ${String(i).padStart(2, '0')}`, at: at(10 + i) })),
  ];
  await t.app.db
    .insertInto('videos')
    .values(rows.map((row, i) => ({ owner_id: editorId, title: row.title, description: row.description ?? null, file_key: `videos/page-${i}.mp4`, size: 1_000_000 + i, content_type: 'video/mp4', created_at: row.at })))
    .execute();
  browser = await launchChromium();
  page = await browser.context.newPage();
  await logInPage(page, t.baseUrl, 'editor@example.com', TEST_PASSWORD);
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** Fills and sends the library's search form as a person does, and waits for the results page. */
async function searchFor(q: string, options: { sort?: string; type?: string } = {}): Promise<void> {
  await page.fill('#q', q);
  if (options.sort) await page.selectOption('#sort', options.sort);
  if (options.type) await page.selectOption('#type', options.type);
  await Promise.all([page.waitForURL(/\/\?/), page.click('form.library-filter button[type=submit]')]);
}

describe.each(LOCALES)('the library in %s', (locale) => {
  beforeAll(async () => {
    await page.goto(`${t.baseUrl}/?lang=${locale}`);
    expect(await page.getAttribute('html', 'lang')).toBe(locale);
  });

  it('finds Élève from eleve, in titles and descriptions, and says what it searched', async () => {
    await searchFor('eleve');
    expect(new URL(page.url()).searchParams.get('q')).toBe('eleve');
    expect(await titles('video')).toEqual(['Élève au tableau']);
    expect(await page.textContent('.results')).toBe(locale === 'fr' ? 'Résultats pour «\u00a0eleve\u00a0»' : 'Results for “eleve”');
    await searchFor('MARCHE');
    expect(await titles('video')).toEqual(['Banane']);
    await searchFor('girafe');
    expect(await page.textContent('section[aria-labelledby=videos-heading] .empty')).toContain(locale === 'fr' ? 'Aucune vidéo ne correspond' : 'No video matches');
  });

  it('sorts newest, oldest and by title', async () => {
    await searchFor('tri', { sort: 'newest' });
    expect(await titles('video')).toEqual(['Mouette tri', 'Ábaque tri', 'Zèbre tri']);
    await searchFor('tri', { sort: 'oldest' });
    expect(await titles('video')).toEqual(['Zèbre tri', 'Ábaque tri', 'Mouette tri']);
    await searchFor('tri', { sort: 'title' });
    expect(await titles('video')).toEqual(['Ábaque tri', 'Mouette tri', 'Zèbre tri']);
    expect(await page.inputValue('#sort')).toBe('title');
  });

  it('goes to the next page and back to the same tiles', async () => {
    await searchFor('filler', { sort: 'newest', type: 'videos' });
    expect(await page.locator('#photoList, section[aria-labelledby=photos-heading]').count()).toBe(0);
    const first = await titles('video');
    expect(first).toHaveLength(24);
    expect(first[0]).toBe('Filler 29');
    expect(await page.locator('a[rel=prev]').count()).toBe(0);
    await Promise.all([page.waitForURL(/videos=/), page.click('a[rel=next]')]);
    expect(await titles('video')).toEqual(['Filler 05', 'Filler 04', 'Filler 03', 'Filler 02', 'Filler 01', 'Filler 00']);
    expect(await page.locator('a[rel=next]').count()).toBe(0);
    expect(await page.inputValue('#q')).toBe('filler');
    await Promise.all([page.waitForURL(/videos=/), page.click('a[rel=prev]')]);
    expect(await titles('video')).toEqual(first);
    expect(await page.locator('a[rel=prev]').count()).toBe(0);
  });
});

/** Presses Tab until `selector` has the focus (at most `limit` times); true when it got there. */
async function tabTo(selector: string, limit = 40): Promise<boolean> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return true;
  }
  return false;
}

describe('deleting', () => {
  let video: VideoItem;
  let keys: string[];

  beforeAll(async () => {
    const call = apiClient(t.baseUrl, { cookie: editor.cookie, 'x-csrftoken': editor.csrf });
    const [upload, cover] = [await uploadFile(call, 'video'), await uploadFile(call, 'cover')];
    const saved = await call('POST', '/api/v1/videos', { title: 'Doomed « clip »', upload_id: upload, cover_upload_id: cover });
    expect(saved.status, await saved.clone().text()).toBe(201);
    video = (await saved.json()) as VideoItem;
    const row = await t.app.db.selectFrom('videos').selectAll().where('id', '=', video.id).executeTakeFirstOrThrow();
    keys = [row.file_key!, row.cover_film!];
  });

  /** What the store answers for the object now. */
  const storeStatus = async (key: string) => (await fetch(await t.app.storage.presignGet(key, { expiresIn: 60 }))).status;

  it('asks first, and Cancel keeps the item', async () => {
    await page.goto(`${t.baseUrl}/videos/${video.id}?lang=en`);
    expect(await tabTo('#deleteLink')).toBe(true);
    await Promise.all([page.waitForURL(/\/delete$/), page.keyboard.press('Enter')]);
    expect(await page.textContent('h1')).toBe('Delete “Doomed « clip »”?');
    expect(await page.textContent('.confirm p')).toContain('cover');
    expect(await tabTo('.confirm-actions a')).toBe(true);
    await Promise.all([page.waitForURL(`${t.baseUrl}/videos/${video.id}`), page.keyboard.press('Enter')]);
    expect(await t.app.db.selectFrom('videos').select('id').where('id', '=', video.id).executeTakeFirst()).toBeDefined();
    for (const key of keys) expect(await storeStatus(key), key).toBe(200);
  });

  it('refuses the confirmation page to an editor who does not own the item', async () => {
    const other = await t.login();
    expect((await t.request('GET', `/videos/${video.id}/delete`, { session: other })).status).toBe(403);
  });

  it('deletes after confirming, by keyboard, in French: the record goes and the store answers 404 for its file and cover', async () => {
    await page.goto(`${t.baseUrl}/videos/${video.id}/delete?lang=fr`);
    expect(await page.textContent('h1')).toBe('Supprimer «\u00a0Doomed « clip »\u00a0»\u00a0?');
    expect(await tabTo('#confirmDelete')).toBe(true);
    await Promise.all([page.waitForURL(/\/\?deleted=videos$/), page.keyboard.press('Enter')]);
    expect(await page.textContent('.alert-success')).toBe('La vidéo a été supprimée, avec son fichier et sa couverture.');
    expect(await t.app.db.selectFrom('videos').select('id').where('id', '=', video.id).executeTakeFirst()).toBeUndefined();
    for (const key of keys) expect(await storeStatus(key), key).toBe(404);
    expect((await t.request('GET', `/videos/${video.id}/delete`, { session: editor })).status).toBe(404);
  });
});
