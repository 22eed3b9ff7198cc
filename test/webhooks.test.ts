/**
 * Webhooks against the running app and a real receiver: created, updated and deleted events
 * arrive in order and verify with the `standardwebhooks` library; a receiver answering 503 gets
 * the same `webhook-id` again; an endpoint that keeps failing is marked failing and its
 * deliveries given up after the last retry, each attempt logged; a change that fails writes no
 * event; and two instances on one PostgreSQL deliver each event once. Retry waits are short
 * here (the worker takes them as an option); the real ones are in src/webhooks/retry.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiToken } from '../src/auth/api-tokens.ts';
import { findUserByEmail } from '../src/auth/users.ts';
import { addEndpoint, deliveryAttempts, deliveryLog, listEndpoints, resendDelivery } from '../src/webhooks/endpoints.ts';
import { FAILING_AFTER, startDeliveries, type DeliveryWorker } from '../src/webhooks/worker.ts';
import { apiClient, saveItem, type ApiCall } from './api-flow.ts';
import { startTestApp, type TestApp } from './harness.ts';
import { WebhookReceiver } from './webhook-receiver.ts';

const FAST = { pollMs: 50, retryDelaysMs: [100, 200, 300, 400, 500, 600] };

describe('webhooks on the embedded defaults', { timeout: 60_000 }, () => {
  let t: TestApp;
  let call: ApiCall;
  let worker: DeliveryWorker;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
    const session = await t.login();
    call = apiClient(t.baseUrl, { cookie: session.cookie, 'x-csrftoken': session.csrf });
    worker = startDeliveries(t.app, t.app.log, FAST);
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });
  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.close();
    await t.app.db.deleteFrom('webhook_endpoints').execute();
  });

  async function endpoint(events?: string) {
    const receiver = new WebhookReceiver();
    receivers.push(receiver);
    await receiver.open();
    const row = await addEndpoint(t.app.db, t.config, { url: receiver.url, events });
    return { receiver, row };
  }

  it('sends created, updated and deleted in order, signed, with the item as the API returns it', async () => {
    const { receiver, row } = await endpoint();
    expect(row.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const item = await saveItem(call, 'video', 'First cut');
    const edited = await (await call('PATCH', `/api/v1/videos/${item.id}`, { title: 'Final cut' })).json();
    expect((await call('DELETE', `/api/v1/videos/${item.id}`)).status).toBe(204);
    await receiver.waitForDelivered(3);
    const events = receiver.verified(row.secret);
    expect(events.map((e) => e.type)).toEqual(['video.created', 'video.updated', 'video.deleted']);
    expect(events[0]!.data).toEqual(item);
    expect(events[1]!.data).toEqual(edited);
    expect(events[2]!.data).toEqual(edited);
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
    for (const e of events) expect(Date.now() - Date.parse(e.timestamp)).toBeLessThan(30_000);
    expect(receiver.received[0]!.headers).toMatchObject({ 'content-type': 'application/json', 'webhook-id': expect.stringMatching(/^msg_/) });
    // A forged body does not verify.
    expect(() => receiver.verified('whsec_' + Buffer.alloc(24, 1).toString('base64'))).toThrow();
  });

  it('sends only the events an endpoint asked for', async () => {
    const photos = await endpoint('photo.created');
    const everything = await endpoint();
    await saveItem(call, 'video');
    const photo = await saveItem(call, 'photo');
    await everything.receiver.waitForDelivered(2);
    await photos.receiver.waitForDelivered(1);
    expect(photos.receiver.verified(photos.row.secret).map((e) => [e.type, (e.data as { id: number }).id])).toEqual([['photo.created', photo.id]]);
  });

  it('sends the same webhook-id again to a receiver answering 503, until it answers 2xx; each attempt is logged', async () => {
    const { receiver, row } = await endpoint();
    receiver.status = 503;
    await saveItem(call, 'photo');
    while (receiver.received.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    receiver.status = 204;
    await receiver.waitForDelivered(1);
    const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    expect(receiver.received.map((r) => r.answered).slice(-1)).toEqual([204]);
    // The worker records the attempt once the answer is in: wait for the log, not for the receiver.
    const delivery = await vi.waitFor(
      async () => {
        const [logged] = await deliveryLog(t.app.db, row.id);
        expect(logged?.state).toBe('delivered');
        return logged!;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(delivery).toMatchObject({ event_type: 'photo.created', state: 'delivered', last_status: 204, attempts: receiver.received.length });
    const attempts = (await deliveryAttempts(t.app.db, [delivery.id])).get(delivery.id)!;
    expect(attempts.map((a) => a.status_code)).toEqual(receiver.received.map((r) => r.answered));
  });

  it('marks an endpoint that keeps failing, gives the delivery up after the last retry, and sends it again on request', async () => {
    const { receiver, row } = await endpoint();
    await receiver.close();
    await saveItem(call, 'video');
    const given = async () => (await deliveryLog(t.app.db, row.id))[0];
    while ((await given())?.state !== 'given_up') await new Promise((resolve) => setTimeout(resolve, 50));
    const delivery = (await given())!;
    expect(delivery).toMatchObject({ attempts: FAST.retryDelaysMs.length + 1, last_status: null, last_error: 'connection refused' });
    const marked = await t.app.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(marked.consecutive_failures).toBe(FAST.retryDelaysMs.length + 1);
    expect(marked.consecutive_failures).toBeGreaterThanOrEqual(FAILING_AFTER);
    expect(marked.failing_since).not.toBeNull();

    await receiver.open();
    await resendDelivery(t.app.db, delivery.id);
    await receiver.waitForDelivered(1);
    const [event] = receiver.verified(row.secret);
    expect(event!.id).toBe(delivery.message_id);
    const healed = await t.app.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(healed).toMatchObject({ consecutive_failures: 0, failing_since: null });
  });

  it('writes no event for a change that did not happen', async () => {
    await endpoint();
    const before = await t.app.db.selectFrom('webhook_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const refused = await call('POST', '/api/v1/videos', { title: 'x', upload_id: '00000000-0000-4000-8000-000000000000' });
    expect(refused.status).toBe(404);
    expect((await call('PATCH', '/api/v1/videos/999999', { title: 'x' })).status).toBe(404);
    const after = await t.app.db.selectFrom('webhook_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('keeps the secret sealed: not in the database in clear, and a server with another SECRET_KEY logs why it cannot sign', async () => {
    const { receiver, row } = await endpoint();
    const stored = await t.app.db.selectFrom('webhook_endpoints').select('secret').where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(stored.secret).not.toContain(row.secret.slice(6));
    expect(stored.secret).toMatch(/^sealed:v1:/);
    expect(JSON.stringify(await listEndpoints(t.app.db))).not.toContain('sealed:v1:');
    await worker.stop();
    const wrongKey = startDeliveries(
      { db: t.app.db, storage: t.app.storage, config: { ...t.config, secretKey: 'another-secret-key-of-at-least-32-characters' } },
      t.app.log,
      { ...FAST, retryDelaysMs: [5000] },
    );
    try {
      await saveItem(call, 'photo', 'Signed by nobody');
      await vi.waitFor(async () => {
        const [delivery] = await deliveryLog(t.app.db, row.id);
        expect(delivery?.last_error).toMatch(/sealed under another SECRET_KEY/);
      }, { timeout: 20_000, interval: 200 });
      expect(receiver.received).toHaveLength(0);
    } finally {
      await wrongKey.stop();
      worker = startDeliveries(t.app, t.app.log, FAST);
    }
    // The right key delivers it on the next attempt.
    await receiver.waitForDelivered(1);
    expect(receiver.verified(row.secret).map((e) => e.type)).toEqual(['photo.created']);
  });

  it('refuses a loopback target unless WEBHOOK_ALLOW_PRIVATE_TARGETS is set', async () => {
    await expect(addEndpoint(t.app.db, { ...t.config, webhookAllowPrivateTargets: false }, { url: 'http://127.0.0.1:9/hook' })).rejects.toMatchObject({ status: 400, code: 'webhook_target_refused' });
    await expect(addEndpoint(t.app.db, t.config, { url: 'http://127.0.0.1:9/hook', events: 'video.renamed' })).rejects.toMatchObject({
      code: 'invalid_events',
      message: 'There is no event "video.renamed"; the events are video.created, video.updated, video.deleted, photo.created, photo.updated, photo.deleted.',
    });
  });
});

describe('two instances on one PostgreSQL', { timeout: 120_000 }, () => {
  let first: TestApp;
  let second: TestApp;
  const workers: DeliveryWorker[] = [];
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    first = await startTestApp({ database: 'postgres', env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
    // One SECRET_KEY, as every instance of a deployment has (README): under another, the second
    // could not open the endpoint's secret, and its failed attempts would spend the retries.
    second = await startTestApp({ databaseUrl: first.config.databaseUrl!, env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', SECRET_KEY: first.config.secretKey } });
    await receiver.open();
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await receiver.close();
    await second?.close();
    await first?.close();
  });

  it('deliver each event once, every one of them', async () => {
    const { secret } = await addEndpoint(first.app.db, first.config, { url: receiver.url });
    for (const t of [first, second]) workers.push(startDeliveries(t.app, t.app.log, { ...FAST, pollMs: 20 }));
    // A token, not a session: what a site's CMS behind a load balancer sends.
    const email = 'two-instances@example.com';
    await first.login(email);
    const user = (await findUserByEmail(first.app.db, email))!;
    const { token } = await createApiToken(first.app.db, { userId: user.id, name: 'load balanced', scope: 'write' });
    const calls = [first, second].map((t) => apiClient(t.baseUrl, { authorization: `Bearer ${token}` }));
    const items = await Promise.all(Array.from({ length: 12 }, (_, i) => saveItem(calls[i % 2]!, i % 3 === 0 ? 'photo' : 'video', `Item ${i}`)));
    await receiver.waitForDelivered(items.length);
    // Let a duplicate, if any, arrive.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const events = receiver.verified(secret);
    const ids = events.map((e) => e.id);
    const duplicates = ids.length - new Set(ids).size;
    console.log(`two instances: ${events.length} webhooks for ${items.length} changes, ${duplicates} duplicates`);
    expect(duplicates).toBe(0);
    expect(events.map((e) => (e.data as { id: number; title: string }).title).sort()).toEqual(items.map((i) => i.title).sort());
    // Each at its first attempt: an instance that fails one (a secret it cannot open) spends its retries.
    const deliveries = await first.app.db.selectFrom('webhook_deliveries').select(['state', 'attempts', 'last_error']).execute();
    expect(deliveries).toEqual(items.map(() => ({ state: 'delivered', attempts: 1, last_error: null })));
  });
});
