/**
 * The upload forms in Chromium against the real app, on the local store and on the S3 test
 * server: the XHR transport's progress, failed PUTs retried, the pause / resume / cancel
 * buttons, a resume after the page is reloaded, and the checks made before anything is sent.
 * On S3 the video goes in parts, which request routing fails or holds back; the local store
 * takes it in one PUT that continues from the bytes it kept, which the tests slow down with
 * Chromium's upload throttling so that they can act while it is on its way.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page, Route } from 'playwright-core';
import { writeRandomFile } from '../../test/random-file.ts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium, rememberLink, recordedStatuses, recordStatuses, type Browser } from '../../test/chromium.ts';
import { startTestApp, TEST_PASSWORD, type TestApp } from '../../test/harness.ts';
import { settled } from '../../test/settled.ts';
import { heldBytesOf } from '../storage/driver.ts';

const MiB = 1024 * 1024;
/** Above S3's single-PUT threshold: five parts of the server's 64 MiB, four whole ones and a small last one. */
const VIDEO_SIZE = 4 * 64 * MiB + MiB;

/** The part number of a part PUT's URL (the local store's `part`, S3's `partNumber`), 0 for any other URL. */
const partOf = (url: URL) => Number(url.searchParams.get('part') ?? url.searchParams.get('partNumber') ?? 0);

describe.each([
  { storage: 'local', database: 'pglite' },
  { storage: 's3', database: 'postgres' },
] as const)('upload forms in Chromium on $storage storage', { timeout: 180_000 }, (setup) => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let video: string;
  let videoSha256: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-forms-'));
    video = path.join(dir, 'rooftop.mp4');
    videoSha256 = await writeRandomFile(video, VIDEO_SIZE, 'video/mp4');

    t = await startTestApp(setup);
    const email = 'forms@example.com';
    await t.login(email);
    browser = await launchChromium();
    await rememberLink(browser.context, undefined, { pinned: true });
    page = await browser.context.newPage();
    // A 257 MB upload to the S3 test server on a busy 2-core machine can take longer than Playwright's 30 s default.
    page.setDefaultTimeout(120_000);
    await page.goto(`${t.baseUrl}/login`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', TEST_PASSWORD);
    await page.click('main button[type=submit]');
    await page.waitForURL(`${t.baseUrl}/`);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await page.goto(`${t.baseUrl}/videos/new`);
  });

  /**
   * Holds the PUTs of the given parts unanswered, as a stalled network would, until the page
   * pauses, cancels or reloads. Not a reset: the store answers the engine's probe, so a reset
   * part goes again within a second and spends its eight retries in about ten, which on a
   * loaded machine fails the upload before the other parts are in.
   */
  const holdParts = (...parts: number[]) =>
    page.route(
      (url) => parts.includes(partOf(url)),
      () => undefined,
    );

  const statuses = () => recordedStatuses(page);
  const inParts = setup.storage === 's3';
  const text = async (selector: string) => (await page.textContent(selector))?.trim();

  /** The part numbers the store holds for the latest upload. */
  async function storedParts(): Promise<number[]> {
    const upload = await t.app.db.selectFrom('uploads').selectAll().orderBy('created_at', 'desc').executeTakeFirst();
    if (!upload?.multipart_id) return [];
    return (await t.app.storage.listParts(upload.key, upload.multipart_id)).map((part) => part.partNumber);
  }

  async function fillVideoForm(title: string) {
    await page.fill('#videoForm input[name=title]', title);
    await page.setInputFiles('#videoFileInput', video);
  }

  async function savedVideo(title: string) {
    await page.waitForSelector('#uploadResult a[href^="/videos/"]', { timeout: 120_000 });
    expect(await text('#uploadResult')).toBe('Video saved. View it');
    const id = Number((await page.getAttribute('#uploadResult a', 'href'))!.split('/').pop());
    const record = await t.app.db.selectFrom('videos').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(record.title).toBe(title);
    const stored = await fetch(await t.app.storage.presignGet(record.file_key!, { expiresIn: 60 }));
    expect(createHash('sha256').update(new Uint8Array(await stored.arrayBuffer())).digest('hex')).toBe(videoSha256);
    // The bytes are checked: free the store's room (the S3 test server keeps its data in RAM).
    await t.app.storage.delete(record.file_key!);
  }

  it('says what is wrong before sending anything', async () => {
    await page.click('#videoForm button[type=submit]');
    expect(await page.getAttribute('#uploadResult', 'role')).toBe('alert');
    expect(await text('#uploadResult')).toBe('Enter a title.');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('title');

    await page.fill('#videoForm input[name=title]', 'Too big');
    await page.evaluate(() => document.getElementById('videoFileInput')!.setAttribute('data-max-size', String(1024 * 1024)));
    await page.setInputFiles('#videoFileInput', video);
    expect(await text('label[data-for=videoFileInput] .dropzone-file')).toBe('rooftop.mp4 (257.00 MB)');
    await page.click('#videoForm button[type=submit]');
    expect(await text('#uploadResult')).toBe('“rooftop.mp4” is 257.00 MB; the largest video accepted is 1.00 MB.');
    expect(await page.isHidden('#uploadProgress')).toBe(true);
    expect(await t.app.db.selectFrom('uploads').selectAll().execute()).toEqual([]);
  });

  it.runIf(inParts)('pauses and resumes from the buttons, then saves the video byte for byte', async () => {
    await holdParts(5);
    await fillVideoForm('Paused once');
    await page.click('#videoForm button[type=submit]');
    expect(await page.getAttribute('#videoForm button[type=submit]', 'aria-disabled')).toBe('true');
    await page.waitForFunction(() => document.getElementById('progressText')!.textContent === '99%');
    // 99% is reached while the fourth part is still going: wait until every part but the held one is in.
    await expect.poll(() => text('#progressDetails'), { timeout: 120_000 }).toMatch(/^256\.\d\d \/ 257\.00 MB$/);

    await page.click('#pauseButton');
    await page.waitForFunction(() => document.getElementById('progressStatus')!.textContent === 'Paused');
    expect(await page.isHidden('#pauseButton')).toBe(true);
    expect(await text('#progressSpeed')).toBe('0.0 MB/s');
    expect(await text('#progressTimeRemaining')).toBe('--');

    await page.unrouteAll();
    await page.click('#resumeButton');
    await savedVideo('Paused once');
    expect(await text('#progressText')).toBe('100%');
    expect(await page.getAttribute('#progressBar', 'aria-valuenow')).toBe('100');
    expect(await page.isEnabled('#videoForm button[type=submit]')).toBe(true);
  });

  it('completes byte for byte when PUTs fail: a refused signature, a reset connection, a 500', async () => {
    const failed = { forged: 0, reset: 0, serverError: 0 };
    const origin = new URL(t.baseUrl).origin;
    // The first three PUTs to the store fail, one way each: on S3 three parts, on the local store the one PUT three times.
    await page.route(
      () => true,
      async (route: Route) => {
        if (route.request().method() !== 'PUT') return route.continue();
        const url = new URL(route.request().url());
        if (failed.forged === 0) {
          failed.forged += 1;
          const name = url.searchParams.has('signature') ? 'signature' : 'X-Amz-Signature';
          url.searchParams.set(name, url.searchParams.get(name)!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')));
          return route.continue({ url: url.toString() });
        }
        if (failed.reset === 0) {
          failed.reset += 1;
          return route.abort('connectionreset');
        }
        if (failed.serverError === 0) {
          failed.serverError += 1;
          return route.fulfill({ status: 500, headers: { 'Access-Control-Allow-Origin': origin }, body: 'Internal error' });
        }
        return route.continue();
      },
    );
    await recordStatuses(page);
    // Every value the bar takes: bytes sent again after a failure are not progress lost.
    await page.evaluate(() => {
      const bar = document.getElementById('progressBar')!;
      const values: number[] = ((window as unknown as { barValues: number[] }).barValues = []);
      new MutationObserver(() => values.push(Number(bar.getAttribute('aria-valuenow')))).observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] });
    });
    await fillVideoForm('Through failures');
    await page.click('#videoForm button[type=submit]');
    await savedVideo('Through failures');
    expect(failed).toEqual({ forged: 1, reset: 1, serverError: 1 });
    expect(await statuses()).toContainEqual(expect.stringMatching(/^Retrying/));
    const values = await page.evaluate(() => (window as unknown as { barValues: number[] }).barValues);
    expect(values.length).toBeGreaterThan(2);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(await text('#progressText')).toBe('100%');
  });

  it.runIf(inParts)('resumes after a reload when the same file is chosen again, sending only the missing parts', async () => {
    // Parts 2 and 3 held, and 5 too: else whether it starts beside them follows the rate measured.
    await holdParts(2, 3, 5);
    await fillVideoForm('After a reload');
    await page.click('#videoForm button[type=submit]');
    await expect.poll(storedParts, { timeout: 120_000 }).toEqual([1, 4]);

    // Reload before the parts may go through: else the old page could still finish them, and complete.
    await page.reload();
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    const puts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'PUT') puts.push(String(partOf(new URL(request.url())) || 'whole'));
    });
    await recordStatuses(page);
    await fillVideoForm('After a reload');
    await page.click('#videoForm button[type=submit]');
    await savedVideo('After a reload');
    const shown = await statuses();
    // Parts 1 and 4 were stored, of the plan's part size.
    const { size, part_size } = await t.app.db.selectFrom('uploads').select(['size', 'part_size']).where('filename', '=', 'rooftop.mp4').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    expect(shown, JSON.stringify(shown)).toContain(`Resuming: ${Math.floor((100 * 2 * part_size!) / size!)}% already uploaded`);
    expect(puts.sort()).toEqual(['2', '3', '5']);
    const uploads = await t.app.db.selectFrom('uploads').select(['state']).where('filename', '=', 'rooftop.mp4').where('state', '=', 'pending').execute();
    expect(uploads).toEqual([]);
  });

  it.runIf(inParts)('cancels: the upload is discarded and nothing stays in the store', async () => {
    await holdParts(5);
    await fillVideoForm('Cancelled');
    await page.click('#videoForm button[type=submit]');
    await page.waitForFunction(() => document.getElementById('progressText')!.textContent === '99%');
    await page.click('#cancelButton');
    await page.waitForFunction(() => document.getElementById('uploadResult')!.textContent === 'Upload cancelled.');
    expect(await page.getAttribute('#uploadResult', 'role')).toBe('status');
    const upload = await t.app.db.selectFrom('uploads').selectAll().orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    expect(upload.state).toBe('aborted');
    expect(await t.app.storage.head(upload.key)).toBeNull();
    expect(await t.app.db.selectFrom('videos').selectAll().where('title', '=', 'Cancelled').execute()).toEqual([]);
  });

  // ── the local store: one PUT, continued from the bytes the store kept ──

  /** Slows the page's uploads to `bytesPerSecond` (Chromium's network emulation), or lifts the limit. */
  async function throttle(bytesPerSecond: number | null): Promise<void> {
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond ?? -1 });
    await cdp.detach();
  }
  /** The Content-Range of each PUT the page sends from now on (`whole` for a PUT without one). */
  function recordPuts(): string[] {
    const puts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'PUT') puts.push(request.headers()['content-range'] ?? 'whole');
    });
    return puts;
  }
  const progressAtLeast = (percent: number) =>
    page.waitForFunction((p) => Number.parseInt(document.getElementById('progressText')!.textContent ?? '') >= p, percent, { timeout: 120_000 });
  /** The latest upload, and the bytes of its PUT the store holds once they stop changing. */
  async function heldOfLatest() {
    const upload = await t.app.db.selectFrom('uploads').selectAll().orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    return { upload, held: await settled(() => heldBytesOf(t.app.storage, upload.key)) };
  }
  const continuing = (held: number) => `bytes ${held}-${VIDEO_SIZE - 1}/${VIDEO_SIZE}`;

  it.runIf(!inParts)('pauses the PUT from the button and resumes it from the bytes the store kept, then saves the video byte for byte', async () => {
    const puts = recordPuts();
    await throttle(40 * MiB);
    await fillVideoForm('Paused once');
    await page.click('#videoForm button[type=submit]');
    expect(await page.getAttribute('#videoForm button[type=submit]', 'aria-disabled')).toBe('true');
    await progressAtLeast(30);

    await page.click('#pauseButton');
    await page.waitForFunction(() => document.getElementById('progressStatus')!.textContent === 'Paused');
    expect(await page.isHidden('#pauseButton')).toBe(true);
    expect(await text('#progressSpeed')).toBe('0.0 MB/s');
    expect(await text('#progressTimeRemaining')).toBe('--');
    const { held } = await heldOfLatest();
    expect(held).toBeGreaterThan(0.25 * VIDEO_SIZE);

    await throttle(null);
    await page.click('#resumeButton');
    await savedVideo('Paused once');
    expect(puts).toEqual(['whole', continuing(held)]);
    expect(await text('#progressText')).toBe('100%');
    expect(await page.getAttribute('#progressBar', 'aria-valuenow')).toBe('100');
    expect(await page.isEnabled('#videoForm button[type=submit]')).toBe(true);
  });

  it.runIf(!inParts)('resumes after a reload when the same file is chosen again, sending only what the store lacks', async () => {
    await throttle(40 * MiB);
    await fillVideoForm('After a reload');
    await page.click('#videoForm button[type=submit]');
    await progressAtLeast(40);
    await page.reload();
    const { held } = await heldOfLatest();
    expect(held).toBeGreaterThan(0.35 * VIDEO_SIZE);

    await throttle(null);
    const puts = recordPuts();
    await recordStatuses(page);
    await fillVideoForm('After a reload');
    await page.click('#videoForm button[type=submit]');
    await savedVideo('After a reload');
    const shown = await statuses();
    expect(shown, JSON.stringify(shown)).toContain(`Resuming: ${Math.floor((100 * held) / VIDEO_SIZE)}% already uploaded`);
    expect(puts).toEqual([continuing(held)]);
    const uploads = await t.app.db.selectFrom('uploads').select(['state']).where('filename', '=', 'rooftop.mp4').where('state', '=', 'pending').execute();
    expect(uploads).toEqual([]);
  });

  it.runIf(!inParts)('cancels mid-PUT: the upload is discarded and nothing stays in the store, not even the bytes it kept', async () => {
    await throttle(40 * MiB);
    await fillVideoForm('Cancelled');
    await page.click('#videoForm button[type=submit]');
    await progressAtLeast(20);
    await page.click('#cancelButton');
    await page.waitForFunction(() => document.getElementById('uploadResult')!.textContent === 'Upload cancelled.');
    await throttle(null);
    expect(await page.getAttribute('#uploadResult', 'role')).toBe('status');
    const { upload, held } = await heldOfLatest();
    expect(upload.state).toBe('aborted');
    expect(held).toBe(0);
    expect(await t.app.storage.head(upload.key)).toBeNull();
    expect(await t.app.db.selectFrom('videos').selectAll().where('title', '=', 'Cancelled').execute()).toEqual([]);
  });
});
