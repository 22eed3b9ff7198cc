/**
 * The upload page's offer to continue an unfinished upload, in Chromium on the local store:
 * an upload stopped and the page reloaded, the page says which file, how much the store holds
 * and until when, in French; choosing the same file brings back its title and description and
 * the upload continues (one upload, never a second one from zero); discarding deletes it on
 * the server. The offer's figures on S3, where the store holds parts, are checked in Node.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import type { CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../src/client/api.ts';
import { createUploader } from '../src/client/engine.ts';
import { fetchTransport } from '../src/client/fetch-transport.ts';
import { MemoryResumeStore } from '../src/client/resume-store.ts';
import { discardUnfinished, Drafts, findUnfinished } from '../src/client/unfinished.ts';
import { launchChromium, logInPage, type Browser } from './chromium.ts';
import { startTestApp, TEST_PASSWORD, type TestApp } from './harness.ts';
import { writeRandomFile } from './random-file.ts';

const SCREENSHOTS = fileURLToPath(new URL('../.tmp/screenshots/pages/', import.meta.url));
const MiB = 1024 ** 2;
const FILE_SIZE = 24 * MiB;
/** Slow enough to stop the upload part-way: 24 MiB take about 6 s. */
const UPLOAD_BYTES_PER_SECOND = 4 * MiB;

describe('unfinished uploads in the page (local store)', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let cdp: CDPSession;
  let dir: string;
  const email = 'unfinished@example.com';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-unfinished-'));
    await mkdir(SCREENSHOTS, { recursive: true });
    t = await startTestApp();
    await t.login(email);
    browser = await launchChromium();
    page = await browser.context.newPage();
    cdp = await browser.context.newCDPSession(page);
    await logInPage(page, t.baseUrl, email, TEST_PASSWORD, '?lang=fr');
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const throttle = (bytesPerSecond: number) =>
    cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });

  /** Starts the upload of a new file on a slow link, stops it part-way with Pause, and reloads the page. */
  async function leaveUnfinished(name: string, title: string, description: string): Promise<{ file: string; sha256: string }> {
    const file = path.join(dir, name);
    const sha256 = await writeRandomFile(file, FILE_SIZE, 'video/mp4');
    await page.goto(`${t.baseUrl}/videos/new`);
    await throttle(UPLOAD_BYTES_PER_SECOND);
    await page.fill('#videoForm input[name=title]', title);
    await page.fill('#videoForm textarea[name=description]', description);
    await page.setInputFiles('#videoFileInput', file);
    await page.click('form[data-upload-form] button[type=submit]');
    await expect.poll(async () => Number(await page.getAttribute('#progressBar', 'aria-valuenow')), { timeout: 30_000 }).toBeGreaterThanOrEqual(20);
    await page.click('#pauseButton');
    await throttle(-1);
    await page.reload();
    return { file, sha256 };
  }

  const uploadsOf = (filename: string) => t.app.db.selectFrom('uploads').selectAll().where('filename', '=', filename).execute();
  const storageKeys = () => page.evaluate(() => Object.keys(localStorage));

  it('says what is unfinished, in French; the same file chosen again gets its title back and continues the same upload', async () => {
    const { file, sha256 } = await leaveUnfinished('reportage-eleves.mp4', 'Reportage : les élèves', 'Tourné au lycée.');
    const notice = page.locator('#unfinishedUploads');
    await expect.poll(() => notice.isVisible()).toBe(true);
    const [stored] = await uploadsOf('reportage-eleves.mp4');
    expect(stored?.state).toBe('pending');
    const line = (await notice.locator('.unfinished-line').textContent()) ?? '';
    expect(line).toMatch(/^reportage-eleves\.mp4\u00a0: \d+,\d\d Mo sur 24,00 Mo déjà stockés, conservés jusqu’au .+\.$/);
    const heldMo = Number(line.match(/\u00a0: (\d+,\d\d) Mo/)![1]!.replace(',', '.'));
    expect(heldMo).toBeGreaterThan(0);
    expect(heldMo).toBeLessThan(24);
    expect(await notice.locator('h2').textContent()).toBe('Envois inachevés');
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: `${SCREENSHOTS}unfinished-fr-${width}.png`, fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });

    // Seen by axe as it is shown, and worked from the keyboard: the button opens the file chooser.
    const axe = await new AxeBuilder({ page }).include('#unfinishedUploads').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    const chooser = page.waitForEvent('filechooser');
    await notice.getByRole('button', { name: 'Choisir le fichier' }).press('Enter');
    await (await chooser).setFiles(file);

    expect(await page.inputValue('#videoForm input[name=title]')).toBe('Reportage : les élèves');
    expect(await page.inputValue('#videoForm textarea[name=description]')).toBe('Tourné au lycée.');
    expect(await notice.locator('.unfinished-chosen').textContent()).toBe('Ce fichier reprend l’envoi\u00a0: envoyez le formulaire.');

    await page.click('form[data-upload-form] button[type=submit]');
    await page.waitForSelector('#uploadResult a[href^="/videos/"]', { timeout: 60_000 });
    const uploads = await uploadsOf('reportage-eleves.mp4');
    expect(uploads).toHaveLength(1); // continued, not started again
    const video = await t.app.db.selectFrom('videos').selectAll().where('title', '=', 'Reportage : les élèves').executeTakeFirstOrThrow();
    expect(video).toMatchObject({ description: 'Tourné au lycée.', size: FILE_SIZE, file_key: uploads[0]!.key });
    const body = Buffer.from(await (await fetch(await t.app.storage.presignGet(video.file_key!, { expiresIn: 60 }))).arrayBuffer());
    expect(createHash('sha256').update(body).digest('hex')).toBe(sha256);

    // Nothing is left to offer, and nothing of it stays in the browser.
    await page.goto(`${t.baseUrl}/videos/new`);
    await page.waitForLoadState('networkidle');
    expect(await notice.isVisible()).toBe(false);
    expect((await storageKeys()).filter((key) => key.startsWith('airlift:upload:') || key.startsWith('airlift:draft:'))).toEqual([]);
  });

  it('discards an unfinished upload: deleted on the server, forgotten in the browser, the keyboard kept in the form', async () => {
    await leaveUnfinished('rushes-a-jeter.mp4', 'Rushes', '');
    const notice = page.locator('#unfinishedUploads');
    await expect.poll(() => notice.isVisible()).toBe(true);
    await notice.getByRole('button', { name: 'Abandonner' }).click();
    await expect.poll(() => notice.isVisible()).toBe(false);
    const [upload] = await uploadsOf('rushes-a-jeter.mp4');
    expect(upload?.state).toBe('aborted');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('title');
    expect((await storageKeys()).filter((key) => key.includes('rushes-a-jeter'))).toEqual([]);
  });
});

describe('unfinished uploads found on S3 (parts stored)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ storage: 's3' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('counts the whole parts the store holds, forgets what the server no longer has, and discards on the server', async () => {
    const session = await t.login('unfinished-s3@example.com');
    const api = new ApiClient({ baseUrl: t.baseUrl, headers: () => ({ cookie: session.cookie, 'x-csrftoken': session.csrf }) });
    const resumeStore = new MemoryResumeStore();
    const drafts = new Drafts(null);
    const uploader = createUploader({ api, transport: fetchTransport(), resumeStore, partSize: 5 * MiB, concurrency: 1 });
    const blob = new Blob([new Uint8Array(40 * MiB).fill(7)], { type: 'video/mp4' });
    // Paused as soon as the first part is stored, from the engine's own event: on loopback the rest would follow within moments.
    const firstPart = new Promise<void>((resolve) => {
      uploader.on('progress', ({ upload }) => {
        if (upload.progress().partsDone >= 1) {
          uploader.pause();
          resolve();
        }
      });
    });
    uploader.add(blob, { kind: 'video', filename: 'parts.mp4', lastModified: 1 });
    await firstPart;

    const [found, ...others] = await findUnfinished(['video'], { api, resumeStore, drafts });
    expect(others).toEqual([]);
    expect(found?.record.filename).toBe('parts.mp4');
    expect(found!.storedBytes % (5 * MiB)).toBe(0);
    expect(found!.storedBytes).toBeGreaterThanOrEqual(5 * MiB);

    await discardUnfinished(found!, { api, resumeStore, drafts });
    const [row] = await t.app.db.selectFrom('uploads').selectAll().where('filename', '=', 'parts.mp4').execute();
    expect(row?.state).toBe('aborted');
    expect(await resumeStore.list('video')).toEqual([]);

    // A record whose upload the server no longer has is not offered, and is forgotten.
    await resumeStore.set('airlift:upload:video:1:1:gone.mp4', { uploadId: row!.id, filename: 'gone.mp4', size: 1, lastModified: 1, kind: 'video', partSize: 5 * MiB });
    expect(await findUnfinished(['video'], { api, resumeStore, drafts })).toEqual([]);
    expect(await resumeStore.list('video')).toEqual([]);
  });

  it('offers nothing of records tampered with in the browser’s storage, and discards no one else’s upload', async () => {
    // Another user's upload, in progress: a forged record names it.
    const owner = await t.login('unfinished-owner@example.com');
    const theirs = await t.request('POST', '/api/v1/uploads', { session: owner, json: { filename: 'theirs.mp4', size: 6 * MiB, content_type: 'video/mp4', kind: 'video' } });
    expect(theirs.status).toBe(201);
    const { id: theirId } = (await theirs.json()) as { id: string };
    const session = await t.login('unfinished-attacker@example.com');
    const api = new ApiClient({ baseUrl: t.baseUrl, headers: () => ({ cookie: session.cookie, 'x-csrftoken': session.csrf }) });
    const resumeStore = new MemoryResumeStore();
    const drafts = new Drafts(null);
    const forged = (filename: string, uploadId: string) => resumeStore.set(`airlift:upload:video:${6 * MiB}:1:${filename}`, { uploadId, filename, size: 6 * MiB, lastModified: 1, kind: 'video', partSize: 5 * MiB });
    await forged('theirs.mp4', theirId);
    await forged('<img src=x onerror=alert(1)>.mp4', '../../admin/users');
    await forged('nul.mp4', 'a\u0000b');

    expect(await findUnfinished(['video'], { api, resumeStore, drafts })).toEqual([]);
    expect(await resumeStore.list('video')).toEqual([]);
    // Discarding the forged record of their upload leaves it theirs and pending.
    await discardUnfinished({ key: 'airlift:upload:video:forged', record: { uploadId: theirId, filename: 'theirs.mp4', size: 6 * MiB, lastModified: 1, kind: 'video', partSize: 5 * MiB } }, { api, resumeStore, drafts });
    const row = await t.app.db.selectFrom('uploads').select('state').where('id', '=', theirId).executeTakeFirstOrThrow();
    expect(row.state).toBe('pending');
  });
});
