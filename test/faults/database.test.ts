/**
 * PostgreSQL refusing connections, or holding them unanswered, behind a proxy the test cuts
 * (never the machine's own service): requests get a clear 503 `database_unavailable` within
 * seconds, and the app answers again by itself once the database does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpProxy } from '../cut-proxy.ts';
import { freePort, freshPostgres, POSTGRES_ADMIN_URL, startTestApp, type Session, type TestApp } from '../harness.ts';

describe('PostgreSQL cut off', { timeout: 120_000 }, () => {
  let t: TestApp;
  let session: Session;
  let proxy: TcpProxy;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const postgres = await freshPostgres();
    drop = postgres.drop;
    proxy = new TcpProxy(Number(new URL(POSTGRES_ADMIN_URL).port || 5432));
    const port = await freePort();
    await proxy.open(port);
    const url = new URL(postgres.url);
    url.host = `127.0.0.1:${port}`;
    t = await startTestApp({ env: { DATABASE_URL: url.toString() } });
    session = await t.login();
  });
  afterAll(async () => {
    proxy?.restore();
    await t?.close();
    await proxy?.close();
    await drop?.();
  });

  async function library(): Promise<{ status: number; code?: string; message?: string; seconds: number }> {
    const started = performance.now();
    const response = await t.request('GET', '/api/v1/videos', { session });
    const body = (await response.json()) as { error?: { code: string; message: string } };
    return { status: response.status, ...body.error, seconds: (performance.now() - started) / 1000 };
  }

  it('answers 503 database_unavailable while connections are refused, then recovers', async () => {
    expect((await library()).status).toBe(200);
    proxy.cut();
    const refused = await library();
    expect(refused).toMatchObject({ status: 503, code: 'database_unavailable', message: expect.stringMatching(/database is not answering/) });
    expect(refused.seconds).toBeLessThan(6);
    proxy.restore();
    expect((await library()).status).toBe(200);
    console.log(`PostgreSQL refusing: 503 after ${refused.seconds.toFixed(1)} s`);
  });

  it('answers 503 database_unavailable within 11 s while the database holds connections unanswered, then recovers', async () => {
    expect((await library()).status).toBe(200);
    proxy.silence();
    const [held, fresh] = await Promise.all([library(), library()]);
    for (const answer of [held, fresh]) {
      expect(answer).toMatchObject({ status: 503, code: 'database_unavailable' });
      expect(answer.seconds).toBeLessThan(11);
    }
    proxy.restore();
    const back = await library();
    expect(back.status).toBe(200);
    console.log(`PostgreSQL silent: 503 after ${Math.min(held.seconds, fresh.seconds).toFixed(1)}-${Math.max(held.seconds, fresh.seconds).toFixed(1)} s; answering again ${back.seconds.toFixed(1)} s after restore`);
  });
});
