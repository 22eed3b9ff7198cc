/**
 * A store that stops answering (its process stopped: connections still open, nothing comes
 * back) gives a clear 503 within 10 s on every call that needs it, `/readyz` names it, and the
 * app answers again by itself once the store does, without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { TcpProxy } from '../cut-proxy.ts';
import { freePort, startTestApp, type Session, type TestApp } from '../harness.ts';

const MiB = 1024 * 1024;

describe('a silent S3 store', { timeout: 120_000 }, () => {
  let t: TestApp;
  let session: Session;
  let proxy: TcpProxy;

  beforeAll(async () => {
    const rgw = new URL(inject('s3').env.R2_ENDPOINT_URL);
    proxy = new TcpProxy(Number(rgw.port));
    const port = await freePort();
    await proxy.open(port);
    t = await startTestApp({ storage: 's3', env: { R2_ENDPOINT_URL: `http://127.0.0.1:${port}` } });
    session = await t.login();
  });
  afterAll(async () => {
    proxy?.restore();
    await t?.close();
    await proxy?.close();
  });

  const createMultipart = () => t.request('POST', '/api/v1/uploads', { session, json: { filename: 'big.mp4', size: 300 * MiB, content_type: 'video/mp4', kind: 'video' } });

  /** The answer to `call`, and how long it took in seconds. */
  async function timed(call: () => Promise<Response>): Promise<{ status: number; body: { error?: { code: string; message: string } }; seconds: number }> {
    const started = performance.now();
    const response = await call();
    const body = (await response.json()) as { error?: { code: string; message: string } };
    return { status: response.status, body, seconds: (performance.now() - started) / 1000 };
  }

  it('answers 503 storage_unavailable within 10 s, then works again once the store answers', async () => {
    const before = await createMultipart();
    expect(before.status).toBe(201);
    const { id } = (await before.json()) as { id: string };

    proxy.silence();
    const [created, state, completed] = await Promise.all([
      timed(createMultipart),
      timed(() => t.request('GET', `/api/v1/uploads/${id}`, { session })),
      timed(() => t.request('POST', `/api/v1/uploads/${id}/complete`, { session, json: { parts: [{ part_number: 1, etag: '"x"' }] } })),
    ]);
    for (const answer of [created, state]) {
      expect(answer.status).toBe(503);
      expect(answer.body.error).toMatchObject({ code: 'storage_unavailable', message: expect.stringMatching(/did not answer within 8 s/) });
      expect(answer.seconds).toBeLessThan(10);
    }
    // Complete with a wrong list is refused before the store is asked; either way, on time.
    expect(completed.seconds).toBeLessThan(10);
    console.log(`silent store: first 503 after ${Math.min(created.seconds, state.seconds).toFixed(1)} s (create ${created.seconds.toFixed(1)} s, state ${state.seconds.toFixed(1)} s)`);
    // The app itself still answers what does not need the store.
    expect((await t.request('GET', '/api/v1/videos', { session })).status).toBe(200);

    proxy.restore();
    const again = await timed(() => t.request('GET', `/api/v1/uploads/${id}`, { session }));
    expect(again.status).toBe(200);
    expect(again.seconds).toBeLessThan(5);
    expect((await createMultipart()).status).toBe(201);
  });

  it('/readyz turns 503 naming the store while it does not answer, and 200 once it does', async () => {
    expect((await t.request('GET', '/readyz')).status).toBe(200);
    proxy.silence();
    const started = performance.now();
    const down = await t.request('GET', '/readyz');
    const seconds = (performance.now() - started) / 1000;
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({
      error: { code: 'not_ready', message: 'Not ready: the store is not answering.' },
      checks: { database: { ok: true }, storage: { ok: false, message: 'the store is not answering' } },
    });
    expect(seconds).toBeLessThan(10);
    // The process itself still serves.
    expect((await t.request('GET', '/healthz')).status).toBe(200);
    proxy.restore();
    expect((await t.request('GET', '/readyz')).status).toBe(200);
  });
});
