/**
 * A change whose process is killed (SIGKILL) right after it answered: the event was written
 * with the change, so once the server is back it is delivered, with the same `webhook-id` as
 * any attempt made before the kill. `airlift serve` as a real process, set up by the CLI
 * (user, token, webhook), on the embedded defaults.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, saveItem } from '../api-flow.ts';
import { freePort } from '../harness.ts';
import { WebhookReceiver } from '../webhook-receiver.ts';
import { airlift, serveProcess, type Served } from './served.ts';

describe('a webhook across a crash', { timeout: 180_000 }, () => {
  const receiver = new WebhookReceiver();
  let server: Served | undefined;
  let dataDir = '';
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await receiver.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('is delivered after the server was killed right after the change', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'airlift-webhook-crash-'));
    const port = await freePort();
    const env = { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' };
    // The receiver is down at the time of the change: any attempt before the kill fails.
    await receiver.open();
    await receiver.close();
    await airlift(['user', 'create', '--email', 'cms@example.com', '--password-stdin'], env, 'a long enough password\n');
    const token = /^ {2}(alt_\S+)$/m.exec(await airlift(['token', 'create', '--email', 'cms@example.com', '--name', 'CMS', '--scope', 'write'], env))![1]!;
    const secret = /^ {2}(whsec_\S+)$/m.exec(await airlift(['webhook', 'add', receiver.url, '--events', 'video.created'], env))![1]!;

    server = serveProcess(env);
    await server.ready;
    const item = await saveItem(apiClient(`http://127.0.0.1:${port}`, { authorization: `Bearer ${token}` }), 'video', 'Breaking news');
    server.child.kill('SIGKILL');
    await server.exited;

    await receiver.open();
    server = serveProcess(env);
    await server.ready;
    await receiver.waitForDelivered(1, 90_000);
    const [event, ...more] = receiver.verified(secret);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ type: 'video.created', data: { id: item.id, title: 'Breaking news' } });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});
