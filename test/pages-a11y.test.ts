/**
 * Every page, in French and in English, checked by axe-core in Chromium (no serious or
 * critical violation of WCAG 2.1 A/AA), and photographed at 1280 and 375 px wide into
 * .tmp/screenshots/ for people to look at.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/auth/api-tokens.ts';
import { createUser, issueSetupToken } from '../src/auth/users.ts';
import { recordFailure } from '../src/uploads/failures.ts';
import { addEndpoint } from '../src/webhooks/endpoints.ts';
import { recordChange } from '../src/webhooks/outbox.ts';
import { LOCALES } from '../src/shared/i18n/index.ts';
import { launchChromium, type Browser } from './chromium.ts';
import { startTestApp, TEST_PASSWORD, type TestApp } from './harness.ts';

const SCREENSHOTS = fileURLToPath(new URL('../.tmp/screenshots/pages/', import.meta.url));
const WIDTHS = [1280, 375];

let t: TestApp;
let browser: Browser;
let page: Page;
/** Pages that need a login, by name; filled once the records exist. */
const signedIn: Record<string, string> = {};
const signedOut: Record<string, string> = { login: '/login', 'api-docs': '/api/docs' };

beforeAll(async () => {
  t = await startTestApp();
  await t.login('admin@example.com', { admin: true });
  const { id: owner } = await t.app.db.selectFrom('users').select('id').where('email', '=', 'admin@example.com').executeTakeFirstOrThrow();
  const video = await t.app.db
    .insertInto('videos')
    .values({ owner_id: owner, title: 'Élève au tableau', description: 'Reportage du matin', file_key: 'videos/a11y.mp4', size: 12_345_678, content_type: 'video/mp4' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const photo = await t.app.db
    .insertInto('photos')
    .values({ owner_id: owner, title: 'Conférence de presse', description: null, file_key: 'photos/a11y.jpg', size: 456_789, content_type: 'image/jpeg' })
    .returning('id')
    .executeTakeFirstOrThrow();
  Object.assign(signedIn, {
    library: '/',
    'new-video': '/videos/new',
    'new-photo': '/photos/new',
    video: `/videos/${video.id}`,
    photo: `/photos/${photo.id}`,
    'not-found': '/no-such-page',
    ...(await seedAdminPages(owner, video.id)),
  });
  signedOut.setup = `/setup/${await issueSetupToken(t.app.db)}`;
  await mkdir(SCREENSHOTS, { recursive: true });
  browser = await launchChromium();
  page = await browser.context.newPage();
});
/** What the admin pages list: another user, a token, an endpoint with a delivery, a failure. */
async function seedAdminPages(owner: number, videoId: number): Promise<Record<string, string>> {
  await createUser(t.app.db, { email: 'redaction@example.com', password: TEST_PASSWORD, role: 'editor' });
  await createApiToken(t.app.db, { userId: owner, name: 'Site web', scope: 'read' });
  const endpoint = await addEndpoint(t.app.db, { ...t.config, webhookAllowPrivateTargets: true }, { url: 'https://hooks.example.com/airlift', events: 'video.created' });
  await t.app.db.transaction().execute((tx) => recordChange(tx, 'video', 'created', videoId, { id: videoId }));
  await recordFailure(t.app, { kind: 'photo', filename: 'faux.jpg' }, 'content_mismatch', 'The file is not the image/jpeg it claims to be.');
  return { 'admin-users': '/admin/users', 'admin-tokens': '/admin/tokens', 'admin-webhooks': '/admin/webhooks', 'admin-webhook-log': `/admin/webhooks/${endpoint.id}`, status: '/status' };
}

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function check(name: string, path: string, locale: string): Promise<void> {
  await page.goto(`${t.baseUrl}${path}${path.includes('?') ? '&' : '?'}lang=${locale}`);
  expect(await page.getAttribute('html', 'lang')).toBe(locale);
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious, `${name} in ${locale}`).toEqual([]);
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${SCREENSHOTS}${name}-${locale}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** Axe on the API page with every operation open (they start closed), and a picture of one open. */
async function checkApiOperations(locale: string): Promise<void> {
  await page.goto(`${t.baseUrl}/api/docs?lang=${locale}`);
  const opened = await page.evaluate(() => {
    const all = [...document.querySelectorAll('details.api-op')];
    for (const details of all) details.setAttribute('open', '');
    return all.length;
  });
  expect(opened).toBeGreaterThan(20);
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious, `api-docs open in ${locale}`).toEqual([]);
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.locator('#op-createUpload').screenshot({ path: `${SCREENSHOTS}api-docs-open-${locale}-${width}.png` });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe.each(LOCALES)('pages in %s', (locale) => {
  it('the API page, every operation open: no serious or critical accessibility violation', () => checkApiOperations(locale), 120_000);

  it('signed out: no serious or critical accessibility violation', async () => {
    await browser.context.clearCookies();
    for (const [name, path] of Object.entries(signedOut)) await check(name, path, locale);
  });

  it('signed in: no serious or critical accessibility violation', async () => {
    await browser.context.clearCookies();
    await page.goto(`${t.baseUrl}/login?lang=${locale}`);
    await page.fill('input[name=email]', 'admin@example.com');
    await page.fill('input[name=password]', TEST_PASSWORD);
    await page.click('form[action="/login"] button[type=submit]');
    await page.waitForURL(`${t.baseUrl}/`);
    for (const [name, path] of Object.entries(signedIn)) await check(name, path, locale);
  });
});
