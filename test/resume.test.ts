/**
 * Resume after interruptions (issue 5), in Chromium, through the video form, on the local
 * store and on the S3 driver with the Ceph RGW. The network is cut at a TCP proxy in front
 * of the store (open connections reset, new ones refused), since Chromium's offline mode
 * does not stop a request already sending; for the local store the store is the app itself,
 * so the browser reaches the app through the proxy (PUBLIC_BASE_URL points at it); for S3 the
 * proxy sits in front of the gateway (R2_ENDPOINT_URL), so the app's own S3 calls cross it too.
 *
 * Bytes sent again are counted at the proxy, as PUT body bytes the store received minus the
 * file's size: Chromium re-sends a request cut on a reused connection without telling the
 * page, so only the server side sees the truth. The figures are printed at the end and
 * reported in docs/RESUME.md.
 */
import { createHash } from 'node:crypto';
import { link, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page, Request } from 'playwright-core';
import { writeRandomFile } from './random-file.ts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { UPLOADER_DEFAULTS } from '../src/client/engine.ts';
import { DEFAULT_PLAN, planFor, planParts } from '../src/uploads/rules.ts';
import { launchChromium, rememberLink, recordedStatuses, recordStatuses, type Browser } from './chromium.ts';
import { TcpProxy, type ProxiedRequest } from './cut-proxy.ts';
import { freePort, startTestApp, TEST_PASSWORD, type TestApp } from './harness.ts';
import { settled } from './settled.ts';
import { heldBytesOf } from '../src/storage/driver.ts';

const MiB = 1024 ** 2;
const PART = DEFAULT_PLAN.preferredPartSize;
const CONCURRENCY = UPLOADER_DEFAULTS.concurrency;
/**
 * One part per request the engine keeps in flight, and a half part: on S3 the first parts can
 * all be stored while the last is still on its way (with 64 MiB parts and 4 in flight:
 * 288 MiB, 5 parts). The local store takes it in one PUT that continues from what it kept.
 */
const FILE_SIZE = CONCURRENCY * PART + PART / 2;
const MULTIPART = planParts(FILE_SIZE);
const LAST_PART = FILE_SIZE - (MULTIPART.partCount - 1) * MULTIPART.partSize;
/**
 * What a cut may cost a PUT the store continues: the bytes on their way at that moment, in the
 * proxy's and the sockets' buffers (the store writes every byte that reached it).
 */
const IN_BUFFERS = 16 * MiB;
/** How long the network stays down. */
const CUT_MS = 3_000;
const SCENARIO_TIMEOUT = 120_000;

interface Figure {
  store: string;
  scenario: string;
  resent: number;
  note: string;
}
const figures: Figure[] = [];

let dir: string;
let source: string;
let sourceSha256: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-resume-'));
  source = path.join(dir, 'source.bin');
  sourceSha256 = await writeRandomFile(source, FILE_SIZE, 'video/mp4');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  if (figures.length === 0) return;
  const mib = (bytes: number) => (bytes / MiB).toFixed(1);
  console.log(
    [
      `Bytes sent again, counted at the proxy (${mib(FILE_SIZE)} MiB file; S3: ${MULTIPART.partCount} parts of ${mib(MULTIPART.partSize)} MiB, ${CONCURRENCY} in flight; local: one PUT continued; network down ${CUT_MS / 1000} s):`,
      ...figures.map((f) => `  ${f.store.padEnd(5)} ${f.scenario.padEnd(34)} ${String(f.resent).padStart(10)} B = ${mib(f.resent).padStart(6)} MiB  ${f.note}`),
    ].join('\n'),
  );
});

describe.each(['local', 's3'] as const)('resume on %s storage', (storage) => {
  const PLAN = planParts(FILE_SIZE, planFor({ extensions: storage === 'local' ? ['resumable-put'] : [] }));
  const inParts = PLAN.strategy === 'multipart';
  let t: TestApp;
  let proxy: TcpProxy;
  /** The origin the browser opens: the proxy for the local store, the app itself with S3. */
  let site: string;
  let browser: Browser;
  let page: Page;
  const email = `resume-${storage}@example.com`;
  const pagePuts: { at: number; url: string; outcome: string }[] = [];

  beforeAll(async () => {
    const proxyPort = await freePort();
    if (storage === 'local') {
      t = await startTestApp({ env: { PUBLIC_BASE_URL: `http://127.0.0.1:${proxyPort}` } });
      proxy = new TcpProxy(Number(new URL(t.baseUrl).port));
      await proxy.open(proxyPort);
      site = `http://127.0.0.1:${proxyPort}`;
    } else {
      proxy = new TcpProxy(Number(new URL(inject('s3').env.R2_ENDPOINT_URL).port));
      await proxy.open(proxyPort);
      t = await startTestApp({ storage: 's3', env: { R2_ENDPOINT_URL: `http://127.0.0.1:${proxyPort}` } });
      site = t.baseUrl;
    }
    await t.login(email);
    browser = await launchChromium();
    // The bounds below are the 64 MiB parts' plan: the link stays measured as a fast one (not loopback's) on every page.
    await rememberLink(browser.context, undefined, { pinned: true });
    page = await browser.context.newPage();
    // What the page saw of its PUTs: a request the proxy saw twice that the page saw end once was sent again by Chromium itself.
    const seen = (outcome: string) => (request: Request) => {
      if (request.method() === 'PUT') pagePuts.push({ at: performance.now(), url: request.url(), outcome: outcome || (request.failure()?.errorText ?? 'failed') });
    };
    page.on('request', seen('sent'));
    page.on('requestfinished', seen('finished'));
    page.on('requestfailed', seen(''));
  });
  beforeEach(({ onTestFailed }) => {
    pagePuts.length = 0;
    // What the store saw, and what the page said: enough to tell a slow retry from a stuck request.
    onTestFailed(async () => {
      const t0 = proxy.requests[0]?.sentAt ?? 0;
      const at = (ms: number | null) => (ms === null ? '-' : ((ms - t0) / 1000).toFixed(2));
      console.log(
        [
          `${storage}: requests through the proxy (network ${proxy.isCut ? 'cut' : 'up'} at ${at(performance.now())} s):`,
          ...proxy.requests.map((r) => `  ${at(r.sentAt)} ${r.method} ${r.url.slice(0, 80)} part ${new URL(r.url, site).searchParams.get('partNumber') ?? '-'} body ${r.bodyBytes}/${r.contentLength} → ${r.status ?? '-'} at ${at(r.answeredAt)}`),
          'what the page saw of its PUTs:',
          ...pagePuts.map((p) => `  ${at(p.at)} ${p.outcome} part ${new URL(p.url).searchParams.get('partNumber') ?? '-'}`),
          `page status: ${JSON.stringify(await statuses().catch(() => null))}`,
        ].join('\n'),
      );
    });
  });
  afterEach(async () => {
    proxy.release();
    proxy.restore();
    await browser?.context.setOffline(false).catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await t?.close();
  });

  /** Opens the video form, logging in when the browser has no session. Returns whether it had to. */
  async function openForm(): Promise<boolean> {
    await page.goto(`${site}/videos/new`);
    const loggedOut = new URL(page.url()).pathname === '/login';
    if (loggedOut) {
      await page.fill('input[name=email]', email);
      await page.fill('input[name=password]', TEST_PASSWORD);
      await page.click('form[action="/login"] button[type=submit]');
      await page.waitForURL(`${site}/videos/new`);
    }
    await recordStatuses(page);
    return loggedOut;
  }

  const statuses = () => recordedStatuses(page);

  /** A name of its own for each scenario's file (a hard link to the same bytes), so no scenario resumes another's upload. */
  async function fileFor(scenario: string): Promise<string> {
    const file = path.join(dir, `${storage}-${scenario}.mp4`);
    await link(source, file);
    return file;
  }

  async function submit(file: string, title: string): Promise<void> {
    await page.fill('#videoForm input[name=title]', title);
    await page.setInputFiles('#videoFileInput', file);
    await page.click('form[data-upload-form] button[type=submit]');
  }

  /** Waits for the form's outcome and checks it is the saved video. */
  async function saved(): Promise<void> {
    await page.waitForSelector('#uploadResult a[href^="/videos/"], #uploadResult[role=alert]:not(:empty)', { timeout: SCENARIO_TIMEOUT });
    expect((await page.textContent('#uploadResult'))?.trim()).toBe('Video saved. View it');
  }

  /** The upload of this file, as the server knows it, and what its store holds now: parts, or the bytes of its PUT. */
  async function uploadOf(file: string) {
    const uploads = await t.app.db.selectFrom('uploads').selectAll().where('filename', '=', path.basename(file)).execute();
    expect(uploads).toHaveLength(1); // one upload, continued: never a second one started over
    const upload = uploads[0]!;
    if (upload.state !== 'pending') return { upload, storedBytes: 0, storedParts: 0 };
    if (!upload.multipart_id) return { upload, storedBytes: await heldBytesOf(t.app.storage, upload.key), storedParts: 0 };
    const stored = await t.app.storage.listParts(upload.key, upload.multipart_id);
    return { upload, storedBytes: stored.reduce((sum, part) => sum + part.size, 0), storedParts: stored.length };
  }

  /** What every scenario must end with: the record, the exact bytes in the store, no multipart upload left behind. */
  async function checkOutcome(file: string, title: string): Promise<void> {
    const record = await t.app.db.selectFrom('videos').selectAll().where('title', '=', title).executeTakeFirstOrThrow();
    expect(record).toMatchObject({ size: FILE_SIZE, content_type: 'video/mp4' });
    const { upload } = await uploadOf(file);
    expect(upload).toMatchObject({ state: 'completed', key: record.file_key, part_count: PLAN.partCount });
    const response = await fetch(await t.app.storage.presignGet(record.file_key!, { expiresIn: 60 }));
    expect(response.status).toBe(200);
    const hash = createHash('sha256');
    const reader = response.body!.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) hash.update(read.value);
    expect(hash.digest('hex')).toBe(sourceSha256);
    expect(await t.app.storage.listIncompleteMultipart(new Date(Date.now() + 3600e3))).toEqual([]);
    expect(proxy.unparsed).toBeNull();
    // The bytes are checked: free the store's room (the gateway keeps its data in RAM).
    await t.app.storage.delete(record.file_key!);
  }

  const resent = () => proxy.putBytes() - FILE_SIZE;

  it.each([
    ['half-way', '', FILE_SIZE / 2, false],
    ['half-way', ', the browser offline meanwhile', FILE_SIZE / 2, true],
    // With at most CONCURRENCY parts in flight, this many bytes received means at least one part stored.
    ['once the first parts are stored', '', FILE_SIZE - LAST_PART / 2, false],
  ] as const)(
    'a cut %s%s: the upload completes by itself, sending again at most what was in flight',
    async (when, _meanwhile, at, offline) => {
      const scenario = `cut ${when}${offline ? ', offline' : ''}`;
      const file = await fileFor(scenario.replace(/\W+/g, '-'));
      const title = `Interrupted: ${scenario}`;
      await openForm();
      proxy.forget();
      await submit(file, title);

      await proxy.when(() => proxy.putBytes() >= at);
      const inFlight = proxy.putsInFlight();
      proxy.cut();
      const sentAtCut = proxy.putBytes();
      const storedAtCut = proxy.requests.filter((r) => r.method === 'PUT' && r.status === 200).length;
      if (offline) await browser.context.setOffline(true);
      await sleep(CUT_MS);
      proxy.restore();
      if (offline) {
        // The engine waits for the network instead of spending its retries…
        await expect.poll(() => page.textContent('#progressStatus'), { timeout: 10_000 }).toBe('Offline: waiting for the connection…');
        await sleep(1_000);
        expect(proxy.putBytes()).toBe(sentAtCut);
        await browser.context.setOffline(false);
      }
      // …and, once the network is back, starts again at once on the browser's `online` event, or on its next retry.
      const back = performance.now();
      await proxy.when(() => proxy.putBytes() > sentAtCut);
      const resumedAfter = performance.now() - back;
      if (offline) expect(resumedAfter).toBeLessThan(3_000);
      await saved();

      const again = resent();
      figures.push({
        store: storage,
        scenario: `cut at ${Math.round((100 * at) / FILE_SIZE)} %${offline ? ', browser offline' : ''}`,
        resent: again,
        note: `${inParts ? `at the cut ${inFlight} part(s) in flight, ${storedAtCut} stored` : 'one PUT, continued'}; sending again ${(resumedAfter / 1000).toFixed(1)} s after the network was back`,
      });
      expect(inFlight).toBeGreaterThan(0);
      expect(inFlight).toBeLessThanOrEqual(CONCURRENCY);
      if (inParts && at > FILE_SIZE / 2) expect(storedAtCut).toBeGreaterThan(0);
      expect(again).toBeLessThanOrEqual(inParts ? inFlight * PLAN.partSize : IN_BUFFERS);
      expect(again).toBeLessThanOrEqual(sentAtCut);
      expect(await statuses()).toContainEqual(offline ? 'Offline: waiting for the connection…' : expect.stringMatching(/^Retrying/));
      await checkOutcome(file, title);
    },
    SCENARIO_TIMEOUT,
  );

  it(
    'a cut during the complete call: the server completed, the answer was lost; the retry gets it, and nothing is sent again',
    async () => {
      const file = await fileFor('complete');
      const title = 'Cut during complete';
      await openForm();
      proxy.forget();
      // The local store's complete is the browser's call to the app; with S3 it is the app's CompleteMultipartUpload.
      const complete =
        storage === 'local'
          ? (r: ProxiedRequest) => r.method === 'POST' && /^\/api\/v1\/uploads\/[0-9a-f-]{36}\/complete$/.test(r.url)
          : (r: ProxiedRequest) => r.method === 'POST' && /[?&]uploadId=/.test(r.url);
      const cut = proxy.cutOn(complete);
      await submit(file, title);

      const request = await cut;
      expect(proxy.putBytes()).toBe(FILE_SIZE);
      // The server answers once it has done the work; the answer is thrown away and the connection reset.
      await proxy.when(() => request.status !== null);
      expect(request.status).toBe(200);
      await sleep(CUT_MS);
      proxy.restore();
      await saved();

      figures.push({ store: storage, scenario: 'cut during complete', resent: resent(), note: 'the complete call answered 200, answer lost, retried' });
      expect(resent()).toBe(0);
      await checkOutcome(file, title);
    },
    SCENARIO_TIMEOUT,
  );

  /**
   * Interrupts the upload once the first parts are stored and the last is half sent: the
   * proxy then freezes the parts still sending (so the store's state is known exactly) while
   * `interrupt` reloads the page or restarts the browser; the same file is then chosen again.
   */
  async function interruptAndChooseAgain(scenario: string, interrupt: () => Promise<void>): Promise<{ resent: number; storedParts: number; storedBytes: number }> {
    const file = await fileFor(scenario);
    const title = `Interrupted: ${scenario}`;
    await openForm();
    proxy.forget();
    await submit(file, title);

    // With at most CONCURRENCY parts in flight, this many bytes received means at least one part stored.
    await proxy.when(() => proxy.putBytes() >= FILE_SIZE - LAST_PART / 2);
    proxy.hold();
    await interrupt();
    proxy.release();

    // A part whose whole body had arrived is still stored although its connection was reset
    // (as in S3): read the store's state once it has settled.
    const before = await settled(() => uploadOf(file), 300);
    const receivedBefore = proxy.putBytes();
    await submit(file, title);
    await saved();

    // What the store lacked was sent exactly once; nothing it held was sent again.
    expect(before.storedBytes).toBeGreaterThan(0);
    if (inParts) expect(before.storedParts).toBeGreaterThan(0);
    expect(proxy.putBytes() - receivedBefore).toBe(FILE_SIZE - before.storedBytes);
    expect(resent()).toBeLessThanOrEqual(inParts ? CONCURRENCY * PLAN.partSize : IN_BUFFERS);
    expect(await statuses()).toContainEqual(expect.stringMatching(/^Resuming: \d+% already uploaded$/));
    await checkOutcome(file, title);
    return { resent: resent(), storedParts: before.storedParts, storedBytes: before.storedBytes };
  }

  const kept = (result: { storedParts: number; storedBytes: number }) =>
    `${inParts ? `${result.storedParts} parts` : 'the PUT'} (${(result.storedBytes / MiB).toFixed(1)} MiB) kept`;

  it(
    'a page reload mid-upload, the same file chosen again: continues from what the store holds',
    async () => {
      const result = await interruptAndChooseAgain('reload', async () => {
        await page.reload();
        await recordStatuses(page);
      });
      figures.push({ store: storage, scenario: 'page reload, same file again', resent: result.resent, note: kept(result) });
    },
    SCENARIO_TIMEOUT,
  );

  it(
    'the browser closed mid-upload and started again on the same profile: continues from what the store holds',
    async () => {
      let loggedInAgain = false;
      const result = await interruptAndChooseAgain('restart', async () => {
        await browser.close({ removeProfile: false });
        browser = await launchChromium({ profileDir: browser.profileDir });
        await rememberLink(browser.context, undefined, { pinned: true });
        page = await browser.context.newPage();
        loggedInAgain = await openForm();
      });
      figures.push({
        store: storage,
        scenario: 'browser restart, same file again',
        resent: result.resent,
        note: `${kept(result)}; ${loggedInAgain ? 'logged in again' : 'session kept'}`,
      });
    },
    SCENARIO_TIMEOUT,
  );
});
