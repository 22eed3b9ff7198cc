/**
 * What a load balancer and Prometheus see: `/healthz`, `/readyz`, and `/metrics` counting an
 * upload, guarded to loopback callers or METRICS_TOKEN. (`/readyz` naming a silent store:
 * test/faults/silent-store.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, saveItem } from './api-flow.ts';
import { startTestApp, type Session, type TestApp } from './harness.ts';

const METRICS_TOKEN = 'metrics-token-for-the-test-0123';

/** The value of one series in Prometheus text (0 when absent). */
function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('health and metrics on the embedded defaults', () => {
  let t: TestApp;
  let session: Session;

  beforeAll(async () => {
    t = await startTestApp({ env: { METRICS_TOKEN } });
    session = await t.login();
  });
  afterAll(() => t?.close());

  const metrics = async () => {
    const response = await t.request('GET', '/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  it('answers /healthz and /readyz with no cookie set', async () => {
    const health = await t.request('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await t.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: { ok: true }, storage: { ok: true } } });
    expect(ready.headers.getSetCookie()).toEqual([]);
  });

  it('counts an upload: started, completed, its bytes, the complete call and the requests by route', async () => {
    const before = await metrics();
    await saveItem(apiClient(t.baseUrl, { cookie: session.cookie, 'x-csrftoken': session.csrf }), 'video');
    const after = await metrics();
    expect(metric(after, 'airlift_uploads_started_total', 'kind="video"') - metric(before, 'airlift_uploads_started_total', 'kind="video"')).toBe(1);
    expect(metric(after, 'airlift_uploads_completed_total', 'kind="video"') - metric(before, 'airlift_uploads_completed_total', 'kind="video"')).toBe(1);
    expect(metric(after, 'airlift_uploaded_bytes_total', 'kind="video"') - metric(before, 'airlift_uploaded_bytes_total', 'kind="video"')).toBe(64 * 1024);
    const completes = 'airlift_upload_complete_duration_seconds_count';
    expect(metric(after, completes, 'outcome="completed"') - metric(before, completes, 'outcome="completed"')).toBe(1);
    const route = (path: string, status: number) => metric(after, 'airlift_http_requests_total', `route="${path}",method="POST",status="${status}"`);
    expect(route('/api/v1/uploads', 201)).toBeGreaterThanOrEqual(1);
    expect(route('/api/v1/uploads/:id/complete', 200)).toBeGreaterThanOrEqual(1);
    expect(route('/api/v1/videos', 201)).toBeGreaterThanOrEqual(1);
  });

  it('counts a failed complete by its code', async () => {
    const call = apiClient(t.baseUrl, { cookie: session.cookie, 'x-csrftoken': session.csrf });
    const before = await metrics();
    const created = (await (await call('POST', '/api/v1/uploads', { filename: 'a.mp4', size: 1000, content_type: 'video/mp4', kind: 'video' })).json()) as { id: string };
    const refused = await call('POST', `/api/v1/uploads/${created.id}/complete`, { parts: [] });
    expect(refused.status).toBe(409);
    const after = await metrics();
    expect(metric(after, 'airlift_uploads_failed_total', 'code="object_missing"') - metric(before, 'airlift_uploads_failed_total', 'code="object_missing"')).toBe(1);
  });

  it('serves /metrics only to loopback callers not behind a proxy, or with METRICS_TOKEN', async () => {
    const proxied = await t.request('GET', '/metrics', { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(proxied.status).toBe(401);
    expect(await proxied.json()).toEqual({ error: { code: 'unauthorized', message: expect.stringContaining('METRICS_TOKEN') } });
    const wrong = await t.request('GET', '/metrics', { headers: { authorization: 'Bearer not-the-metrics-token-at-all' } });
    expect(wrong.status).toBe(401);
    const withToken = await t.request('GET', '/metrics', { headers: { 'x-forwarded-for': '203.0.113.9', authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toContain('airlift_http_requests_total');
  });
});
