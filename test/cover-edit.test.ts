/**
 * Changing a video's cover from its page, in Chromium, in French, from the keyboard, on the
 * local store and on the S3 test server: the new image goes to the store through the engine,
 * the video takes it, the player shows it, the old cover's object is gone; a missing file is
 * said at the field, and the keyboard's focus stays on the button while it sends.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VideoItem } from '../src/shared/api.ts';
import { apiClient, uploadFile, type ApiCall } from './api-flow.ts';
import { launchChromium, logInPage, type Browser } from './chromium.ts';
import { startTestApp, TEST_PASSWORD, type TestApp } from './harness.ts';
import { mediaBytes } from './media-bytes.ts';

describe.each(['local', 's3'] as const)('changing a video’s cover on %s storage', (storage) => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let call: ApiCall;
  let dir: string;
  const email = `cover-${storage}@example.com`;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-cover-'));
    await mkdir(dir, { recursive: true });
    t = await startTestApp({ storage });
    const session = await t.login(email);
    call = apiClient(t.baseUrl, { cookie: session.cookie, 'x-csrftoken': session.csrf });
    browser = await launchChromium();
    page = await browser.context.newPage();
    await logInPage(page, t.baseUrl, email, TEST_PASSWORD, '?lang=fr');
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const status = async (key: string) => (await fetch(await t.app.storage.presignGet(key, { expiresIn: 60 }))).status;

  it('replaces the cover: the player shows the new one, the old object is gone, the focus stays on the button', async () => {
    const video = (await (await call('POST', '/api/v1/videos', { title: 'Conseil municipal', upload_id: await uploadFile(call, 'video'), cover_upload_id: await uploadFile(call, 'cover') })).json()) as VideoItem;
    const oldCover = (await t.app.db.selectFrom('videos').select('cover_film').where('id', '=', video.id).executeTakeFirstOrThrow()).cover_film!;
    expect(await status(oldCover)).toBe(200);

    await page.goto(`${t.baseUrl}/videos/${video.id}`);
    await page.click('details.edit summary');
    const button = page.getByRole('button', { name: 'Changer la couverture' });

    // No file: said at the field, which is marked and described by it, and the keyboard goes there.
    await button.press('Enter');
    const input = page.getByLabel('Nouvelle image de couverture');
    await expect.poll(() => input.getAttribute('aria-invalid')).toBe('true');
    expect((await page.textContent('#coverError'))?.length).toBeGreaterThan(0);
    expect(await input.getAttribute('aria-describedby')).toContain('coverError');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('cover');

    const image = path.join(dir, 'nouvelle-couverture.png');
    const bytes = mediaBytes('image/png', 48 * 1024);
    await writeFile(image, bytes);
    await input.setInputFiles(image);
    expect(await input.getAttribute('aria-invalid')).toBeNull();
    await button.press('Enter');
    await expect.poll(() => page.textContent('.cover-status'), { timeout: 30_000 }).toBe('La couverture a été changée.');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Changer la couverture');

    const changed = (await (await call('GET', `/api/v1/videos/${video.id}`)).json()) as VideoItem;
    expect(changed.cover_url).not.toBe(video.cover_url);
    expect(await page.getAttribute('#player', 'poster')).toBe(changed.cover_url);
    const newCover = (await t.app.db.selectFrom('videos').select('cover_film').where('id', '=', video.id).executeTakeFirstOrThrow()).cover_film!;
    expect(Buffer.from(await (await fetch(await t.app.storage.presignGet(newCover, { expiresIn: 60 }))).arrayBuffer()).equals(bytes)).toBe(true);
    await expect.poll(() => status(oldCover)).toBe(404);
  });

  it('the upload form says a problem at its field, and keeps the keyboard on the button while it sends', async () => {
    await page.goto(`${t.baseUrl}/videos/new`);
    const submit = page.locator('#videoForm button[type=submit]');
    await submit.press('Enter');
    const title = page.locator('#videoForm input[name=title]');
    await expect.poll(() => title.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await title.getAttribute('aria-describedby'))!.split(' ');
    expect(describedBy).toContain('titleError');
    expect((await page.textContent('#titleError'))?.length).toBeGreaterThan(0);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('title');

    await title.fill('Sans couverture');
    expect(await title.getAttribute('aria-invalid')).toBe('true');
    const clip = path.join(dir, 'clip.mp4');
    await writeFile(clip, mediaBytes('video/mp4', 256 * 1024));
    await page.setInputFiles('#videoFileInput', clip);
    await submit.press('Enter');
    await expect.poll(() => submit.getAttribute('aria-disabled')).toBe('true');
    expect(await title.getAttribute('aria-invalid')).toBeNull();
    expect(await page.$('#titleError:not(:empty)')).toBeNull();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('type'))).toBe('submit');
    await page.waitForSelector('#uploadResult a[href^="/videos/"]', { timeout: 60_000 });
    expect(await submit.getAttribute('aria-disabled')).toBeNull();
  });
});
