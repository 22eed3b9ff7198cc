/**
 * The admins' pages in real Chromium, over a real server: an editor is refused them in their
 * language; an admin creates an editor, who logs in elsewhere and is cut off the moment the
 * admin disables them; the last admin cannot be disabled (said at the field); the status page
 * shows the sums of the records and each check's verdict; a token made on the page works as a
 * Bearer until revoked there; a webhook added on the page delivers, and "send again" re-delivers
 * the same webhook-id.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUserByEmail } from '../src/auth/users.ts';
import { addEndpoint, deliveryLog } from '../src/webhooks/endpoints.ts';
import { startDeliveries, type DeliveryWorker } from '../src/webhooks/worker.ts';
import { apiClient, saveItem, uploadFile, type ApiCall } from './api-flow.ts';
import { launchChromium, type Browser } from './chromium.ts';
import { startTestApp, TEST_PASSWORD, type Session, type TestApp } from './harness.ts';
import { mediaBytes } from './media-bytes.ts';
import { WebhookReceiver } from './webhook-receiver.ts';

const SCREENSHOTS = fileURLToPath(new URL('../.tmp/screenshots/admin/', import.meta.url));
const ADMIN_PAGES = ['/admin/users', '/admin/tokens', '/admin/webhooks', '/status'];
const EDITOR_PASSWORD = 'a newsroom password';

let t: TestApp;
let adminSession: Session;
let call: ApiCall;
let adminBrowser: Browser;
let editorBrowser: Browser;
let page: Page;

async function logIn(browser: Browser, email: string, password: string, locale: string): Promise<Page> {
  const tab = browser.context.pages()[0] ?? (await browser.context.newPage());
  await tab.goto(`${t.baseUrl}/login?lang=${locale}`);
  await tab.fill('input[name=email]', email);
  await tab.fill('input[name=password]', password);
  await tab.click('form[action="/login"] button[type=submit]');
  await tab.waitForURL(`${t.baseUrl}/`);
  return tab;
}

/** The page as it is now, at 1280 and 375 px wide, for people to look at. */
async function shoot(tab: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  for (const width of [1280, 375]) {
    await tab.setViewportSize({ width, height: 900 });
    await tab.screenshot({ path: `${SCREENSHOTS}${name}-${width}.png`, fullPage: true });
  }
  await tab.setViewportSize({ width: 1280, height: 900 });
}

/** The message a field is described by, and whether it is marked invalid. */
async function fieldMessage(tab: Page, selector: string): Promise<{ invalid: string | null; message: string }> {
  const field = tab.locator(selector);
  const ids = ((await field.getAttribute('aria-describedby')) ?? '').split(' ').filter((id) => id.endsWith('-error'));
  return { invalid: await field.getAttribute('aria-invalid'), message: ids.length ? await tab.locator(`[id="${ids[0]}"]`).innerText() : '' };
}

beforeAll(async () => {
  t = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
  adminSession = await t.login('chief@example.com', { admin: true });
  call = apiClient(t.baseUrl, { cookie: adminSession.cookie, 'x-csrftoken': adminSession.csrf });
  [adminBrowser, editorBrowser] = await Promise.all([launchChromium(), launchChromium()]);
  page = await logIn(adminBrowser, 'chief@example.com', TEST_PASSWORD, 'fr');
}, 180_000);
afterAll(async () => {
  await adminBrowser?.close();
  await editorBrowser?.close();
  await t?.close();
});

describe('admin pages', { timeout: 90_000 }, () => {
  it('refuses an editor every admin page with 403, in French and in English, and shows them no admin links', async () => {
    await t.login('reader@example.com');
    const tab = await logIn(editorBrowser, 'reader@example.com', TEST_PASSWORD, 'fr');
    expect(await tab.locator('nav[aria-label="Administration"]').count()).toBe(0);
    for (const [locale, heading, message] of [
      ['fr', 'L’opération n’a pas abouti', 'Seul un administrateur peut faire cela.'],
      ['en', 'That did not work', 'Only an administrator can do this.'],
    ] as const) {
      for (const path of ADMIN_PAGES) {
        const response = await tab.goto(`${t.baseUrl}${path}?lang=${locale}`);
        expect(response!.status(), path).toBe(403);
        expect(await tab.locator('h1').innerText()).toBe(heading);
        expect(await tab.locator('[role=alert]').innerText()).toBe(message);
      }
    }
    // A form post from the editor's own page is refused too, CSRF token and all.
    const csrf = (await editorBrowser.context.cookies()).find((c) => c.name === 'csrftoken')!.value;
    const posted = await tab.request.post(`${t.baseUrl}/admin/users`, { form: { csrf_token: csrf, email: 'x@example.com', password: 'long enough password', role: 'admin' } });
    expect(posted.status()).toBe(403);
    expect(await findUserByEmail(t.app.db, 'x@example.com')).toBeUndefined();
    await editorBrowser.context.clearCookies();
  });

  it('lets an admin create an editor, whose next page and API request are refused once disabled on the page', async () => {
    await page.goto(`${t.baseUrl}/admin/users?lang=fr`);
    expect(await page.locator('nav[aria-label="Administration"] a[aria-current="page"]').innerText()).toBe('Utilisateurs');
    await page.fill('#new-email', 'redaction@example.com');
    await page.fill('#new-password', EDITOR_PASSWORD);
    await page.selectOption('#new-role', 'editor');
    await page.click('form[action="/admin/users"] button[type=submit]');
    await page.waitForURL(/\/admin\/users\?done=created/);
    expect(await page.locator('[role=status]').innerText()).toBe('Utilisateur redaction@example.com créé.');
    const editor = (await findUserByEmail(t.app.db, 'redaction@example.com'))!;
    expect(editor.role).toBe('editor');
    expect(await page.locator('#users tbody tr', { hasText: 'redaction@example.com' }).locator('select').inputValue()).toBe('editor');

    const editorTab = await logIn(editorBrowser, 'redaction@example.com', EDITOR_PASSWORD, 'en');
    expect((await editorTab.request.get(`${t.baseUrl}/api/v1/videos`)).status()).toBe(200);

    await page.check(`#disabled-${editor.id}`);
    await page.click(`#user-${editor.id} button[type=submit]`);
    await page.waitForURL(/done=disabled/);
    expect(await page.locator('[role=status]').innerText()).toMatch(/^Compte de redaction@example\.com désactivé\u00a0: ses sessions/);
    expect(await page.isChecked(`#disabled-${editor.id}`)).toBe(true);

    await editorTab.goto(`${t.baseUrl}/`);
    expect(editorTab.url()).toBe(`${t.baseUrl}/login?next=%2F`);
    const api = await editorTab.request.get(`${t.baseUrl}/api/v1/videos`);
    expect(api.status()).toBe(401);
    expect((await api.json()).error.code).toBe('unauthorized');
  });

  it('says at the field, in the page’s language, why the last admin cannot be disabled and a bad new user is refused; nothing changes', async () => {
    const chief = (await findUserByEmail(t.app.db, 'chief@example.com'))!;
    await page.goto(`${t.baseUrl}/admin/users?lang=fr`);
    await page.check(`#disabled-${chief.id}`);
    await page.click(`#user-${chief.id} button[type=submit]`);
    await page.waitForLoadState();
    expect(await fieldMessage(page, `#disabled-${chief.id}`)).toEqual({
      invalid: 'true',
      message: 'C’est le dernier administrateur actif\u00a0: nommez d’abord un autre administrateur. Rien n’a été modifié.',
    });
    expect(await page.isChecked(`#disabled-${chief.id}`)).toBe(false);
    await shoot(page, 'users-last-admin-fr');
    expect((await findUserByEmail(t.app.db, 'chief@example.com'))!.disabled_at).toBeNull();
    await page.selectOption(`#role-${chief.id}`, 'editor');
    await page.click(`#user-${chief.id} button[type=submit]`);
    await page.waitForLoadState();
    expect((await fieldMessage(page, `#role-${chief.id}`)).invalid).toBe('true');
    expect((await findUserByEmail(t.app.db, 'chief@example.com'))!.role).toBe('admin');

    await page.goto(`${t.baseUrl}/admin/users?lang=en`);
    const users = await t.app.db.selectFrom('users').select('id').execute();
    await page.fill('#new-email', 'not an email');
    await page.fill('#new-password', 'short');
    await page.click('form[action="/admin/users"] button[type=submit]');
    await page.waitForLoadState();
    expect(await fieldMessage(page, '#new-email')).toEqual({ invalid: 'true', message: 'Give a valid email address.' });
    expect(await page.inputValue('#new-email')).toBe('not an email');
    await page.fill('#new-email', 'fine@example.com');
    await page.fill('#new-password', 'short');
    await page.click('form[action="/admin/users"] button[type=submit]');
    await page.waitForLoadState();
    expect(await fieldMessage(page, '#new-password')).toEqual({ invalid: 'true', message: 'The password must be at least 10 characters long.' });
    await shoot(page, 'users-short-password-en');
    expect(await t.app.db.selectFrom('users').select('id').execute()).toHaveLength(users.length);
  });

  it('shows on /status the totals the records sum to, and each verdict of the checks', async () => {
    for (const size of [70_000, 90_000]) {
      const video = await uploadFile(call, 'video', size);
      const saved = await call('POST', '/api/v1/videos', { title: 'Clip', upload_id: video, cover_upload_id: await coverUpload() });
      expect(saved.status, await saved.clone().text()).toBe(201);
    }
    await saveItem(call, 'photo', 'Conférence');
    await page.goto(`${t.baseUrl}/status?lang=fr`);
    const shown = async (kind: string) => {
      const cells = await page.locator(`#total-${kind} td`).allInnerTexts();
      return { count: Number(cells[0]!.replace(/\D/g, '')), bytes: Number(cells[2]!.replace(/\D/g, '')), size: cells[1]! };
    };
    const records = async (table: 'videos' | 'photos') => {
      const rows = await t.app.db.selectFrom(table).select('size').execute();
      return { count: rows.length, bytes: rows.reduce((sum, r) => sum + r.size, 0) };
    };
    const covers = await t.app.db.selectFrom('uploads').innerJoin('videos', 'videos.cover_film', 'uploads.key').select('uploads.size').execute();
    const expected = { video: await records('videos'), photo: await records('photos'), cover: { count: covers.length, bytes: covers.reduce((s, c) => s + c.size!, 0) } };
    expect(expected.video).toEqual({ count: 2, bytes: 160_000 });
    expect(expected.cover.count).toBe(2);
    for (const [kind, sums] of Object.entries(expected)) expect(await shown(kind), kind).toMatchObject(sums);
    expect(await shown('all')).toMatchObject({ count: 5, bytes: expected.video.bytes + expected.photo.bytes + expected.cover.bytes });
    // 160,000 bytes: below a megabyte, in kilobytes.
    expect((await shown('video')).size).toBe('156,3 Ko');
    expect(Number(await page.innerText('#uploads-completed'))).toBe(5);

    await page.click('form[action="/status/checks"] button[type=submit]');
    await page.waitForSelector('#verdicts', { timeout: 60_000 });
    const verdicts = await page.locator('#verdicts li').evaluateAll((items) => items.map((li) => [li.querySelector('strong')!.textContent, (li as HTMLElement).dataset.status, li.querySelector('.badge')!.textContent]));
    expect(verdicts).toEqual([
      ['Configuration', 'pass', 'Réussie'],
      ['Database', 'pass', 'Réussie'],
      ['Storage', 'pass', 'Réussie'],
      ['CORS', 'pass', 'Réussie'],
      ['Upload round trip through the running app', 'pass', 'Réussie'],
      ['Clock', 'pass', 'Réussie'],
    ]);
    expect(await page.locator('[role=status]').innerText()).toBe('6 vérifications lancées\u00a0: 0 en échec.');
    await shoot(page, 'status-checks-fr');
  });

  it('creates a token on /admin/tokens that works as a Bearer, and stops at once when revoked on the page', async () => {
    await page.goto(`${t.baseUrl}/admin/tokens?lang=en`);
    await page.fill('input[name=name]', 'Website');
    await page.selectOption('select[name=scope]', 'read');
    await page.click('form[action="/admin/tokens"] button[type=submit]');
    const token = await page.innerText('#new-token');
    expect(token).toMatch(/^alt_/);
    expect(await page.innerText('main')).toContain('it will not be shown again');
    await shoot(page, 'token-created-en');
    const bearer = () => fetch(`${t.baseUrl}/api/v1/videos`, { headers: { authorization: `Bearer ${token}` } });
    expect((await bearer()).status).toBe(200);
    expect((await fetch(`${t.baseUrl}/api/v1/videos`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' })).status).toBe(403);

    await page.goto(`${t.baseUrl}/admin/tokens`);
    const row = page.locator('#tokens tbody tr', { hasText: 'Website' });
    expect(await row.innerText()).toContain(token.slice(0, 10));
    expect(await row.innerText()).not.toContain('Never');
    expect(await page.innerText('main')).not.toContain(token);
    await row.locator('button', { hasText: 'Revoke' }).click();
    await page.waitForURL(/done=revoked/);
    expect(await page.locator('[role=status]').innerText()).toBe('Token Website revoked: requests with it are refused from now on.');
    expect(await page.locator('#tokens tbody tr', { hasText: 'Website' }).innerText()).toMatch(/Revoked on/);
    expect((await bearer()).status).toBe(401);
  });

  it('adds a webhook on /admin/webhooks whose log shows the deliveries, and "send again" re-delivers the same webhook-id', async () => {
    const receiver = new WebhookReceiver();
    await receiver.open();
    const worker: DeliveryWorker = startDeliveries(t.app, t.app.log, { pollMs: 50 });
    try {
      await page.goto(`${t.baseUrl}/admin/webhooks?lang=fr`);
      await page.fill('input[name=url]', receiver.url);
      await page.check('#event-video\\.created');
      await page.click('form[action="/admin/webhooks"] button[type=submit]');
      const secret = await page.innerText('#new-secret');
      expect(secret).toMatch(/^whsec_/);
      await shoot(page, 'webhook-added-fr');
      const logUrl = await page.locator('a', { hasText: 'Retour à la liste' }).getAttribute('href');

      const video = await saveItem(call, 'video', 'Dépêche');
      await saveItem(call, 'photo', 'Not asked for');
      await receiver.waitForDelivered(1);
      await page.goto(`${t.baseUrl}${logUrl}`);
      const first = page.locator('#deliveries tbody tr');
      expect(await first.count()).toBe(1);
      expect(await first.innerText()).toMatch(/video\.created[\s\S]*Livré[\s\S]*200/);
      await first.locator('button', { hasText: 'Renvoyer' }).click();
      await page.waitForURL(/done=resent/);
      expect(await page.locator('[role=status]').innerText()).toBe('L’événement a été remis en file, avec le même webhook-id.');
      await receiver.waitForDelivered(2);
      const events = receiver.verified(secret);
      expect(events.map((e) => [e.type, (e.data as { id: number }).id])).toEqual([['video.created', video.id], ['video.created', video.id]]);
      expect(events[1]!.id).toBe(events[0]!.id);
      await page.reload();
      const rows = await page.locator('#deliveries tbody tr').allInnerTexts();
      expect(rows).toHaveLength(2);
      for (const row of rows) expect(row).toContain(events[0]!.id);
      await shoot(page, 'webhook-log-fr');
      await page.goto(`${t.baseUrl}/admin/webhooks`);
      expect(await page.locator('#endpoints tbody tr').innerText()).toMatch(/Fonctionne[\s\S]*2 livrés · 0 en attente · 0 abandonnés/);
    } finally {
      await worker.stop();
      await receiver.close();
    }
  });
});

describe('send again, as an attacker tries it', () => {
  it('resends only a delivery of the endpoint in the path, refuses odd ids with the page’s 404, and queues nothing', async () => {
    const form = (path: string) =>
      t.request('POST', path, {
        session: adminSession,
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `${adminSession.cookie}; lang=fr` },
        body: new URLSearchParams({ csrf_token: adminSession.csrf }).toString(),
      });
    const [mine, other] = [await addEndpoint(t.app.db, t.config, { url: 'https://hooks.example.com/a' }), await addEndpoint(t.app.db, t.config, { url: 'https://hooks.example.com/b' })];
    try {
      await saveItem(call, 'photo', 'Une photo');
      const [delivery] = await deliveryLog(t.app.db, mine.id);
      const count = async () => Number((await t.app.db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      const before = await count();
      for (const path of [
        `/admin/webhooks/${other.id}/deliveries/${delivery!.id}/resend`,
        `/admin/webhooks/${mine.id}/deliveries/0${delivery!.id}/resend`,
        `/admin/webhooks/${mine.id}/deliveries/99999999999/resend`,
        `/admin/webhooks/${mine.id}/deliveries/${delivery!.id}%00/resend`,
      ]) {
        const refused = await form(path);
        expect(refused.status, path).toBe(404);
        expect(await refused.text(), path).toContain('Cet envoi n’existe pas.');
      }
      const noEndpoint = await form(`/admin/webhooks/99999/deliveries/${delivery!.id}/resend`);
      expect(noEndpoint.status).toBe(404);
      expect(await noEndpoint.text()).toContain('Ce webhook n’existe pas.');
      expect(await count()).toBe(before);
      expect((await form(`/admin/webhooks/${mine.id}/deliveries/${delivery!.id}/resend`)).status).toBe(303);
      expect(await count()).toBe(before + 1);
    } finally {
      await t.app.db.deleteFrom('webhook_endpoints').where('id', 'in', [mine.id, other.id]).execute();
    }
  });
});

describe('webhook targets on a server that keeps them public', () => {
  it('says at the field, in French, that a loopback URL is refused, and adds nothing', async () => {
    const strict = await startTestApp();
    try {
      const session = await strict.login('boss@example.com', { admin: true });
      const response = await strict.request('POST', '/admin/webhooks', {
        session,
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `${session.cookie}; lang=fr` },
        body: new URLSearchParams({ csrf_token: session.csrf, url: 'http://127.0.0.1:8080/hook' }).toString(),
      });
      expect(response.status).toBe(400);
      const body = await response.text();
      expect(body).toMatch(/<input type="url" name="url"[^>]* value="http:\/\/127\.0\.0\.1:8080\/hook" id="webhook-url" aria-invalid="true" aria-describedby="webhook-url-hint webhook-url-error">/);
      expect(body).toContain('<span class="field-error" id="webhook-url-error" role="alert">127.0.0.1 est refusé\u00a0: c’est, ou cela mène à, une adresse de bouclage, privée ou locale au lien');
      expect(await strict.app.db.selectFrom('webhook_endpoints').selectAll().execute()).toEqual([]);
    } finally {
      await strict.close();
    }
  });
});

/** A completed cover upload's id (a PNG through the same API). */
async function coverUpload(): Promise<string> {
  const created = await call('POST', '/api/v1/uploads', { filename: 'cover.png', size: 3_000, content_type: 'image/png', kind: 'cover' });
  const ticket = (await created.json()) as { id: string; url: string; headers: Record<string, string> };
  expect((await fetch(ticket.url, { method: 'PUT', headers: ticket.headers, body: new Uint8Array(mediaBytes('image/png', 3_000)) })).status).toBe(200);
  expect((await call('POST', `/api/v1/uploads/${ticket.id}/complete`, { parts: [] })).status).toBe(200);
  return ticket.id;
}
