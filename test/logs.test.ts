/** The server's logs: each upload event with its reason, and never a secret. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SeedPresigned } from '../src/shared/api.ts';
import { startTestApp, TEST_PASSWORD, type TestApp } from './harness.ts';
import { mediaBytes } from './media-bytes.ts';

const lines: string[] = [];
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { LOG_LEVEL: 'info' }, logStream: { write: (line) => void lines.push(line) } });
});
afterAll(() => t?.close());

it('logs each request and upload event as JSON, with no signature, cookie, token or password', async () => {
  const session = await t.login();
  const presigned = (await (await t.request('GET', '/api/generate-presigned-url/?filename=a.mp4&type=video', { session })).json()) as SeedPresigned;
  await fetch(presigned.presigned_url, { method: 'PUT', headers: { 'content-type': 'video/mp4' }, body: new Uint8Array(mediaBytes('video/mp4', 2000)) });
  await t.request('POST', '/api/save-video-metadata/', { session, json: { title: 'Logged', file_key: presigned.file_key } });
  await t.request('GET', '/api/generate-presigned-url/?filename=a.exe&type=video', { session });

  const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const messages = entries.map((e) => e.msg);
  expect(messages).toEqual(expect.arrayContaining(['incoming request', 'request completed', 'upload granted', 'video saved', 'request refused']));
  const refused = entries.find((e) => e.msg === 'request refused');
  expect(refused).toMatchObject({ code: 'unsupported_type', reason: expect.stringContaining('not accepted') });

  const everything = lines.join('\n');
  const signature = new URL(presigned.presigned_url).searchParams.get('signature')!;
  expect(signature.length).toBeGreaterThan(20);
  for (const secret of [signature, session.csrf, session.cookie.split('airlift_session=')[1]!, TEST_PASSWORD, t.config.secretKey]) {
    expect(everything).not.toContain(secret);
  }
  expect(everything).toContain('signature=[redacted]');
});
