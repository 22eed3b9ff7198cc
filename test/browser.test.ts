/**
 * The whole seed flow in Chromium against a running server, on the local store and on the
 * S3 driver (the real S3 test server, on another origin, so the browser pays real CORS):
 * the seed's own page script unchanged, then the forms with a real video, cover and photo.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, rememberLink, type Browser } from './chromium.ts';
import { startTestApp, TEST_PASSWORD, type TestApp } from './harness.ts';
import { mediaBytes, mediaOpening } from './media-bytes.ts';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const SEED_SCRIPT = fileURLToPath(new URL('./fixtures/seed-upload.js', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('../.tmp/screenshots/', import.meta.url));
const MiB = 1024 * 1024;

describe.each(['local', 's3'] as const)('browser on %s storage', (storage) => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let email: string;
  /** Bytes the app server read from its sockets: with S3, only the small JSON calls. */
  let serverBytesRead = 0;

  beforeAll(async () => {
    t = await startTestApp({ storage });
    const sockets = new Set<Socket>();
    t.app.server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => ((serverBytesRead += socket.bytesRead), sockets.delete(socket)));
    });
    readBytes = () => serverBytesRead + [...sockets].reduce((sum, s) => sum + s.bytesRead, 0);
    email = `staff-${storage}@example.com`;
    await t.app.db.insertInto('users').values({ email, password_hash: await (await import('../src/auth/passwords.ts')).hashPassword(TEST_PASSWORD), role: 'editor' }).execute();
    browser = await launchChromium();
    await rememberLink(browser.context);
    page = await browser.context.newPage();
    await page.goto(`${t.baseUrl}/`);
    await page.waitForURL(/\/login\?next=/);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', TEST_PASSWORD);
    await page.click('form[action="/login"] button[type=submit]');
    await page.waitForURL(`${t.baseUrl}/`);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  let readBytes = () => 0;

  /** The stored bytes of a saved record's object, read back from the store. */
  async function storedBytes(key: string): Promise<Uint8Array> {
    const res = await fetch(await t.app.storage.presignGet(key, { expiresIn: 60 }));
    return new Uint8Array(await res.arrayBuffer());
  }

  it('runs the seed’s own uploadVideoToR2 unchanged', async () => {
    await page.goto(`${t.baseUrl}/videos/new`);
    const seed = await readFile(SEED_SCRIPT, 'utf8');
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/save-video-metadata/'));
    // The page template's globals the seed script reads, and Django's usual getCSRFToken().
    const digest = await page.evaluate(`(async () => {
      window.title = 'Seed upload'; window.description = 'Sent by the seed script'; window.speedMBs = '0.0';
      window.getCSRFToken = () => document.cookie.split('; ').find((c) => c.startsWith('csrftoken='))?.split('=')[1];
      ${seed}
      const bytes = new Uint8Array(5 * 1024 * 1024);
      for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
      bytes.set([${[...mediaOpening('video/mp4')].join(',')}], 0); // opens as an MP4, as the content check at save wants
      const file = new File([bytes], 'seed clip.mp4', { type: 'video/mp4' });
      document.getElementById('uploadProgress').classList.remove('hidden');
      uploadVideoToR2(file);
      const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      return Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
    })()`);
    const response = await saved;
    expect(response.status()).toBe(200);
    const { success, video_id } = (await response.json()) as { success: boolean; video_id: number };
    expect(success).toBe(true);
    await expect.poll(() => page.textContent('#progressText')).toBe('100%');
    expect(await page.textContent('#progressDetails')).toBe('5.00 / 5.00 MB');
    const video = await t.app.db.selectFrom('videos').selectAll().where('id', '=', video_id).executeTakeFirstOrThrow();
    expect(video).toMatchObject({ title: 'Seed upload', description: 'Sent by the seed script', size: 5 * MiB, content_type: 'video/mp4' });
    expect(sha256(await storedBytes(video.file_key!))).toBe(digest);
  });

  it('uploads a 20 MB video with its cover and a photo through the forms, with full progress', async () => {
    // A real picture and a real (short) video, made by the browser itself.
    await page.goto(`${t.baseUrl}/videos/new`);
    const cover = Buffer.from(
      (await page.evaluate(() => {
        const canvas = document.createElement('canvas');
        canvas.width = 640;
        canvas.height = 360;
        const ctx = canvas.getContext('2d')!;
        const gradient = ctx.createLinearGradient(0, 0, 640, 360);
        gradient.addColorStop(0, '#4f46e5');
        gradient.addColorStop(1, '#9333ea');
        ctx.fillStyle = gradient;
        ctx.fillRect(0, 0, 640, 360);
        return canvas.toDataURL('image/png');
      })).split(',')[1]!,
      'base64',
    );
    // 20 MiB: an MP4's opening, then random bytes, so nothing can compress them on the way.
    const video = mediaBytes('video/mp4', 20 * MiB);
    const before = readBytes();

    await page.fill('input[name=title]', 'Launch day');
    await page.fill('textarea[name=description]', 'The whole team on the roof.');
    await page.setInputFiles('#coverFileInput', { name: 'cover.png', mimeType: 'image/png', buffer: cover });
    await page.setInputFiles('#videoFileInput', { name: 'launch.mp4', mimeType: 'video/mp4', buffer: video });
    await expect.poll(() => page.textContent('label[data-for=videoFileInput] .dropzone-file')).toContain('launch.mp4');
    await page.click('form[data-upload-form] button[type=submit]');
    await page.waitForSelector('#uploadResult a[href^="/videos/"]', { timeout: 60_000 });

    expect(await page.getAttribute('#uploadResult', 'role')).toBe('status');
    expect(await page.textContent('#uploadResult')).toContain('Video saved.');
    expect(await page.textContent('#progressText')).toBe('100%');
    expect(await page.getAttribute('#progressBar', 'aria-valuenow')).toBe('100');
    expect(await page.textContent('#progressDetails')).toMatch(/^20\.\d\d \/ 20\.\d\d MB$/);
    expect(await page.textContent('#progressSpeed')).toMatch(/^\d+\.\d MB\/s$/);
    expect(await page.textContent('#progressTimeRemaining')).toMatch(/^done in \d+ s$/);
    expect(await page.textContent('#progressSpeed')).not.toBe('0.0 MB/s');
    expect(await page.locator('#progressFiles li').allTextContents()).toEqual(['cover.png — 100% · done', 'launch.mp4 — 100% · done']);
    if (storage === 's3') {
      // Not one byte of the file passed through the app: only the JSON calls and page loads.
      expect(readBytes() - before).toBeLessThan(64 * 1024);
    }
    await screenshot(page, storage, 'video-form-done');

    const href = (await page.getAttribute('#uploadResult a', 'href'))!;
    const id = Number(href.split('/').pop());
    const record = await t.app.db.selectFrom('videos').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(record).toMatchObject({ title: 'Launch day', description: 'The whole team on the roof.', size: video.length, content_type: 'video/mp4' });
    expect(sha256(await storedBytes(record.file_key!))).toBe(sha256(video));
    expect(sha256(await storedBytes(record.cover_film!))).toBe(sha256(cover));

    // A photo through its form.
    await page.goto(`${t.baseUrl}/photos/new`);
    await page.fill('input[name=title]', 'Roof');
    await page.setInputFiles('#photoFileInput', { name: 'roof.png', mimeType: 'image/png', buffer: cover });
    await page.click('form[data-upload-form] button[type=submit]');
    await page.waitForSelector('#uploadResult a[href^="/photos/"]');
    expect(await page.textContent('#uploadResult')).toContain('Photo saved.');

    // Both in the library, the cover and the photo visible.
    await page.goto(`${t.baseUrl}/`);
    expect(await page.textContent('#videoList')).toContain('Launch day');
    expect(await page.textContent('#photoList')).toContain('Roof');
    await page.waitForFunction(() => [...document.images].every((img) => img.complete && img.naturalWidth > 0));
    await screenshot(page, storage, 'library');
    await page.click('#photoList a');
    await page.waitForFunction(() => (document.getElementById('photo') as HTMLImageElement).naturalWidth === 640);
    await screenshot(page, storage, 'photo');
  });

  it('plays a real video uploaded through the form', async () => {
    await page.goto(`${t.baseUrl}/videos/new`);
    // A two-second WebM recorded by the browser from a canvas: a file the player can decode.
    const webm = Buffer.from(
      await page.evaluate(async () => {
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
        while (performance.now() - started < 2000) {
          ctx.fillStyle = `hsl(${(performance.now() / 10) % 360} 70% 50%)`;
          ctx.fillRect(0, 0, 320, 180);
          await new Promise((r) => setTimeout(r, 40));
        }
        recorder.stop();
        await stopped;
        return [...new Uint8Array(await new Blob(chunks).arrayBuffer())];
      }),
    );
    await page.fill('input[name=title]', 'Playable');
    await page.setInputFiles('#videoFileInput', { name: 'clip.webm', mimeType: 'video/webm', buffer: webm });
    await page.click('form[data-upload-form] button[type=submit]');
    await page.waitForSelector('#uploadResult a[href^="/videos/"]');
    await page.click('#uploadResult a');
    await page.waitForFunction(() => {
      const player = document.getElementById('player') as HTMLVideoElement;
      return player.readyState >= 1 && player.duration > 0;
    });
    await screenshot(page, storage, 'video');
  });

  it('shows the server’s refusal of a file type in an alert', async () => {
    await page.goto(`${t.baseUrl}/photos/new`);
    await page.fill('input[name=title]', 'Not a photo');
    await page.setInputFiles('#photoFileInput', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await page.click('form[data-upload-form] button[type=submit]');
    await page.waitForSelector('#uploadResult[role=alert]');
    expect(await page.textContent('#uploadResult')).toMatch(/not accepted|not allowed|type/i);
    expect(await t.app.db.selectFrom('photos').selectAll().where('title', '=', 'Not a photo').execute()).toEqual([]);
  });

  it('lays out every page at desktop and phone widths', async () => {
    if (storage !== 'local') return;
    for (const [name, path] of [['login', '/login'], ['library', '/'], ['video-form', '/videos/new'], ['photo-form', '/photos/new']] as const) {
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await page.goto(t.baseUrl + path);
        // Nothing wider than the screen: no sideways scrolling on a phone.
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
        await screenshot(page, storage, `${name}-${width}`);
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});

async function screenshot(page: Page, storage: string, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${storage}-${name}.png`, fullPage: true });
}
