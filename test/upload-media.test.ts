/**
 * What the browser reads and makes of the files it sends, in Chromium against the real app, on
 * the local store and on the S3 test server: a video's real duration and size, and a cover taken
 * from a frame that is not black when none is chosen; several photos in one go, each with its
 * record, its real size (EXIF orientation applied) and a thumbnail of at most 480 px; a file that
 * fails beside the others; a cancel that does not read "complete"; the pages in French.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSize } from '../src/shared/format.ts';
import { THUMBNAIL_EDGE } from '../src/shared/media-limits.ts';
import { launchChromium, logInPage, type Browser } from './chromium.ts';
import { startTestApp, TEST_PASSWORD, type TestApp } from './harness.ts';
import { mediaBytes } from './media-bytes.ts';

const MiB = 1024 * 1024;
const SCREENSHOTS = fileURLToPath(new URL('../.tmp/screenshots/', import.meta.url));

describe.each([
  { storage: 'local', database: 'pglite' },
  { storage: 's3', database: 'postgres' },
] as const)('files read in the browser on $storage storage', { timeout: 180_000 }, (setup) => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    t = await startTestApp(setup);
    const email = `media-${setup.storage}@example.com`;
    await t.login(email);
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.setDefaultTimeout(90_000);
    await logInPage(page, t.baseUrl, email, TEST_PASSWORD);
    await mkdir(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const text = async (selector: string) => (await page.textContent(selector))?.trim();
  const storeStatus = async (key: string) => (await fetch(await t.app.storage.presignGet(key, { expiresIn: 60 }))).status;

  /** The size and mean luminance of the stored image at `key`, decoded by the browser. */
  async function imageAt(key: string) {
    const bytes = new Uint8Array(await (await fetch(await t.app.storage.presignGet(key, { expiresIn: 60 }))).arrayBuffer());
    return page.evaluate(async (data) => {
      const bitmap = await createImageBitmap(new Blob([new Uint8Array(data)]));
      const canvas = document.createElement('canvas');
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let sum = 0;
      for (let i = 0; i < pixels.length; i += 4) sum += 0.2126 * pixels[i]! + 0.7152 * pixels[i + 1]! + 0.0722 * pixels[i + 2]!;
      return { width: bitmap.width, height: bitmap.height, luminance: sum / (pixels.length / 4) };
    }, [...bytes]);
  }

  it('gives a video without a cover its real duration and size, and a cover from a frame that is not black', async () => {
    await page.goto(`${t.baseUrl}/videos/new`);
    // A 3 s WebM recorded from a canvas: black for its first 0.6 s (a fade-in), as many films open.
    const { bytes, seconds } = await page.evaluate(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 180;
      const ctx = canvas.getContext('2d')!;
      const recorder = new MediaRecorder(canvas.captureStream(25), { mimeType: 'video/webm' });
      const chunks: Blob[] = [];
      recorder.ondataavailable = (e) => chunks.push(e.data);
      const stopped = new Promise((resolve) => (recorder.onstop = resolve));
      recorder.start();
      const started = performance.now();
      for (let elapsed = 0; elapsed < 3000; elapsed = performance.now() - started) {
        ctx.fillStyle = elapsed < 600 ? '#000' : `hsl(${(elapsed / 10) % 360} 80% 55%)`;
        ctx.fillRect(0, 0, 320, 180);
        await new Promise((r) => setTimeout(r, 40));
      }
      recorder.stop();
      await stopped;
      return { bytes: [...new Uint8Array(await new Blob(chunks).arrayBuffer())], seconds: (performance.now() - started) / 1000 };
    });
    await page.fill('input[name=title]', 'Fade-in');
    await page.setInputFiles('#videoFileInput', { name: 'fade-in.webm', mimeType: 'video/webm', buffer: Buffer.from(bytes) });
    await page.click('#videoForm button[type=submit]');
    await page.waitForSelector('#uploadResult a[href^="/videos/"]');
    expect(await text('#uploadResult')).toBe('Video saved. View it');
    expect(await page.locator('#progressFiles li').allTextContents()).toEqual(['fade-in-cover.webp (cover from the video) — 100% · done', 'fade-in.webm — 100% · done']);

    const id = Number((await page.getAttribute('#uploadResult a', 'href'))!.split('/').pop());
    const video = await t.app.db.selectFrom('videos').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(video).toMatchObject({ width: 320, height: 180 });
    expect(video.duration).toBeGreaterThan(seconds - 0.5);
    expect(video.duration).toBeLessThan(seconds + 0.5);
    expect(video.cover_film).toMatch(/^films\/[0-9a-f-]{36}\.webp$/);
    const item = (await (await t.request('GET', `/api/v1/videos/${id}`, { session: await t.login() })).json()) as { cover_url: string };
    expect(item.cover_url).toContain(video.cover_film);
    const cover = await imageAt(video.cover_film!);
    expect(cover).toMatchObject({ width: 320, height: 180 });
    expect(cover.luminance).toBeGreaterThanOrEqual(24);

    // The cover is the player's poster.
    await page.click('#uploadResult a');
    expect(await page.getAttribute('#player', 'poster')).toBe(item.cover_url);
  });

  it('sends five photos in one go: a record each, named after its file, with its real size and a thumbnail of at most 480 px', async () => {
    await page.goto(`${t.baseUrl}/photos/new`);
    expect(await page.getAttribute('#photoFileInput', 'multiple')).not.toBeNull();
    const sizes: [string, number, number, string][] = [
      ['wide.png', 1600, 1200, 'image/png'],
      ['tall.jpg', 600, 900, 'image/jpeg'],
      ['small.webp', 300, 200, 'image/webp'],
      ['panorama.jpg', 4000, 500, 'image/jpeg'],
      ['turned.jpg', 640, 480, 'image/jpeg'],
    ];
    const made = await page.evaluate(
      (list) =>
        Promise.all(
          list.map(async ([, width, height, type]) => {
            const canvas = document.createElement('canvas');
            canvas.width = width;
            canvas.height = height;
            const ctx = canvas.getContext('2d')!;
            ctx.fillStyle = '#2563eb';
            ctx.fillRect(0, 0, width, height);
            ctx.fillStyle = '#f59e0b';
            ctx.fillRect(0, 0, width / 2, height / 2);
            const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), type, 0.9));
            return [...new Uint8Array(await blob.arrayBuffer())];
          }),
        ),
      sizes,
    );
    // The last one is stored 640 × 480 and says "rotate 90°" in its EXIF: it shows 480 × 640.
    made[4] = [...withExifOrientation(Buffer.from(made[4]!), 6)];
    await page.setInputFiles(
      '#photoFileInput',
      sizes.map(([name, , , mimeType], i) => ({ name, mimeType, buffer: Buffer.from(made[i]!) })),
    );
    expect(await text('label[data-for=photoFileInput] .dropzone-file')).toBe(`5 files (${formatSize(made.reduce((sum, bytes) => sum + bytes.length, 0))})`);
    await page.click('#photoForm button[type=submit]');
    await page.waitForSelector('#uploadResult a');
    expect(await text('#uploadResult')).toBe('5 photos saved. See them in the library');
    expect(await page.locator('#progressFiles li').allTextContents()).toEqual(sizes.map(([name]) => `${name} — 100% · saved`));

    const photos = await t.app.db.selectFrom('photos').selectAll().orderBy('id', 'desc').limit(5).execute();
    const byTitle = new Map(photos.map((photo) => [photo.title, photo]));
    const expected: Record<string, [number, number]> = { wide: [1600, 1200], tall: [600, 900], small: [300, 200], panorama: [4000, 500], turned: [480, 640] };
    expect([...byTitle.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [title, [width, height]] of Object.entries(expected)) {
      const photo = byTitle.get(title)!;
      expect([photo.width, photo.height], title).toEqual([width, height]);
      expect(photo.thumbnail_key, title).toMatch(/^thumbs\/[0-9a-f-]{36}\.webp$/);
      const thumbnail = await imageAt(photo.thumbnail_key!);
      const scale = Math.min(1, THUMBNAIL_EDGE / Math.max(width, height));
      expect(Math.max(thumbnail.width, thumbnail.height), title).toBeLessThanOrEqual(THUMBNAIL_EDGE);
      expect([thumbnail.width, thumbnail.height], title).toEqual([Math.round(width * scale), Math.round(height * scale)]);
    }

    // The library shows the thumbnails, never the originals.
    await page.goto(`${t.baseUrl}/`);
    const sources = await page.locator('#photoList img').evaluateAll((imgs) => imgs.map((img) => img.getAttribute('src')));
    expect(sources.length).toBeGreaterThanOrEqual(5);
    for (const src of sources.slice(0, 5)) expect(src).toMatch(/thumbs\//);

    // The library as its users see it, real covers and thumbnails, for people to look at (the README shows it).
    await page.goto(`${t.baseUrl}/?lang=fr`);
    await page.waitForLoadState('networkidle');
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: `${SCREENSHOTS}library-${setup.storage}-fr-${width}.png`, fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${t.baseUrl}/?lang=en`);
  });

  it('saves the photos it can when one fails, and says why beside that file; a title is numbered', async () => {
    await page.goto(`${t.baseUrl}/photos/new`);
    await page.fill('input[name=title]', 'Match');
    await page.setInputFiles('#photoFileInput', [
      { name: 'one.jpg', mimeType: 'image/jpeg', buffer: mediaBytes('image/jpeg', 20_000) },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo') },
      { name: 'three.png', mimeType: 'image/png', buffer: mediaBytes('image/png', 20_000) },
    ]);
    await page.click('#photoForm button[type=submit]');
    await page.waitForSelector('#uploadResult[role=alert]:not(:empty)');
    expect(await text('#uploadResult')).toBe('1 of 3 photos were not saved: each file’s line says why.');
    const lines = await page.locator('#progressFiles li').allTextContents();
    expect(lines[0]).toBe('one.jpg — 100% · saved');
    expect(lines[1]).toMatch(/^notes\.txt — 0% · failed: “notes\.txt” is not an allowed photo type \(text\/plain\)/);
    expect(lines[2]).toBe('three.png — 100% · saved');
    // Bytes the browser cannot decode are still sent, with what it could not read left unknown.
    const saved = await t.app.db.selectFrom('photos').selectAll().where('title', 'like', 'Match (%').orderBy('title').execute();
    expect(saved.map((photo) => [photo.title, photo.width, photo.height, photo.thumbnail_key])).toEqual([
      ['Match (1)', null, null, null],
      ['Match (3)', null, null, null],
    ]);
  });

  it('in French: a cancelled upload reads “Envoi annulé”, never complete, and leaving the page while sending is warned', async () => {
    await page.goto(`${t.baseUrl}/videos/new?lang=fr`);
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    expect(await text('h1')).toBe('Envoyer une vidéo');
    expect(await text('#videoForm button[type=submit]')).toBe('Envoyer la vidéo');
    // No English left on the form: labels, hints, sizes, buttons.
    expect(await text('main')).not.toMatch(/\b(Upload|Choose|drag|Title|Cover|Video file|optional|up to|MB|Resume|Cancel)\b/);
    expect(await text('label[data-for=videoFileInput] .dropzone-hint')).toMatch(/^MP4, WebM, MOV, MKV · jusqu’à \d+,\d\d Go$/);
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4 * MiB });
    try {
      await page.fill('input[name=title]', 'Annulée');
      await page.setInputFiles('#coverFileInput', { name: 'couverture.png', mimeType: 'image/png', buffer: mediaBytes('image/png', 30_000) });
      await page.setInputFiles('#videoFileInput', { name: 'longue.mp4', mimeType: 'video/mp4', buffer: mediaBytes('video/mp4', 40 * MiB) });
      expect(await text('label[data-for=videoFileInput] .dropzone-file')).toBe('longue.mp4 (40,00 Mo)');
      await page.click('#videoForm button[type=submit]');
      // The cover completes first; then the video is on its way.
      await page.waitForFunction(() => document.getElementById('progressFiles')!.textContent!.includes('couverture.png — 100% · terminé'));
      await page.waitForFunction(() => Number(document.getElementById('progressBar')!.getAttribute('aria-valuenow')) >= 2);
      expect(await text('#progressStatus')).toBe('Envoi de la vidéo…');
      // Speed and time left once a few samples are in.
      await expect.poll(() => text('#progressTimeRemaining')).toMatch(/^encore \d+/);
      expect(await text('#progressSpeed')).toMatch(/^\d+,\d Mo\/s$/);
      expect(await text('#progressDetails')).toMatch(/^\d+,\d\d \/ 40,\d\d Mo$/);
      const warned = await page.evaluate(() => {
        const event = new Event('beforeunload', { cancelable: true });
        window.dispatchEvent(event);
        return event.defaultPrevented;
      });
      expect(warned).toBe(true);

      await page.click('#cancelButton');
      await page.waitForFunction(() => document.getElementById('uploadResult')!.textContent === 'Envoi annulé.');
      expect(await text('#progressStatus')).toBe('Envoi annulé');
      expect(await text('#progressText')).not.toBe('100%');
      expect(await page.getAttribute('#progressBar', 'aria-valuenow')).not.toBe('100');
      expect(await text('#uploadProgress')).not.toMatch(/terminé ·|Envoi terminé|complete/i);
      // Nothing of it stays: the cover that had completed is discarded with the video.
      const uploads = await t.app.db.selectFrom('uploads').selectAll().where('filename', 'in', ['couverture.png', 'longue.mp4']).execute();
      expect(uploads.map((upload) => upload.state).sort()).toEqual(['aborted', 'aborted']);
      await expect.poll(async () => Promise.all(uploads.map((upload) => storeStatus(upload.key)))).toEqual([404, 404]);
      const leaving = await page.evaluate(() => {
        const event = new Event('beforeunload', { cancelable: true });
        window.dispatchEvent(event);
        return event.defaultPrevented;
      });
      expect(leaving).toBe(false);
    } finally {
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
      await page.goto(`${t.baseUrl}/?lang=en`);
    }
  });
});

/** The JPEG with an EXIF block (APP1) saying `orientation`, as cameras write it, right after its SOI marker. */
function withExifOrientation(jpeg: Buffer, orientation: number): Buffer {
  const tiff = Buffer.from([
    ...[0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08], // big-endian TIFF header, first IFD at 8
    ...[0x00, 0x01], // one entry
    ...[0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, orientation, 0x00, 0x00], // Orientation, SHORT, 1
    ...[0x00, 0x00, 0x00, 0x00], // no next IFD
  ]);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff]), body]);
  return Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
}
