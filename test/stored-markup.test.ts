/**
 * An SVG or an HTML file with script, stored as a photo, opened from the app's own origin in
 * Chromium: the local store serves objects from the app's origin, so a file that ran as a page
 * there would act as the logged-in user. Each is opened as a top-level page, in an iframe of an
 * app page, and as an <object>/<img>; its script would ask for `/xss-ran` and mark the page: it
 * never does.
 */
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UploadCreated } from '../src/shared/api.ts';
import { launchChromium, type Browser } from './chromium.ts';
import { startTestApp, type Session, type TestApp } from './harness.ts';

const SCRIPT = "fetch('/xss-ran?' + encodeURIComponent(location.href)); try { top.document.title = 'RAN'; } catch {} window.ran = true;";
const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="${SCRIPT.replace(/"/g, '&quot;')}"><script>${SCRIPT}</script><rect width="10" height="10"/></svg>`;
const HTML = `<!doctype html><html><body onload="${SCRIPT.replace(/"/g, '&quot;')}"><script>${SCRIPT}</script><p>hello</p></body></html>`;

describe('stored markup opened from the app’s origin (local store)', { timeout: 120_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let session: Session;
  const ran: string[] = [];

  beforeAll(async () => {
    // An operator who allows SVG and HTML as photos: types file-type cannot check, so they pass the content check and are stored.
    t = await startTestApp({ storage: 'local', env: { ALLOWED_PHOTO_TYPES: 'image/png,image/jpeg,image/svg+xml,text/html' } });
    session = await t.login();
    browser = await launchChromium();
    const { hostname } = new URL(t.baseUrl);
    await browser.context.addCookies(
      session.cookie.split('; ').map((pair) => {
        const [name, value] = pair.split('=') as [string, string];
        return { name, value, domain: hostname, path: '/' };
      }),
    );
    page = await browser.context.newPage();
    browser.context.on('request', (request: Request) => {
      if (request.url().includes('/xss-ran')) ran.push(request.url());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Stores `body` as a completed photo upload of `contentType` and returns its key. */
  async function storedPhoto(filename: string, contentType: string, body: string): Promise<string> {
    const bytes = new Uint8Array(Buffer.from(body));
    const res = await t.request('POST', '/api/v1/uploads', { session, json: { filename, size: bytes.length, content_type: contentType, kind: 'photo' } });
    expect(res.status, await res.clone().text()).toBe(201);
    const upload = (await res.json()) as UploadCreated;
    expect((await fetch(upload.url!, { method: 'PUT', headers: upload.headers, body: bytes })).status).toBe(200);
    const done = await t.request('POST', `/api/v1/uploads/${upload.id}/complete`, { session, json: { parts: [] } });
    expect(done.status, await done.clone().text()).toBe(200);
    return upload.key;
  }

  /** Opens `url` every way a page could: as the page, in an iframe and an <object> and an <img> of an app page. */
  async function openEveryWay(url: string): Promise<void> {
    await page.goto(url).catch(() => undefined); // a download aborts the navigation
    await page.goto(`${t.baseUrl}/`);
    await page.evaluate((src) => {
      for (const tag of ['iframe', 'object', 'img', 'embed'] as const) {
        const element = document.createElement(tag);
        if (tag === 'object') (element as HTMLObjectElement).data = src;
        else (element as HTMLIFrameElement).src = src;
        document.body.append(element);
      }
    }, url);
    await page.waitForTimeout(1500);
    expect(await page.evaluate(() => (window as { ran?: boolean }).ran ?? false)).toBe(false);
    expect(await page.title()).not.toBe('RAN');
  }

  it.each([
    ['an SVG with script', 'evil.svg', 'image/svg+xml', SVG],
    ['an HTML page with script', 'evil.html', 'text/html', HTML],
  ])('%s stored as a photo never runs: a download, sandboxed, never sniffed', async (_name, filename, contentType, body) => {
    const key = await storedPhoto(filename, contentType, body);
    const media = await fetch(`${t.baseUrl}/media/${key}`, { headers: { cookie: session.cookie }, redirect: 'manual' });
    expect(media.status).toBe(302);
    const stored = new URL(media.headers.get('location')!, t.baseUrl).toString();
    expect(new URL(stored).origin).toBe(new URL(t.baseUrl).origin);
    const served = await fetch(stored);
    expect(served.headers.get('content-type')).toBe('application/octet-stream');
    expect(served.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(served.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
    expect(await served.text()).toBe(body);

    await openEveryWay(`${t.baseUrl}/media/${key}`);
    await openEveryWay(stored);
    expect(ran).toEqual([]);
  });

  it('an HTML page stored under a photo’s type (its PUT, before the content check) never runs either', async () => {
    const bytes = new Uint8Array(Buffer.from(HTML));
    const res = await t.request('POST', '/api/v1/uploads', { session, json: { filename: 'p.png', size: bytes.length, content_type: 'image/png', kind: 'photo' } });
    const upload = (await res.json()) as UploadCreated;
    expect((await fetch(upload.url!, { method: 'PUT', headers: upload.headers, body: bytes })).status).toBe(200);
    // Shown as an image (nosniff: never as a page), in a sandbox.
    await openEveryWay(await t.app.storage.presignGet(upload.key, { expiresIn: 60 }));
    expect(ran).toEqual([]);
    // And the check at complete refuses it.
    const done = await t.request('POST', `/api/v1/uploads/${upload.id}/complete`, { session, json: { parts: [] } });
    expect(done.status).toBe(415);
  });
});
