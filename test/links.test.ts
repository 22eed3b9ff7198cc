/**
 * Uploads on a slow link (issue 13), in Chromium, through the video form, on the local store
 * and on the S3 driver with the Ceph RGW. The link is Chromium's own throttling (CDP
 * `Network.emulateNetworkConditions`: 8 Mbit/s up, 80 ms), the cut a TCP proxy in front of
 * the store (as in resume.test.ts), and every byte is counted there. Nothing here is timed:
 * the durations are printed, and speed belongs in bench/links.ts.
 */
import { createHash } from 'node:crypto';
import { link, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BUDGET_SECONDS, linkPlan } from '../src/client/link-plan.ts';
import { launchChromium, type Browser } from './chromium.ts';
import { TcpProxy } from './cut-proxy.ts';
import { freePort, startTestApp, TEST_PASSWORD, type TestApp } from './harness.ts';
import { writeRandomFile } from './random-file.ts';

const MiB = 1024 ** 2;
/** 8 Mbit/s, in bytes per second as CDP takes it. */
const RATE = 1e6;
const LATENCY_MS = 80;
const FILE_SIZE = 16 * MiB;
/** Part URLs live 10 s, less than the upload takes: every part but the first would go on a URL signed too early. */
const URL_LIFETIME_S = 10;
const CUT_MS = 3_000;
const TIMEOUT = 120_000;

let dir: string;
let source: string;
let sourceSha256: string;
const figures: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-links-'));
  source = path.join(dir, 'source.bin');
  sourceSha256 = await writeRandomFile(source, FILE_SIZE, 'video/mp4');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  if (figures.length) console.log([`On a ${(RATE * 8) / 1e6} Mbit/s, ${LATENCY_MS} ms link (${FILE_SIZE / MiB} MiB file):`, ...figures.map((f) => `  ${f}`)].join('\n'));
});

/**
 * What Chromium does to a hidden tab's timers (intensive throttling aside): a timer fires at
 * the next whole second at the earliest, so no page timer runs more than once a second.
 * Headless Chromium never hides a tab, so the page's own timers are wrapped to behave so.
 */
function throttleTimersAsHidden(): void {
  const { setTimeout: realTimeout, setInterval: realInterval } = window;
  const aligned = (ms = 0) => Math.max(ms, 1000 - (performance.now() % 1000));
  window.setTimeout = ((handler: TimerHandler, ms?: number, ...args: unknown[]) => realTimeout(handler, aligned(ms), ...args)) as typeof setTimeout;
  window.setInterval = ((handler: TimerHandler, ms?: number, ...args: unknown[]) => realInterval(handler, Math.max(1000, Math.ceil((ms ?? 0) / 1000) * 1000), ...args)) as typeof setInterval;
  Object.defineProperty(document, 'hidden', { get: () => true });
  Object.defineProperty(document, 'visibilityState', { get: () => 'hidden' });
}

describe.each(['local', 's3'] as const)('a slow link on %s storage', (storage) => {
  let t: TestApp;
  let proxy: TcpProxy;
  let site: string;
  let browser: Browser;
  const email = `links-${storage}@example.com`;

  beforeAll(async () => {
    const proxyPort = await freePort();
    const env = { UPLOAD_URL_EXPIRES: String(URL_LIFETIME_S) };
    if (storage === 'local') {
      t = await startTestApp({ env: { ...env, PUBLIC_BASE_URL: `http://127.0.0.1:${proxyPort}` } });
      proxy = new TcpProxy(Number(new URL(t.baseUrl).port));
      await proxy.open(proxyPort);
      site = `http://127.0.0.1:${proxyPort}`;
    } else {
      proxy = new TcpProxy(Number(new URL(inject('s3').env.R2_ENDPOINT_URL).port));
      await proxy.open(proxyPort);
      t = await startTestApp({ storage: 's3', env: { ...env, R2_ENDPOINT_URL: `http://127.0.0.1:${proxyPort}` } });
      site = t.baseUrl;
    }
    await t.login(email);
    // A fresh profile: no link measured yet, so the first file is planned for a slow one.
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await t?.close();
  });

  /** A page on the throttled link, logged in, on the video form. */
  async function throttledPage(init?: () => void): Promise<Page> {
    const page = await browser.context.newPage();
    if (init) await page.addInitScript(init);
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: LATENCY_MS, downloadThroughput: -1, uploadThroughput: RATE });
    await page.goto(`${site}/videos/new`);
    if (new URL(page.url()).pathname === '/login') {
      await page.fill('input[name=email]', email);
      await page.fill('input[name=password]', TEST_PASSWORD);
      await page.click('form[action="/login"] button[type=submit]');
      await page.waitForURL(`${site}/videos/new`);
    }
    return page;
  }

  async function submit(page: Page, scenario: string): Promise<string> {
    const file = path.join(dir, `${storage}-${scenario}.mp4`);
    await link(source, file);
    proxy.forget();
    await page.fill('#videoForm input[name=title]', scenario);
    await page.setInputFiles('#videoFileInput', file);
    await page.click('form[data-upload-form] button[type=submit]');
    return file;
  }

  /** The form says saved, and the store holds the file's exact bytes. */
  async function savedIntact(page: Page, scenario: string): Promise<void> {
    await page.waitForSelector('#uploadResult a[href^="/videos/"], #uploadResult[role=alert]:not(:empty)', { timeout: TIMEOUT });
    expect((await page.textContent('#uploadResult'))?.trim()).toBe('Video saved. View it');
    const record = await t.app.db.selectFrom('videos').selectAll().where('title', '=', scenario).executeTakeFirstOrThrow();
    const response = await fetch(await t.app.storage.presignGet(record.file_key!, { expiresIn: 60 }));
    const hash = createHash('sha256');
    const reader = response.body!.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) hash.update(read.value);
    expect(hash.digest('hex')).toBe(sourceSha256);
    expect(proxy.unparsed).toBeNull();
    await t.app.storage.delete(record.file_key!);
  }

  const plan = async (scenario: string) => {
    const upload = await t.app.db.selectFrom('uploads').selectAll().where('filename', '=', `${storage}-${scenario}.mp4`).executeTakeFirstOrThrow();
    return `${upload.part_count} × ${((upload.part_size ?? 0) / MiB).toFixed(0)} MiB`;
  };

  it(
    'a cut of every connection for 3 s half-way sends again at most 10 s of the link, and the file arrives intact',
    async () => {
      const page = await throttledPage();
      const scenario = 'cut';
      const started = performance.now();
      await submit(page, scenario);
      await proxy.when(() => proxy.putBytes() >= FILE_SIZE / 2);
      proxy.cut();
      await sleep(CUT_MS);
      proxy.restore();
      await savedIntact(page, scenario);
      const resent = proxy.putBytes() - FILE_SIZE;
      figures.push(`${storage}: cut 3 s at 50 %: ${(resent / MiB).toFixed(2)} MiB sent again (${(resent / RATE).toFixed(1)} s of the link; plan ${await plan(scenario)}), done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      expect(resent).toBeLessThanOrEqual(BUDGET_SECONDS * RATE);
      await page.close();
    },
    TIMEOUT,
  );

  it(
    'part URLs that expire during the upload are signed again before they are used: not one PUT refused',
    async () => {
      const page = await throttledPage();
      const scenario = 'expiring';
      await submit(page, scenario);
      await savedIntact(page, scenario);
      const puts = proxy.requests.filter((r) => r.method === 'PUT');
      figures.push(`${storage}: URLs living ${URL_LIFETIME_S} s: ${puts.length} PUT(s), answers ${[...new Set(puts.map((r) => r.status))].join(', ')}; plan ${await plan(scenario)}`);
      expect(puts.length).toBeGreaterThan(0);
      for (const put of puts) expect(put.status, put.url).toBe(200);
      expect(proxy.putBytes()).toBe(FILE_SIZE);
      await page.close();
    },
    TIMEOUT,
  );

  it.runIf(storage === 's3')(
    'a whole-file PUT planned on a faster network’s rate gives way to parts within its first seconds: at most 10 s of the link sent again, and the file arrives intact',
    async () => {
      // The rate remembered from the office's fibre: its plan sends this file in one PUT, which here would take 17 s.
      const page = await throttledPage(() => localStorage.setItem('airlift:link', JSON.stringify({ bytesPerSecond: 1e9, at: Date.now() })));
      const scenario = 'outpaced';
      await submit(page, scenario);
      await savedIntact(page, scenario);
      const puts = proxy.requests.filter((r) => r.method === 'PUT');
      const whole = puts.filter((r) => !new URL(r.url, site).searchParams.has('partNumber'));
      const resent = proxy.putBytes() - FILE_SIZE;
      const uploads = await t.app.db.selectFrom('uploads').select(['strategy', 'part_size']).where('filename', '=', `${storage}-${scenario}.mp4`).orderBy('created_at').execute();
      figures.push(`${storage}: planned at 8 Gbit/s: the whole-file PUT sent ${(whole[0]!.bodyBytes / MiB).toFixed(2)} MiB before giving way (${(resent / RATE).toFixed(1)} s of the link), then ${puts.length - 1} parts of ${((uploads[1]?.part_size ?? 0) / MiB).toFixed(0)} MiB`);
      expect(whole).toHaveLength(1);
      expect(puts[0]).toBe(whole[0]);
      expect(resent).toBeGreaterThan(0);
      expect(resent).toBeLessThanOrEqual(BUDGET_SECONDS * RATE);
      // Both uploads: the single one given up, then the parts planned for the pace the PUT measured.
      expect(uploads).toEqual([
        { strategy: 'single', part_size: FILE_SIZE },
        { strategy: 'multipart', part_size: linkPlan(RATE).partSize },
      ]);
      await page.close();
    },
    TIMEOUT,
  );

  it(
    'a background tab, its timers throttled as Chromium throttles a hidden one, keeps sending to the end',
    async () => {
      const page = await throttledPage(throttleTimersAsHidden);
      expect(await page.evaluate(() => document.visibilityState)).toBe('hidden');
      const scenario = 'background';
      const started = performance.now();
      await submit(page, scenario);
      await savedIntact(page, scenario);
      const seconds = (performance.now() - started) / 1000;
      figures.push(`${storage}: background tab: done in ${seconds.toFixed(1)} s (${(FILE_SIZE / RATE).toFixed(1)} s of the link's time), plan ${await plan(scenario)}`);
      expect(proxy.putBytes()).toBe(FILE_SIZE);
      await page.close();
    },
    TIMEOUT,
  );
});
